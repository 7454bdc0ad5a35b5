package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.StepResult;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.diffusion.Tweedie;
import org.diffinv.linalg.CgOptions;
import org.diffinv.operators.LinearOperator;
import org.diffinv.operators.SvdOperator;
import org.diffinv.util.Scalars;

/**
 * DiffPIR (Zhu, Zhang, Liang, Cao, Wen, Timofte and Van Gool, CVPRW 2023, Algorithm 1): plug-and-play restoration in
 * which each reverse step denoises, takes the proximal step of the data term on the estimate, and re-noises with a
 * mixture of the re-derived noise and fresh noise.
 * <pre>
 *   sig   = max(0.001, sigma_y / 2)                   (the reference states sigma_y in [0, 1] units)
 *   rho_t = lambda sig^2 / s_t^2,   s_t = sqrt(1 - abar_t) / sqrt(abar_t)
 *   x_T   = sqrt(abar_T) x_init + sqrt(1 - abar_T) z,  x_init = A^+ y (SVD tier) or A^T y
 *   per grid pair (t, s):
 *     x0  = clip(Tweedie(x_t, eps_theta(x_t, t)), -1, 1)
 *     x0  = argmin_v ||A v - y||^2 + rho_t ||v - x0||^2                     (Eq. 13; the kit's proxL2, step 1/rho_t)
 *     e   = (x_t - sqrt(abar_t) x0) / sqrt(1 - abar_t)                        (noise re-derived from the new x0)
 *     c   = eta sqrt(1 - abar_s)/sqrt(1 - abar_t) sqrt(beta_t)
 *     x_s = sqrt(abar_s) x0 + sqrt(1 - zeta) (sqrt(1 - abar_s - c^2) e + c z1) + sqrt(zeta) sqrt(1 - abar_s) z2   (Eq. 15)
 * </pre>
 * Grid: the reference's quadratic grid {@code q_k = int(1000 sqrt(k/(N-1)))}, {@code t_k = 999 - q_k} (with the last
 * {@code q} lowered by one), and the output is the iterate at {@code t = 0} (it still carries noise of std
 * {@code sqrt(1 - abar_0)}, about 0.01). The reference evaluates the network once more at {@code t = 0} and discards
 * the result; the kit skips that evaluation, so {@code N} grid points cost {@code N - 1} NFE. The inpainting script's
 * final paste of the known pixels is a script detail, not part of Algorithm 1, and is not done. Linear tier (the
 * proximal map by CG; closed form on the SVD tier).
 */
public final class DiffPir implements Solver<LinearOperator> {

    /**
     * Hyperparameters.
     *
     * @param points the number {@code N} of grid points of the quadratic grid
     * @param lambda the data weight {@code lambda}
     * @param zeta the share {@code zeta} of fresh noise in the re-noising
     * @param eta the DDPM-type stochasticity of the re-derived part (reference 0)
     * @param clipX0 clip the Tweedie estimate (image priors: yes, as in the reference)
     * @param cg the CG options of the proximal map on the linear tier
     */
    public record Params(int points, double lambda, double zeta, double eta, boolean clipX0, CgOptions cg) {
        /** Validates the values. */
        public Params {
            if (points < 2 || points > 1000) {
                throw new IllegalArgumentException("DiffPIR needs 2 to 1000 grid points, got " + points);
            }
            if (!(lambda > 0) || !Double.isFinite(lambda)) {
                throw new IllegalArgumentException("DiffPIR lambda must be finite and > 0, got " + lambda);
            }
            if (!(zeta >= 0 && zeta <= 1)) {
                throw new IllegalArgumentException("DiffPIR zeta must be in [0, 1], got " + zeta);
            }
            if (!(eta >= 0 && eta <= 1)) {
                throw new IllegalArgumentException("DiffPIR eta must be in [0, 1], got " + eta);
            }
            if (cg == null) {
                throw new IllegalArgumentException("DiffPIR needs CG options, got null");
            }
        }

        /**
         * The reference scripts' settings (yuanzhi-zhu/DiffPIR main_ddpir_*.py): deblurring N = 100, lambda = 7,
         * zeta = 0.3; SR N = 100, zeta = 0.25 and lambda 7 (the script sweeps 2 to 12; the kit's choice, UNVERIFIED);
         * inpainting N = 20, lambda = 1, zeta = 1; eta = 0. Nothing depends on the image size (rho is a ratio of
         * noise levels).
         */
        public static Params paper(NoiseSchedule schedule, TaskKind kind) {
            return switch (kind) {
                case INPAINTING -> new Params(20, 1.0, 1.0, 0, true, CgOptions.DEFAULT);
                case SUPER_RESOLUTION -> new Params(100, 7.0, 0.25, 0, true, CgOptions.DEFAULT);
                default -> new Params(100, 7.0, 0.3, 0, true, CgOptions.DEFAULT);
            };
        }

        /** A copy with {@code n} grid points. */
        public Params withPoints(int n) {
            return new Params(n, lambda, zeta, eta, clipX0, cg);
        }

        /** A copy with data weight {@code lambda}. */
        public Params withLambda(double lambda) {
            return new Params(points, lambda, zeta, eta, clipX0, cg);
        }

        /** A copy with fresh-noise share {@code zeta}. */
        public Params withZeta(double zeta) {
            return new Params(points, lambda, zeta, eta, clipX0, cg);
        }

        /** A copy with or without clipping. */
        public Params withClipX0(boolean clipX0) {
            return new Params(points, lambda, zeta, eta, clipX0, cg);
        }
    }

    private final Params params;

    /** DiffPIR with {@code params}. */
    public DiffPir(Params params) {
        if (params == null) {
            throw new IllegalArgumentException("DiffPIR needs parameters, got null");
        }
        this.params = params;
    }

    /** The hyperparameters. */
    public Params params() {
        return params;
    }

    /**
     * The reference's quadratic grid of {@code n} points, as a {@link TimeGrid} of its first {@code n - 1} points ending
     * at {@code tPrev = 0} (the last point).
     */
    public static TimeGrid quadraticGrid(NoiseSchedule schedule, int n) {
        int total = schedule.steps();
        int[] t = new int[n];
        for (int k = 0; k < n; k++) {
            int q = (int) (total * Math.sqrt(k / (double) (n - 1)));
            if (k == n - 1) {
                q -= 1;
            }
            t[k] = total - 1 - q;
        }
        return TimeGrid.of(schedule, t[n - 1], java.util.Arrays.copyOf(t, n - 1));
    }

    @Override
    public String name() {
        return "diffpir";
    }

    @Override
    public String citation() {
        return "DiffPIR, Zhu et al. 2023 (CVPRW), Algorithm 1, Eqs. 13-15";
    }

    @Override
    public Class<LinearOperator> tier() {
        return LinearOperator.class;
    }

    @Override
    public NDArray reconstruct(SolveContext<LinearOperator> ctx) {
        TimeGrid grid = ctx.requireGrid(quadraticGrid(ctx.schedule(), params.points()), "DiffPIR");
        NoiseSchedule schedule = grid.schedule();
        LinearOperator a = ctx.a();
        double sig = Math.max(0.001, ctx.sigmaY() / 2);
        double abarT = schedule.alphaBar(grid.startTime());
        NDArray xInit = a instanceof SvdOperator svd ? svd.pinv(ctx.y()) : a.adjoint(ctx.y());
        NDArray xT = Scalars.mul(xInit, Math.sqrt(abarT)).add(Scalars.mul(ctx.normal(), Math.sqrt(1 - abarT)));
        return ctx.loop(grid, xT, (i, step, xt) -> {
            int t = step.t();
            int s = step.tPrev();
            double abart = schedule.alphaBar(t);
            double abarS = schedule.alphaBar(s);
            NDArray x0 = Tweedie.x0FromEps(schedule, xt, ctx.prior().eps(xt, t), t);
            if (params.clipX0()) {
                x0 = x0.clip(-1, 1);
            }
            double st2 = (1 - abart) / abart;
            double rho = params.lambda() * sig * sig / st2;
            NDArray x0Data = a.proxL2(x0, ctx.y(), 1 / rho, params.cg());
            NDArray e = Scalars.div(xt.sub(Scalars.mul(x0Data, Math.sqrt(abart))), Math.sqrt(1 - abart));
            double c = params.eta() * Math.sqrt(1 - abarS) / Math.sqrt(1 - abart) * Math.sqrt(schedule.beta(t));
            double zeta = params.zeta();
            NDArray xs = Scalars.mul(x0Data, Math.sqrt(abarS))
                    .add(Scalars.mul(e, Math.sqrt(1 - zeta) * Math.sqrt(Math.max(0, 1 - abarS - c * c))));
            if (c > 0 && zeta < 1) {
                xs = xs.add(Scalars.mul(ctx.noise().normalLike(xs), Math.sqrt(1 - zeta) * c));
            }
            if (zeta > 0) {
                xs = xs.add(Scalars.mul(ctx.noise().normalLike(xs), Math.sqrt(zeta) * Math.sqrt(1 - abarS)));
            }
            return new StepResult(xs, x0Data);
        });
    }

    @Override
    public String toString() {
        return "diffpir(N=" + params.points() + ", lambda=" + params.lambda() + ", zeta=" + params.zeta() + ", eta="
                + params.eta() + ")";
    }
}
