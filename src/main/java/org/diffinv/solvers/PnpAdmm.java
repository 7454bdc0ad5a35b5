package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.Tweedie;
import org.diffinv.linalg.CgOptions;
import org.diffinv.operators.LinearOperator;
import org.diffinv.util.Scalars;

/**
 * PnP-ADMM (Venkatakrishnan, Bouman and Wohlberg 2013, "Plug-and-play priors for model based reconstruction";
 * Chan, Wang and Elgendy 2017) with the kit's diffusion prior as the denoiser: scaled-form ADMM ({@link ScaledAdmm})
 * with {@code C = I}, whose z-update, the proximal map of {@code -lambda log p} at penalty {@code rho}, is replaced by
 * a Gaussian denoiser at noise level {@code sd_k}:
 * <pre>
 *   x = argmin 1/2 ||A x - y||^2 + rho/2 ||x - (z - u)||^2            (the kit's proxL2, step 1/rho)
 *   z = D(x + u; sd_k)
 *   u = u + x - z
 *   D(v; sd) = clip(Tweedie(sqrt(abar_t) v, eps_theta(sqrt(abar_t) v, t)), -1, 1),   t = argmin |ln sigma_t - ln sd|
 * </pre>
 * The denoiser reads {@code v = x_0 + sd n} as the variance-exploding iterate of the diffusion at the index {@code t}
 * whose noise level {@code sigma_t = sqrt(1 - abar_t)/sqrt(abar_t)} is nearest to {@code sd} (log scale), scales it to
 * the network's variance-preserving input and returns Tweedie's estimate (the posterior mean, the MMSE denoiser;
 * deepinv's {@code DiffUNet.forward_denoise} does the same in [0, 1]). The exact proximal map would be the MAP
 * denoiser at {@code sd = sqrt(lambda / rho)}; the posterior mean is the plug-and-play surrogate.
 *
 * <p>The noise level runs geometrically from {@code sdStart} to {@code sdEnd} over the iterations (constant when they
 * are equal). Started at {@code x = A^T y}, {@code z = x}, {@code u = 0}; the output is the last data step's {@code x},
 * clipped to [-1, 1], as scico returns it. One NFE per iteration, no gradient through the network.
 *
 * <p>The settings behind the DPS table are UNVERIFIED (recalled as scico with a DnCNN denoiser). The nearest public
 * reference is scico's {@code deconv_ppp_dncnn_admm.py}: rho = 0.2, 10 iterations, the "17M" DnCNN (noise level 0.1 on
 * [0, 1], i.e. {@code sd = 0.2} in the kit's range), CG at tolerance 1e-3 with at most 30 iterations.
 * {@link Params#paper} starts from these and records the per-task values chosen on the validation split. Linear tier.
 */
public final class PnpAdmm implements Solver<LinearOperator> {

    /**
     * Hyperparameters.
     *
     * @param iterations the number {@code K} of ADMM iterations (= NFE)
     * @param rho the ADMM penalty of the data step
     * @param sdStart the denoiser's noise level at the first iteration (kit range)
     * @param sdEnd the denoiser's noise level at the last iteration
     * @param clip clip the denoiser's output and the result to [-1, 1] (image priors: yes; exact priors: no)
     * @param cg the CG options of the data step on the linear tier (closed form on the SVD tier)
     */
    public record Params(int iterations, double rho, double sdStart, double sdEnd, boolean clip, CgOptions cg) {
        /** Validates the values. */
        public Params {
            if (iterations < 1) {
                throw new IllegalArgumentException("PnP-ADMM needs at least 1 iteration, got " + iterations);
            }
            if (!(rho > 0) || !Double.isFinite(rho)) {
                throw new IllegalArgumentException("PnP-ADMM rho must be finite and > 0, got " + rho);
            }
            if (!(sdStart > 0) || !Double.isFinite(sdStart) || !(sdEnd > 0) || !Double.isFinite(sdEnd)) {
                throw new IllegalArgumentException("PnP-ADMM noise levels must be finite and > 0, got sdStart "
                        + sdStart + ", sdEnd " + sdEnd);
            }
            if (cg == null) {
                throw new IllegalArgumentException("PnP-ADMM needs CG options, got null");
            }
        }

        /**
         * scico's demo settings (10 iterations, CG tolerance 1e-3 within 30 iterations; rho = 0.2 and a constant
         * sd = 0.2 for denoising), with rho and the noise levels per task chosen on the validation split, PSNR in dB
         * over validation images 0-9 at seed 0 ({@code kit solve --split validation --images 0-9 --method pnp-admm
         * --set rho=R --set sdStart=S --set sdEnd=E}), against scico's rho 0.2, sd 0.2:
         * <ul>
         *   <li>super-resolution: rho = 0.02, sd 1 -> 0.1: 20.41 (scico's 16.08; rho 0.2 with the same levels 15.94);</li>
         *   <li>Gaussian and motion deblurring: rho = 0.2, sd 0.5 -> 0.05: 27.09 (26.06);</li>
         *   <li>inpainting: rho = 0.2, sd 2 -> 0.1: 20.98 (17.31).</li>
         * </ul>
         */
        public static Params paper(NoiseSchedule schedule, TaskKind kind) {
            CgOptions cg = new CgOptions(30, 1e-3);
            return switch (kind) {
                case SUPER_RESOLUTION -> new Params(10, 0.02, 1.0, 0.1, true, cg);
                case GAUSSIAN_DEBLUR, MOTION_DEBLUR -> new Params(10, 0.2, 0.5, 0.05, true, cg);
                case INPAINTING -> new Params(10, 0.2, 2.0, 0.1, true, cg);
                default -> new Params(10, 0.2, 0.2, 0.2, true, cg);
            };
        }

        /** A copy with {@code k} iterations. */
        public Params withIterations(int k) {
            return new Params(k, rho, sdStart, sdEnd, clip, cg);
        }

        /** A copy with penalty {@code rho}. */
        public Params withRho(double rho) {
            return new Params(iterations, rho, sdStart, sdEnd, clip, cg);
        }

        /** A copy with the noise levels running from {@code start} to {@code end}. */
        public Params withNoiseLevels(double start, double end) {
            return new Params(iterations, rho, start, end, clip, cg);
        }

        /** A copy with or without clipping. */
        public Params withClip(boolean clip) {
            return new Params(iterations, rho, sdStart, sdEnd, clip, cg);
        }

        /** The denoiser's noise level at iteration {@code k}: geometric from {@code sdStart} to {@code sdEnd}. */
        public double sd(int k) {
            if (iterations == 1) {
                return sdStart;
            }
            return sdStart * Math.pow(sdEnd / sdStart, k / (double) (iterations - 1));
        }
    }

    private final Params params;
    private final java.util.function.IntConsumer afterIteration;

    /** PnP-ADMM with {@code params}. */
    public PnpAdmm(Params params) {
        this(params, k -> { });
    }

    /** PnP-ADMM that calls {@code afterIteration} with {@code k} after ADMM iteration {@code k} (tests probe memory). */
    PnpAdmm(Params params, java.util.function.IntConsumer afterIteration) {
        if (params == null) {
            throw new IllegalArgumentException("PnP-ADMM needs parameters, got null");
        }
        this.params = params;
        this.afterIteration = afterIteration;
    }

    /** The hyperparameters. */
    public Params params() {
        return params;
    }

    @Override
    public String name() {
        return "pnp-admm";
    }

    @Override
    public String citation() {
        return "PnP-ADMM, Venkatakrishnan et al. 2013 / Chan et al. 2017, with the diffusion prior's Tweedie denoiser";
    }

    @Override
    public Class<LinearOperator> tier() {
        return LinearOperator.class;
    }

    @Override
    public NDArray reconstruct(SolveContext<LinearOperator> ctx) {
        LinearOperator a = ctx.a();
        NoiseSchedule schedule = ctx.schedule();
        double rho = params.rho();
        NDArray x = ScaledAdmm.run(a.adjoint(ctx.y()), new ScaledAdmm.Steps() {
            @Override
            public NDArray xUpdate(NDArray xPrev, NDArray v, int k) {
                return a.proxL2(v, ctx.y(), 1 / rho, params.cg());
            }

            @Override
            public NDArray split(NDArray x) {
                return x.duplicate();
            }

            @Override
            public NDArray zUpdate(NDArray w, int k) {
                int t = schedule.nearestVeSigmaIndex(params.sd(k));
                NDArray xt = Scalars.mul(w, Math.sqrt(schedule.alphaBar(t)));
                NDArray z = Tweedie.x0FromEps(schedule, xt, ctx.prior().eps(xt, t), t);
                return params.clip() ? z.clip(-1, 1) : z;
            }
        }, params.iterations(), afterIteration);
        return params.clip() ? x.clip(-1, 1) : x;
    }

    @Override
    public String toString() {
        return "pnp-admm(K=" + params.iterations() + ", rho=" + params.rho() + ", sd=" + params.sdStart() + "->"
                + params.sdEnd() + ")";
    }
}
