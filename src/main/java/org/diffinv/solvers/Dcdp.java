package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.PurificationSchedule;
import org.diffinv.operators.Operator;
import org.diffinv.util.Scalars;

/**
 * DCDP, decoupled data consistency with diffusion purification (Li, Kwon, Alkhouri, Ravishankar and Qu; pixel
 * Versions 1 and 2 of the reference code), see {@link DcdpRounds}:
 * <pre>
 *   x = 0;  T_0 .. T_{K-1} = the purification schedule (linear decay from T0 to Tend, or constant)
 *   per round k:
 *     tau heavy-ball steps (mu = 0.9, fresh buffer):  g = (2/m) A^T (A x - y)   (the gradient of the MEAN squared
 *                                                     error, m = entries of one measurement; the VJP for nonlinear A)
 *     Version 1: x = DDIM purification from T_k (at most 20 steps, clipped x0)
 *     Version 2: x = clip(Tweedie(noised x at T_k - 1))                          (one NFE per round)
 * </pre>
 * The mean normalisation is kept explicit: the step is {@code lr} on the mean squared error, {@code 2 lr / m} on
 * {@code 1/2 ||A x - y||^2}. The reference's learning rates were set for 256 x 256 x 3 images; the kit keeps the
 * reference's effective step {@code 2 lr / m} by rescaling {@code lr} with the measurement size of 32 x 32 grey images
 * (e.g. SR x4: m = 12288 there, 64 here, so lr 1e3 becomes 5.2), see {@link Params#paper}. Forward tier.
 *
 * <p>Names: {@code dcdp-v1}, {@code dcdp-v2}, and {@code dcdp-v1-constant} for Version 1 on a constant schedule at
 * {@code T0} (the ablation of the paper's Figure 8).
 */
public final class Dcdp implements Solver<Operator> {

    /** The purification of each round. */
    public enum Version {
        /** Version 1: DDIM purification (at most 20 steps). */
        DDIM,
        /** Version 2: one Tweedie step. */
        TWEEDIE
    }

    /**
     * Hyperparameters.
     *
     * @param version the purification
     * @param rounds {@code K}
     * @param tau heavy-ball steps per round
     * @param lr the step on the mean squared error
     * @param tStart {@code T0}
     * @param tEnd {@code Tend} (ignored by a constant schedule)
     * @param constant a constant schedule at {@code T0} instead of the linear decay
     * @param ddimSteps the most DDIM steps of Version 1's purification (reference 20)
     * @param clip clip the purified estimate to [-1, 1] (images: yes, as the reference; exact priors: no)
     */
    public record Params(Version version, int rounds, int tau, double lr, int tStart, int tEnd, boolean constant,
                         int ddimSteps, boolean clip) {
        /** Validates the values. */
        public Params {
            if (version == null) {
                throw new IllegalArgumentException("DCDP needs a version (DDIM or TWEEDIE), got null");
            }
            if (rounds < 1 || tau < 0 || ddimSteps < 1) {
                throw new IllegalArgumentException("DCDP needs K >= 1, tau >= 0 and ddimSteps >= 1, got K = " + rounds
                        + ", tau = " + tau + ", ddimSteps = " + ddimSteps);
            }
            if (!(lr > 0) || !Double.isFinite(lr)) {
                throw new IllegalArgumentException("DCDP lr must be finite and > 0, got " + lr);
            }
            if (tStart < 1 || tEnd < 0 || tEnd > tStart) {
                throw new IllegalArgumentException("DCDP needs 0 <= Tend <= T0 and T0 >= 1, got T0 = " + tStart
                        + ", Tend = " + tEnd);
            }
        }

        /**
         * The reference's FFHQ settings per task, lr rescaled to the kit's measurement sizes (effective step
         * {@code 2 lr / m} kept): SR x4 K = 10, tau = 100, T0 = 400, lr 1e3 -> 5.2 (m 12288 -> 64); box inpainting
         * K = 20, tau = 50, T0 = 700, lr 1e3 -> 5.2; nonlinear deblurring K = 200, tau = 100, T0 = 1000, Tend = 50,
         * lr 300 -> 1.6 (the reference's noisy setting); Tend = 0 elsewhere. Deblurring (Gaussian and motion, K = 10,
         * tau = 100, T0 = 400) is the exception: the reference's lr 1e5 (521 here) is for noiseless data and, at the
         * kit's sigma_y = 0.05, 100 steps of it fit the noise through the small singular values (Version 2, 10
         * validation images, seed 0, {@code kit solve --split validation --images 0-9 --set lr=L}: Gaussian 12.74 dB at
         * 521, 20.93 at 50, 24.59 at 10, 24.79 at 5, 23.88 at 2; motion 12.53 at 521, 25.31 at 5), so lr = 5. SR and
         * box inpainting are flat around their rescaled values (SR 19.12 / 19.30 / 19.30 dB at lr 1 / 5.2 / 20; box
         * 20.52 / 20.61 / 20.61).
         */
        public static Params paper(NoiseSchedule schedule, TaskKind kind, Version version) {
            double ffhqImage = 256 * 256 * 3;
            double kitImage = 32 * 32;
            double scale = kitImage / ffhqImage;
            return switch (kind) {
                case SUPER_RESOLUTION -> new Params(version, 10, 100, 1e3 * scale, 400, 0, false, 20, true);
                case GAUSSIAN_DEBLUR, MOTION_DEBLUR, DENOISING -> new Params(version, 10, 100, 5.0, 400, 0, false, 20, true);
                case INPAINTING -> new Params(version, 20, 50, 1e3 * scale, 700, 0, false, 20, true);
                case NONLINEAR_DEBLUR -> new Params(version, 200, 100, 300 * scale, 1000, 50, false, 20, true);
            };
        }

        /** A copy on the constant schedule at {@code T0}. */
        public Params withConstantSchedule() {
            return new Params(version, rounds, tau, lr, tStart, tEnd, true, ddimSteps, clip);
        }

        /** A copy with {@code k} rounds. */
        public Params withRounds(int k) {
            return new Params(version, k, tau, lr, tStart, tEnd, constant, ddimSteps, clip);
        }

        /** A copy with learning rate {@code lr}. */
        public Params withLr(double lr) {
            return new Params(version, rounds, tau, lr, tStart, tEnd, constant, ddimSteps, clip);
        }

        /** A copy with the purification schedule from {@code t0} to {@code tEnd}. */
        public Params withStrengths(int t0, int tEnd) {
            return new Params(version, rounds, tau, lr, t0, tEnd, constant, ddimSteps, clip);
        }

        /** A copy with or without clipping of the purified estimate. */
        public Params withClip(boolean clip) {
            return new Params(version, rounds, tau, lr, tStart, tEnd, constant, ddimSteps, clip);
        }

        /** A copy with {@code tau} heavy-ball steps per round. */
        public Params withTau(int tau) {
            return new Params(version, rounds, tau, lr, tStart, tEnd, constant, ddimSteps, clip);
        }

        /** The purification schedule on {@code schedule}. */
        public PurificationSchedule schedule(NoiseSchedule schedule) {
            return constant ? PurificationSchedule.constant(schedule, rounds, tStart)
                    : PurificationSchedule.linearDecaying(schedule, rounds, tStart, tEnd);
        }
    }

    /**
     * Sees each round's two estimates: after the data consistency and after the purification (the arrays belong to the
     * solve and are closed after the call: copy what you keep). For convergence plots such as the paper's Figure 8.
     */
    @FunctionalInterface
    public interface RoundObserver {
        /** Called after round {@code k} (from 0) with its estimates. */
        void onRound(int k, NDArray afterConsistency, NDArray afterPurification);
    }

    private final Params params;
    private final RoundObserver observer;

    /** DCDP with {@code params}. */
    public Dcdp(Params params) {
        this(params, null);
    }

    /** DCDP with {@code params} reporting every round to {@code observer} (or none when null). */
    public Dcdp(Params params, RoundObserver observer) {
        if (params == null) {
            throw new IllegalArgumentException("DCDP needs parameters, got null");
        }
        this.params = params;
        this.observer = observer;
    }

    /** The hyperparameters. */
    public Params params() {
        return params;
    }

    @Override
    public String name() {
        return params.version() == Version.TWEEDIE ? "dcdp-v2" : params.constant() ? "dcdp-v1-constant" : "dcdp-v1";
    }

    @Override
    public String citation() {
        return "DCDP, Li et al. (decoupled data consistency with diffusion purification), Version "
                + (params.version() == Version.TWEEDIE ? "2 (Tweedie)" : "1 (DDIM)")
                + (params.constant() ? ", constant schedule (Figure 8)" : "");
    }

    @Override
    public Class<Operator> tier() {
        return Operator.class;
    }

    /** {@code (2/m) (dA/dx)^T (A(x) - y)}, m the entries of one sample's measurement. */
    static NDArray mseGradient(Operator a, NDArray x, NDArray y) {
        long m = y.getShape().size() / y.getShape().get(0);
        NDArray residual = a.apply(x).sub(y);
        return Scalars.mul(a.vjp(x, residual), 2.0 / m);
    }

    @Override
    public NDArray reconstruct(SolveContext<Operator> ctx) {
        PurificationSchedule schedule = params.schedule(ctx.schedule());
        Operator a = ctx.a();
        NDArray y = ctx.y();
        NDArray x = ctx.manager().zeros(ctx.xShape(), ctx.dataType());
        for (int k = 0; k < schedule.rounds(); k++) {
            NDArray consistent = DcdpRounds.dataConsistency(a, x, y, params.tau(), params.lr());
            x.close();
            int t = schedule.strength(k);
            x = params.version() == Version.TWEEDIE ? DcdpRounds.purifyTweedie(ctx, consistent, t, params.clip())
                    : DcdpRounds.purifyDdim(ctx, consistent, t, params.ddimSteps(), params.clip());
            if (observer != null) {
                observer.onRound(k, consistent, x);
            }
            consistent.close();
        }
        return x;
    }

    @Override
    public String toString() {
        return name() + "(K=" + params.rounds() + ", tau=" + params.tau() + ", lr=" + params.lr() + ", T0="
                + params.tStart() + ", Tend=" + params.tEnd() + ")";
    }
}
