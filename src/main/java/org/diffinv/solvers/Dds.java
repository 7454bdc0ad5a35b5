package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.StepResult;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.diffusion.Tweedie;
import org.diffinv.operators.LinearOperator;
import org.diffinv.util.Scalars;

/**
 * Decomposed diffusion sampling, DDS (Chung, Lee and Ye, ICLR 2024, Algorithm 1): Tweedie's estimate, a few
 * conjugate-gradient iterations on the data term started at it (the Krylov subspace keeps the update on the tangent
 * of the clean-data manifold, so no gradient through the network is needed), then a DDIM-type re-noising.
 * <pre>
 *   x_T ~ N(0, I)
 *   per grid pair (t, s):
 *     e   = eps_theta(x_t, t);   x0 = Tweedie(x_t, e)                            (not clipped)
 *     x0  = M CG iterations from x0 on  A^T A x = A^T y                          (noiseless)
 *                                   or  (I + gamma A^T A) x = x0 + gamma A^T y   (noisy: the proximal map)
 *     x_s = sqrt(abar_s) x0 + sqrt(1 - abar_s) (eta z + sqrt(1 - eta^2) e)       (e: the network's, not re-derived)
 * </pre>
 * DDS's {@code eta} splits {@code sqrt(1 - abar_s)} directly; it is not DDIM's eta. The noisy system is
 * {@link DdsStep} with weight {@code 1/gamma}; the noiseless branch is chosen when the problem's noise is zero.
 * Defaults of the reference scripts (HJ-harry/DDS {@code eval_*.sh}): T = 50 uniform steps, M = 5, eta = 0.85,
 * gamma = 1 (the repository's settings are for medical images; the natural-image settings of the paper's appendix are
 * UNVERIFIED). The reference's CG shares one step size over the batch; the kit's CG is per image. Linear tier.
 */
public final class Dds implements Solver<LinearOperator> {

    /**
     * Hyperparameters.
     *
     * @param grid the reverse grid (reference: 50 uniform steps)
     * @param cgIterations {@code M}, CG iterations per step
     * @param eta the share of fresh noise in the re-noising
     * @param gamma the data weight of the noisy branch
     */
    public record Params(TimeGrid grid, int cgIterations, double eta, double gamma) {
        /** Validates the values. */
        public Params {
            if (grid == null) {
                throw new IllegalArgumentException("DDS needs a time grid, got null");
            }
            if (cgIterations < 1) {
                throw new IllegalArgumentException("DDS needs at least 1 CG iteration, got " + cgIterations);
            }
            if (!(eta >= 0 && eta <= 1)) {
                throw new IllegalArgumentException("DDS eta must be in [0, 1], got " + eta);
            }
            if (!(gamma > 0) || !Double.isFinite(gamma)) {
                throw new IllegalArgumentException("DDS gamma must be finite and > 0, got " + gamma);
            }
        }

        /**
         * The reference scripts' defaults: 50 uniform steps, M = 5, eta = 0.85, gamma = 1 (for MRI, whose operator has
         * singular values near 1). For super-resolution the kit rescales gamma by {@code 1/s^2 = 16}, the inverse
         * squared singular value of a x4 down-sampling, so the data term keeps the reference's weight against the
         * identity. Validation (10 validation images, seed 1, {@code kit solve --split validation --images 0-9 --set
         * gamma=G}), PSNR in dB: SR x4 bicubic 12.67 at gamma 1, 18.82 at 16, 18.99 at 100; box inpainting 19.88 /
         * 19.76 / 19.76 (insensitive, s = 1); Gaussian deblurring 22.61 at 1, 23.60 at 16 (kept at the reference 1:
         * its singular values spread from 1 down to 1e-3, and no single rescaling follows from them).
         */
        public static Params paper(NoiseSchedule schedule, TaskKind kind) {
            double gamma = kind == TaskKind.SUPER_RESOLUTION ? 16.0 : 1.0;
            return new Params(TimeGrid.ddimUniform(schedule, 50), 5, 0.85, gamma);
        }

        /** A copy on another grid. */
        public Params withGrid(TimeGrid grid) {
            return new Params(grid, cgIterations, eta, gamma);
        }

        /** A copy with data weight {@code gamma}. */
        public Params withGamma(double gamma) {
            return new Params(grid, cgIterations, eta, gamma);
        }
    }

    private final Params params;

    /** DDS with {@code params}. */
    public Dds(Params params) {
        if (params == null) {
            throw new IllegalArgumentException("DDS needs parameters, got null");
        }
        this.params = params;
    }

    /** The hyperparameters. */
    public Params params() {
        return params;
    }

    @Override
    public String name() {
        return "dds";
    }

    @Override
    public String citation() {
        return "DDS, Chung et al. 2024 (ICLR), Algorithm 1";
    }

    @Override
    public Class<LinearOperator> tier() {
        return LinearOperator.class;
    }

    @Override
    public NDArray reconstruct(SolveContext<LinearOperator> ctx) {
        TimeGrid grid = ctx.requireGrid(params.grid(), "DDS");
        NoiseSchedule schedule = grid.schedule();
        double weight = ctx.sigmaY() > 0 ? 1 / params.gamma() : 0;
        double eta = params.eta();
        return ctx.loop(grid, ctx.normal(), (i, step, xt) -> {
            NDArray e = ctx.prior().eps(xt, step.t());
            NDArray x0 = Tweedie.x0FromEps(schedule, xt, e, step.t());
            NDArray x0Data = DdsStep.update(ctx.a(), ctx.y(), x0, weight, params.cgIterations());
            double abarS = step.tPrev() < 0 ? 1.0 : schedule.alphaBar(step.tPrev());
            if (abarS == 1.0) {
                return new StepResult(x0Data, x0Data);
            }
            NDArray direction = Scalars.mul(e, Math.sqrt(1 - eta * eta));
            if (eta > 0) {
                direction = direction.add(Scalars.mul(ctx.noise().normalLike(e), eta));
            }
            return new StepResult(Scalars.mul(x0Data, Math.sqrt(abarS))
                    .add(Scalars.mul(direction, Math.sqrt(1 - abarS))), x0Data);
        });
    }

    @Override
    public String toString() {
        return "dds(M=" + params.cgIterations() + ", eta=" + params.eta() + ", gamma=" + params.gamma() + ", "
                + params.grid() + ")";
    }
}
