/**
 * Solvers for inverse problems with diffusion priors: the solver API, the shared fragments, and one small class per
 * method.
 *
 * <p><b>API.</b> {@link org.diffinv.solvers.Solver} (pixel priors) and {@link org.diffinv.solvers.LatentSolver}
 * (latent priors: a conditional latent noise predictor with its autoencoder, {@link org.diffinv.solvers.LatentPrior})
 * are parameterised by the operator tier they need; {@link org.diffinv.solvers.Problem},
 * {@link org.diffinv.solvers.Run} and {@link org.diffinv.solvers.Reconstruction} carry the input, the randomness
 * and the output with its cost ledger; {@link org.diffinv.solvers.SolveContext} does validation, metering and memory
 * once for every method. {@link org.diffinv.solvers.SolverRegistry} and
 * {@link org.diffinv.solvers.LatentSolverRegistry} list the methods by name with their paper defaults.
 *
 * <p><b>Shared fragments</b> (each exists once): the reverse loop ({@link org.diffinv.diffusion.ReverseLoop}, through
 * {@link org.diffinv.solvers.SolveContext#loop}); {@link org.diffinv.solvers.Guidance} (eps, Tweedie and the
 * gradient of an objective through the network in one recording; plain gradients of a scalar function);
 * {@link org.diffinv.solvers.MeasurementProjection}; {@link org.diffinv.solvers.P2lProjection} and
 * {@link org.diffinv.solvers.DdsStep} (a few conjugate-gradient iterations on
 * {@code (A^T A + lambda I) x = A^T y + lambda x_anchor}); {@code ScaledAdmm} (the ADMM loop of PnP-ADMM and
 * ADMM-TV); {@code LatentDps} (the loop and objective of LDPS, GML-DPS and PSLD, reused by LDIR and ReSample);
 * {@link org.diffinv.solvers.HeavyBall} and {@link org.diffinv.solvers.TensorAdam} (optimiser state on tensors).
 *
 * <p><b>Methods.</b> Pixel: DPS, DDRM, PiGDM, C-PiGDM (noiseless and noisy), the continuous PiGDM baseline
 * (PiGDM-VP), MCG, Score-SDE projection, DiffPIR, DDS, PnP-ADMM, ADMM-TV, DAPS, DCDP (V1, V2, constant schedule,
 * consistency-model purification DCDP-CM), and the baselines A^+ y and Tweedie of a noised A^+ y. Latent: LDPS,
 * GML-DPS, PSLD, LDIR, ReSample, latent DCDP (approaches I and II).
 */
package org.diffinv.solvers;
