/**
 * The kit's benchmark harness behind {@code environment/kit bench} and {@code notebooks/08-cost.ipynb}: how fast
 * the networks run ({@link org.diffinv.bench.NetworkBench}: median milliseconds of a forward pass and of a forward
 * plus backward pass to {@code x_t}, at chosen batch sizes and torch thread counts, and the engine operations one
 * forward pass issues, {@link org.diffinv.bench.OpProfile}), what each solver costs on top of its network
 * evaluations ({@link org.diffinv.bench.SolverBench}: the overhead ratio), whether a long run grows native memory
 * ({@link org.diffinv.bench.MemoryGrowth}) and how much batching buys.
 *
 * <p>Speed targets are met here, never in timed unit tests: the unit tests check only that the harness measures
 * what it says (counts, shapes, bad options).
 */
package org.diffinv.bench;
