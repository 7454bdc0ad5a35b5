/**
 * Small linear-algebra tools of the kit: the one conjugate-gradient solver ({@link
 * org.diffinv.linalg.ConjugateGradient}) used by every pseudo-inverse, proximal map and CG projection, and
 * dense helpers ({@link org.diffinv.linalg.Dense}) that turn a linear operator on a small image into a
 * commons-math matrix and take SVDs of small matrices, for tests and analytic posteriors.
 *
 * <p>Tensors are DJL {@code NDArray} batches {@code (N, C, H, W)} (or any shape with a leading batch axis);
 * dense matrices are {@link org.apache.commons.math3.linear.RealMatrix} in double precision.
 */
package org.diffinv.linalg;
