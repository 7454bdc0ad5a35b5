package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import org.diffinv.diffusion.DdimStep;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.StepResult;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.operators.SvdOperator;
import org.diffinv.util.Scalars;

/**
 * Pseudoinverse-guided diffusion models, PiGDM (Song, Vahdat, Mardani and Kautz, ICLR 2023, Algorithm 1 with Eqs.
 * 7-8), noiseless and noisy, in the SVD form.
 *
 * <p>PiGDM approximates {@code p(x_0 | x_t)} by {@code N(x0Hat, r_t^2 I)}, {@code r_t^2 = 1 - abar_t}, which makes
 * {@code p(y | x_t)} Gaussian; its score is {@code J^T m} with {@code J = d x0Hat / d x_t} and
 * <pre>
 *   m = V [ S (U^T y - S V^T x0Hat) / (S^2 + sigma_y^2 / r_t^2) ]          (Eq. 8; noiseless: m = H^+ y - H^+ H x0Hat)
 * </pre>
 * Per grid pair {@code (t, s)}, from the warm start {@code x_T = sqrt(abar_T) H^+ y + sqrt(1 - abar_T) z}:
 * <pre>
 *   eps, x0Hat = eps_theta(x_t, t), Tweedie(x_t, eps)            (no clipping)
 *   g   = J^T stopgrad(m(x0Hat))                                   (one VJP through the network)
 *   x_s = sqrt(abar_s) x0Hat + c1 z + c2 eps + w sqrt(abar_s) sqrt(abar_t) g
 *   c1  = eta sqrt((1 - abar_t/abar_s)(1 - abar_s)/(1 - abar_t)),   c2 = sqrt(1 - abar_s - c1^2)
 * </pre>
 * The first three terms are the DDIM(eta) step ({@link DdimStep#update}); the guidance weight {@code w_t = r_t^2}
 * of the reference implementation cancels {@code r_t^{-2}}, leaving the constant {@code w}. The last step
 * ({@code s = -1}) returns {@code x0Hat + w sqrt(abar_t) g}. SVD tier; {@code sigma_y} from the problem's noise
 * (working range), so one class covers the noiseless and the noisy method.
 */
public final class Pigdm implements Solver<SvdOperator> {

    /**
     * PiGDM hyperparameters.
     *
     * @param grid the reverse grid (uniform stride {@code 1000/N})
     * @param eta the DDIM stochasticity (reference 1.0)
     * @param w the guidance weight (reference 1.0)
     */
    public record Params(TimeGrid grid, double eta, double w) {
        /** Validates the values. */
        public Params {
            if (grid == null) {
                throw new IllegalArgumentException("PiGDM needs a time grid, got null");
            }
            if (!(eta >= 0 && eta <= 1)) {
                throw new IllegalArgumentException("PiGDM eta must be in [0, 1], got " + eta);
            }
            if (!(w >= 0) || !Double.isFinite(w)) {
                throw new IllegalArgumentException("PiGDM guidance weight w must be finite and >= 0, got " + w);
            }
        }

        /**
         * The reference configuration (PiGDM paper, Section 5: 100 DDIM steps, {@code eta = 1.0}; guidance weight
         * {@code w_t = r_t^2}, i.e. {@code w = 1}) for every task kind; nothing depends on the image size.
         */
        public static Params paper(NoiseSchedule schedule, TaskKind kind) {
            return new Params(TimeGrid.ddimUniform(schedule, 100), 1.0, 1.0);
        }

        /** A copy on another grid. */
        public Params withGrid(TimeGrid grid) {
            return new Params(grid, eta, w);
        }

        /** A copy with stochasticity {@code eta}. */
        public Params withEta(double eta) {
            return new Params(grid, eta, w);
        }

        /** A copy with guidance weight {@code w}. */
        public Params withW(double w) {
            return new Params(grid, eta, w);
        }
    }

    private final Params params;

    /** PiGDM with {@code params}. */
    public Pigdm(Params params) {
        if (params == null) {
            throw new IllegalArgumentException("PiGDM needs parameters, got null");
        }
        this.params = params;
    }

    /** The hyperparameters. */
    public Params params() {
        return params;
    }

    @Override
    public String name() {
        return "pigdm";
    }

    @Override
    public String citation() {
        return "PiGDM, Song et al. 2023 (ICLR), Algorithm 1, Eqs. 7-8";
    }

    @Override
    public Class<SvdOperator> tier() {
        return SvdOperator.class;
    }

    @Override
    public NDArray reconstruct(SolveContext<SvdOperator> ctx) {
        TimeGrid grid = ctx.requireGrid(params.grid(), "PiGDM");
        NoiseSchedule schedule = grid.schedule();
        SvdOperator h = ctx.a();
        double sy = ctx.sigmaY();
        NDArray uty = h.ut(ctx.y());
        NDArray s = h.singularValues(uty);
        NDArray observed = s.gt(0);
        NDArray s2 = s.square();

        double abarT = schedule.alphaBar(grid.startTime());
        NDArray xT = Scalars.mul(h.pinv(ctx.y()), Math.sqrt(abarT))
                .add(Scalars.mul(ctx.normal(), Math.sqrt(1 - abarT)));

        return ctx.loop(grid, xT, (i, step, xt) -> {
            int t = step.t();
            double abart = schedule.alphaBar(t);
            double abarS = step.tPrev() < 0 ? 1.0 : schedule.alphaBar(step.tPrev());
            double rt2 = 1 - abart;
            Guidance.Result g = ctx.guide(xt, t, Guidance.innerProduct(x0 -> residual(h, uty, s, observed, s2, sy * sy / rt2, x0)));
            NDArray ddim = DdimStep.update(schedule, g.x0Hat(), g.eps(), t, step.tPrev(), params.eta(), ctx.noise());
            NDArray xs = ddim.add(Scalars.mul(g.gradient(), params.w() * Math.sqrt(abarS) * Math.sqrt(abart)));
            return new StepResult(xs, g.x0Hat());
        });
    }

    /**
     * PiGDM's residual (Eq. 8 in the SVD form) {@code m = V [ S (U^T y - S V^T x0) / (S^2 + sigma_y^2 / r_t^2) ]}, zero
     * where {@code s = 0}; {@code H^+ y - P x0} when {@code sigma_y = 0}. Shared with {@link PigdmVp}.
     *
     * @param uty {@code U^T y}
     * @param s the singular values (input-shaped), {@code observed = s > 0}, {@code s2 = s^2}
     * @param noiseRatio {@code sigma_y^2 / r_t^2}
     */
    static NDArray residual(SvdOperator h, NDArray uty, NDArray s, NDArray observed, NDArray s2, double noiseRatio,
            NDArray x0) {
        NDArray r = uty.sub(s.mul(h.vt(x0)));
        NDArray den = NDArrays.where(observed, Scalars.add(s2, noiseRatio), s2.onesLike());
        return h.v(s.mul(r).div(den));
    }

    @Override
    public String toString() {
        return "pigdm(eta=" + params.eta() + ", w=" + params.w() + ", " + params.grid() + ")";
    }
}
