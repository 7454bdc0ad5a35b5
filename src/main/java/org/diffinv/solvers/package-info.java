/**
 * Solvers for inverse problems with diffusion priors: the Solver API, shared fragments, one small class per
 * method.
 *
 * <p>Shared fragments so far: {@link org.diffinv.solvers.P2lProjection} (P2L's proximal projection, Eq. 16)
 * and {@link org.diffinv.solvers.DdsStep} (DDS's Krylov data-consistency update), both a few
 * conjugate-gradient iterations ({@link org.diffinv.linalg.ConjugateGradient}) on
 * {@code (A^T A + lambda I) x = A^T y + lambda x_anchor} started at the prior's estimate.
 */
package org.diffinv.solvers;
