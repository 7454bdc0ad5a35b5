/**
 * Unconditional sampling from a prior: {@link org.diffinv.sampling.Sampler} (DDPM ancestral or DDIM steps over a
 * time grid), the step rule of the shared {@link org.diffinv.diffusion.ReverseLoop}.
 *
 * <p>This package sits above {@code diffusion} (schedules, grids, steps) and {@code priors} (the prior
 * interface), so that neither of those imports the other.
 */
package org.diffinv.sampling;
