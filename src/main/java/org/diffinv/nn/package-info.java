/**
 * The kit's networks as DJL blocks: {@link org.diffinv.nn.GroupNorm}, {@link org.diffinv.nn.TimeEmbedding},
 * {@link org.diffinv.nn.ResBlock}, {@link org.diffinv.nn.AttentionBlock}, the time-conditioned
 * {@link org.diffinv.nn.UNet}, the {@link org.diffinv.nn.KlAutoencoder}, the {@link org.diffinv.nn.PromptEncoder},
 * the {@link org.diffinv.nn.LatentDiffusionModel} and the {@link org.diffinv.nn.FeatureClassifier}; seeded weight
 * initialisation ({@link org.diffinv.nn.SeededInitializer}); checkpoint files with SHA-256 sidecars
 * ({@link org.diffinv.nn.ModelFiles}, {@link org.diffinv.nn.Checkpoints}).
 */
package org.diffinv.nn;
