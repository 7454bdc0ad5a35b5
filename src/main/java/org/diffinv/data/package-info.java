/**
 * Data sets of the kit: the Fashion-MNIST reader with its fixed splits and fixed test set
 * ({@link org.diffinv.data.FashionMnist}, IDX format in {@link org.diffinv.data.IdxReader}), seeded resumable
 * mini-batch order ({@link org.diffinv.data.ShuffledBatches}), image folders
 * ({@link org.diffinv.data.ImageFolder}), the captions of the prompt-conditioned prior
 * ({@link org.diffinv.data.Captions}) and the kit's file locations ({@link org.diffinv.data.DataPaths}).
 * Images are FLOAT32 {@code (N, C, H, W)} in {@code [-1, 1]}.
 */
package org.diffinv.data;
