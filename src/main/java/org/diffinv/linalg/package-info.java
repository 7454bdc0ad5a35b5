/**
 * Small linear-algebra tools of the kit: the one conjugate-gradient solver ({@link
 * org.diffinv.linalg.ConjugateGradient}, with its per-call budget {@link org.diffinv.linalg.CgOptions} and its
 * report {@link org.diffinv.linalg.CgResult}) used by every pseudo-inverse, proximal map and CG projection,
 * and dense helpers ({@link org.diffinv.linalg.Dense}) that turn a linear map on a small image into a
 * commons-math matrix and take SVDs of small matrices, for tests and analytic posteriors.
 *
 * <p>This package sits below the operators: it works on plain tensor functions and imports nothing from
 * the operators package (operators use it, not the other way round). Data-consistency steps that need
 * a measurement operator (P2L's projection, DDS's Krylov update) live in {@code org.diffinv.solvers}.
 *
 * <p>Tensors are DJL {@code NDArray} batches {@code (N, C, H, W)} (or any shape with a leading batch axis);
 * dense matrices are {@link org.apache.commons.math3.linear.RealMatrix} in double precision.
 */
package org.diffinv.linalg;
