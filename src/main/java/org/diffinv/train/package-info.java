/**
 * Training of the kit's networks: the loop with progress, EMA and exact resume ({@link org.diffinv.train.Trainer},
 * {@link org.diffinv.train.Adam}, {@link org.diffinv.train.Ema}), one {@link org.diffinv.train.TrainTask} per
 * network (consistency distillation from the pixel prior: {@link org.diffinv.train.ConsistencyDistillationTask} on
 * {@link org.diffinv.train.ConsistencyDistillation}), the command line {@link org.diffinv.train.TrainMain} ({@code environment/kit train NAME}), and the
 * quality measurements and model cards ({@link org.diffinv.train.Quality}, {@link org.diffinv.train.Evaluation},
 * {@link org.diffinv.train.ModelCard}).
 */
package org.diffinv.train;
