/**
 * Diffusion machinery shared by every sampler and solver: noise schedules, time grids, the reverse-step
 * fragments and an unconditional sampler, with explicit seeded randomness.
 *
 * <ul>
 *   <li>Schedules (immutable values): {@link org.diffinv.diffusion.NoiseSchedule} (discrete VP: linear,
 *       scaled-linear, cosine; SNR and Flash-Diffusion's SNR matching) and
 *       {@link org.diffinv.diffusion.ContinuousVpSchedule} (the VP SDE of C-PiGDM).</li>
 *   <li>Time grids, read from the schedule only: {@link org.diffinv.diffusion.TimeGrid} (DDPM, DDIM uniform and
 *       quadratic, the LDM grid, DCDP's inner grid), {@link org.diffinv.diffusion.ContinuousTimeGrid}
 *       (C-PiGDM) and {@link org.diffinv.diffusion.PurificationSchedule} (DCDP's decaying strengths).</li>
 *   <li>Fragments, each existing once: {@link org.diffinv.diffusion.Tweedie},
 *       {@link org.diffinv.diffusion.DdpmStep}, {@link org.diffinv.diffusion.DdimStep}, all returning
 *       {@link org.diffinv.diffusion.StepResult} ({@code x_{t-1}} and {@code x0Hat}).</li>
 *   <li>{@link org.diffinv.diffusion.ReverseLoop}: the one reverse loop every sampler and solver runs on, with a
 *       {@link org.diffinv.diffusion.SamplerListener} hook, per-step sub-managers and interrupt handling
 *       ({@link org.diffinv.diffusion.SamplingInterruptedException}).</li>
 *   <li>{@link org.diffinv.diffusion.NoiseSource}: the only source of randomness.</li>
 * </ul>
 * Notation: the kit writes {@code alphaBar} for DDPM's {@code abar_t} (DDIM's {@code alpha_t}), with
 * {@code abar_{-1} = 1}.
 */
package org.diffinv.diffusion;
