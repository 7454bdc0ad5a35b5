package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.StepResult;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.diffusion.Tweedie;
import org.diffinv.operators.SvdOperator;
import org.diffinv.util.Scalars;

/**
 * Denoising diffusion restoration models, DDRM (Kawar, Elad, Ermon and Song, NeurIPS 2022, Eqs. 7-8 and Appendix
 * C): a DDIM-like sampler run in the spectral space of {@code A = U S V^T}, where each coefficient is updated by its
 * own rule depending on whether it is unobserved, observed less noisily than the current noise level, or observed
 * more noisily.
 *
 * <p>Glossary (VE scaling of the VP iterate, {@code xb = V^T x_t / sqrt(abar_t)}; {@code sy = sigma_y} in the working
 * range; {@code sig_t = sqrt(1 - abar_t) / sqrt(abar_t)}):
 * <pre>
 *   ybar  = S^+ U^T y                     xb0 = V^T x0Hat        eb = V^T eps
 *   start: xb_i = (ybar_i + sqrt(sig_T^2 - sy^2/s_i^2) z_i) / sig_T   if s_i sig_T > sy   (reference code)
 *          xb_i = z_i                                                 otherwise;   x_T = V xb
 *   step t -> s, per index i:
 *     s_i = 0 (missing):     xb_i = xb0_i + sqrt(1-eta^2) sig_s eb_i + eta sig_s z            (Eq. 7, first line)
 *     s_i sig_s &lt; sy:       xb_i = xb0_i + sqrt(1-eta^2) sig_s s_i (ybar_i - xb0_i)/sy + eta sig_s z   (Eq. 8)
 *     s_i sig_s &gt;= sy:      xb_i = eta_b ybar_i + (1-eta_b) xb0_i + sqrt(sig_s^2 - eta_b^2 sy^2/s_i^2) z   (Eq. 8)
 *   x_s = sqrt(abar_s) V xb
 * </pre>
 * The "more noisy" case uses {@code >=} as the paper's Eq. 8 does; the reference code's strict {@code >} sends the
 * observed coefficients of the last noiseless step to the "missing" rule. With {@code >=} and {@code eta_b = 1},
 * noiseless DDRM ends on {@code xb_i = ybar_i} for every observed coefficient: {@code A x_0 = y} exactly.
 * The start divides by {@code sig_T} as the reference code does (the exact VP scaling {@code sqrt(abar_T)} differs by
 * the factor {@code sqrt(1 - abar_T)}, about 1 at T = 999). SVD tier.
 */
public final class Ddrm implements Solver<SvdOperator> {

    /**
     * DDRM hyperparameters.
     *
     * @param grid the reverse grid (reference: 20 uniform DDIM steps)
     * @param eta the stochasticity {@code eta} of the missing and less-noisy rules (reference 0.85)
     * @param etaB the weight {@code eta_b} of the measurement in the more-noisy rule (reference 1.0)
     */
    public record Params(TimeGrid grid, double eta, double etaB) {
        /** Validates the values. */
        public Params {
            if (grid == null) {
                throw new IllegalArgumentException("DDRM needs a time grid, got null");
            }
            if (!(eta >= 0 && eta <= 1)) {
                throw new IllegalArgumentException("DDRM eta must be in [0, 1], got " + eta);
            }
            if (!(etaB >= 0 && etaB <= 1)) {
                throw new IllegalArgumentException("DDRM eta_b must be in [0, 1], got " + etaB);
            }
        }

        /**
         * The reference configuration (DDRM repository, {@code main.py} defaults {@code --timesteps 20 --eta 0.85
         * --etaB 1}) for every task kind; nothing depends on the image size.
         */
        public static Params paper(NoiseSchedule schedule, TaskKind kind) {
            return new Params(TimeGrid.ddimUniform(schedule, 20), 0.85, 1.0);
        }

        /** A copy on another grid. */
        public Params withGrid(TimeGrid grid) {
            return new Params(grid, eta, etaB);
        }

        /** A copy with stochasticity {@code eta}. */
        public Params withEta(double eta) {
            return new Params(grid, eta, etaB);
        }

        /** A copy with measurement weight {@code etaB}. */
        public Params withEtaB(double etaB) {
            return new Params(grid, eta, etaB);
        }
    }

    private final Params params;

    /** DDRM with {@code params}. */
    public Ddrm(Params params) {
        if (params == null) {
            throw new IllegalArgumentException("DDRM needs parameters, got null");
        }
        this.params = params;
    }

    /** The hyperparameters. */
    public Params params() {
        return params;
    }

    @Override
    public String name() {
        return "ddrm";
    }

    @Override
    public String citation() {
        return "DDRM, Kawar et al. 2022 (NeurIPS), Eqs. 7-8";
    }

    @Override
    public Class<SvdOperator> tier() {
        return SvdOperator.class;
    }

    @Override
    public NDArray reconstruct(SolveContext<SvdOperator> ctx) {
        TimeGrid grid = ctx.requireGrid(params.grid(), "DDRM");
        NoiseSchedule schedule = grid.schedule();
        SvdOperator h = ctx.a();
        double sy = ctx.sigmaY();
        double eta = params.eta();
        double etaB = params.etaB();
        NDArray uty = h.ut(ctx.y());
        NDArray s = h.singularValues(uty);
        NDArray observed = s.gt(0);
        NDArray missing = observed.logicalNot();
        NDArray ybar = uty.mul(SvdOperator.reciprocalOrZero(s));
        NDArray s2 = s.square();
        NDArray sySquaredOverS2 = NDArrays.where(observed, Scalars.mul(s2.onesLike(), sy * sy)
                .div(NDArrays.where(observed, s2,
                s2.onesLike())), s2.zerosLike());

        double sigT = sig(schedule, grid.startTime());
        NDArray z = ctx.normal();
        NDArray large = Scalars.mul(s, sigT).gt(sy).logicalAnd(observed);
        NDArray remaining = Scalars.add(Scalars.mul(sySquaredOverS2, -1), sigT * sigT).maximum(0).sqrt();
        NDArray start = NDArrays.where(large, Scalars.div(ybar.add(remaining.mul(z)), sigT), z);
        NDArray xT = h.v(start);

        return ctx.loop(grid, xT, (i, step, xt) -> {
            NDArray eps = ctx.prior().eps(xt, step.t());
            NDArray x0Hat = Tweedie.x0FromEps(schedule, xt, eps, step.t());
            NDArray xb0 = h.vt(x0Hat);
            NDArray eb = h.vt(eps);
            double abarS = step.tPrev() < 0 ? 1.0 : schedule.alphaBar(step.tPrev());
            double sigS = step.tPrev() < 0 ? 0.0 : sig(schedule, step.tPrev());
            NDArray noise = ctx.noise().normalLike(xb0);
            double keep = Math.sqrt(1 - eta * eta) * sigS;
            // s_i = 0: missing
            NDArray missingRule = xb0.add(Scalars.mul(eb, keep)).add(Scalars.mul(noise, eta * sigS));
            // s_i sig_s < sy: less noisy than y
            NDArray lessNoisy = sy > 0
                    ? xb0.add(Scalars.mul(s.mul(ybar.sub(xb0)), keep / sy)).add(Scalars.mul(noise, eta * sigS))
                    : xb0;
            // s_i sig_s >= sy: noisier than y
            NDArray std = Scalars.add(Scalars.mul(sySquaredOverS2, -etaB * etaB), sigS * sigS).maximum(0).sqrt();
            NDArray moreNoisy = Scalars.mul(ybar, etaB).add(Scalars.mul(xb0, 1 - etaB)).add(std.mul(noise));
            NDArray isMoreNoisy = Scalars.mul(s, sigS).gte(sy).logicalAnd(observed);
            NDArray xb = NDArrays.where(missing, missingRule, NDArrays.where(isMoreNoisy, moreNoisy, lessNoisy));
            NDArray xs = Scalars.mul(h.v(xb), Math.sqrt(abarS));
            return new StepResult(xs, x0Hat);
        });
    }

    /** {@code sig_t = sqrt(1 - abar_t) / sqrt(abar_t)}, the VE noise level of time index {@code t}. */
    static double sig(NoiseSchedule schedule, int t) {
        double abar = schedule.alphaBar(t);
        return Math.sqrt(1 - abar) / Math.sqrt(abar);
    }

    @Override
    public String toString() {
        return "ddrm(eta=" + params.eta() + ", etaB=" + params.etaB() + ", " + params.grid() + ")";
    }
}
