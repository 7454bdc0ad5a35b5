package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.operators.Operator;
import org.diffinv.priors.ConsistencyFunction;
import org.diffinv.priors.OdeConsistency;

/**
 * DCDP with consistency-model purification, DCDP-CM (Li, Kwon, Alkhouri, Ravishankar and Qu, Section 3.3,
 * "Consistency Models", Eq. 15): DCDP's rounds ({@link DcdpRounds}: heavy-ball data consistency on the mean squared
 * error, the same as {@link Dcdp}), with the purification done in one step of a consistency function
 * {@code f} (Song et al. 2023):
 * <pre>
 *   per round k:  x = tau heavy-ball steps on (1/m) ||A x - y||^2 from x
 *                 x = clip( f( sqrt(abar_{t_k}) x + sqrt(1 - abar_{t_k}) z,  t_k ) ),   t_k = index of sigma_k
 *   sigma_k = sigma_start + k/(K-1) (sigma_end - sigma_start)   (linear decay in the VE noise level, Eq. 15)
 * </pre>
 * In the VE view {@code x_t / sqrt(abar_t) = x + sigma_k z}, the paper's {@code f(x + sigma_k z, sigma_k)}; each level
 * is snapped to the schedule's nearest index (log sigma). The paper states only that sigma lies in [0.002, 80]
 * (its LSUN model), has no reference code, and its start and end values did not survive: UNVERIFIED. The kit's
 * defaults ({@link Params#paper}) take DCDP's own rounds, tau and lr per task and the sigma of DCDP's purification
 * range, {@code sigma_start = sigma(T0 - 1)} (1.69 at T0 = 400), {@code sigma_end = sigma(0)}, so that DCDP-CM and
 * DCDP V1 / V2 purify over the same noise range. One network evaluation per round, no VJP. Forward tier.
 */
public final class DcdpCm implements Solver<Operator> {

    /**
     * Hyperparameters.
     *
     * @param rounds {@code K}
     * @param tau heavy-ball steps per round
     * @param lr the step on the mean squared error
     * @param sigmaStart the first purification level (VE sigma)
     * @param sigmaEnd the last purification level
     * @param clip clip the purified estimate to [-1, 1] (images: yes; exact priors: no)
     */
    public record Params(int rounds, int tau, double lr, double sigmaStart, double sigmaEnd, boolean clip) {
        /** Validates the values. */
        public Params {
            if (rounds < 1 || tau < 0) {
                throw new IllegalArgumentException("DCDP-CM needs K >= 1 and tau >= 0, got K = " + rounds + ", tau = "
                        + tau);
            }
            if (!(lr > 0) || !Double.isFinite(lr)) {
                throw new IllegalArgumentException("DCDP-CM lr must be finite and > 0, got " + lr);
            }
            if (!(sigmaEnd > 0) || !(sigmaStart >= sigmaEnd) || Double.isInfinite(sigmaStart)) {
                throw new IllegalArgumentException("DCDP-CM needs finite sigmaStart >= sigmaEnd > 0, got sigmaStart = "
                        + sigmaStart + ", sigmaEnd = " + sigmaEnd);
            }
        }

        /**
         * DCDP's per-task rounds, tau and lr ({@link Dcdp.Params#paper}) with the levels of DCDP's purification range:
         * {@code sigma_start = sigma(T0 - 1)}, {@code sigma_end = sigma(0)} on {@code schedule} (UNVERIFIED, see the
         * class comment).
         */
        public static Params paper(NoiseSchedule schedule, TaskKind kind) {
            Dcdp.Params d = Dcdp.Params.paper(schedule, kind, Dcdp.Version.TWEEDIE);
            return new Params(d.rounds(), d.tau(), d.lr(), schedule.veSigma(d.tStart() - 1), schedule.veSigma(0),
                    true);
        }

        /** A copy with {@code k} rounds. */
        public Params withRounds(int k) {
            return new Params(k, tau, lr, sigmaStart, sigmaEnd, clip);
        }

        /** A copy with {@code tau} heavy-ball steps per round. */
        public Params withTau(int tau) {
            return new Params(rounds, tau, lr, sigmaStart, sigmaEnd, clip);
        }

        /** A copy with learning rate {@code lr}. */
        public Params withLr(double lr) {
            return new Params(rounds, tau, lr, sigmaStart, sigmaEnd, clip);
        }

        /** A copy with the purification levels from {@code start} to {@code end}. */
        public Params withSigmas(double start, double end) {
            return new Params(rounds, tau, lr, start, end, clip);
        }

        /** A copy with or without clipping. */
        public Params withClip(boolean clip) {
            return new Params(rounds, tau, lr, sigmaStart, sigmaEnd, clip);
        }

        /** The level {@code sigma_k} of round {@code k}. */
        public double sigma(int k) {
            return rounds == 1 ? sigmaStart : sigmaStart + k / (double) (rounds - 1) * (sigmaEnd - sigmaStart);
        }
    }

    private final Params params;
    private final ConsistencyFunction f;
    private final int odeSteps;

    /**
     * DCDP-CM with {@code params} purifying with the consistency function {@code f} (one network evaluation per round,
     * counted on the ledger).
     */
    public DcdpCm(Params params, ConsistencyFunction f) {
        this(params, f, 0);
    }

    private DcdpCm(Params params, ConsistencyFunction f, int odeSteps) {
        if (params == null) {
            throw new IllegalArgumentException("DCDP-CM needs parameters, got null");
        }
        if (f == null && odeSteps < 1) {
            throw new IllegalArgumentException("DCDP-CM needs a consistency function (e.g. ConsistencyModel.load), "
                    + "got null");
        }
        this.params = params;
        this.f = f;
        this.odeSteps = odeSteps;
    }

    /**
     * DCDP-CM whose consistency function is the solve's own prior's probability-flow map, integrated by {@code steps}
     * DDIM steps ({@link OdeConsistency}): what a perfect consistency model of that prior would return, at up to
     * {@code steps} network evaluations per round (counted by the prior's ledger). Named {@code dcdp-cm-ode}; for
     * exact-prior checks.
     */
    public static DcdpCm withOdeConsistency(Params params, int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("DCDP-CM's ODE consistency needs at least 1 step, got " + steps);
        }
        return new DcdpCm(params, null, steps);
    }

    /** The hyperparameters. */
    public Params params() {
        return params;
    }

    /** The consistency function ({@code null} for the ODE form, whose function comes from the solve's prior). */
    public ConsistencyFunction consistency() {
        return f;
    }

    /** The time index of every round's level on {@code schedule}. */
    public int[] indices(NoiseSchedule schedule) {
        int[] out = new int[params.rounds()];
        for (int k = 0; k < out.length; k++) {
            out[k] = schedule.nearestVeSigmaIndex(params.sigma(k));
        }
        return out;
    }

    @Override
    public String name() {
        return f == null ? "dcdp-cm-ode" : "dcdp-cm";
    }

    @Override
    public String citation() {
        return "DCDP-CM, Li et al. (decoupled data consistency with diffusion purification), consistency-model "
                + "purification (Eq. 15)";
    }

    @Override
    public Class<Operator> tier() {
        return Operator.class;
    }

    @Override
    public NDArray reconstruct(SolveContext<Operator> ctx) {
        Operator a = ctx.a();
        NDArray y = ctx.y();
        ConsistencyFunction cf = f == null ? new OdeConsistency(ctx.prior(), odeSteps) : f;
        NoiseSchedule s = cf.schedule();
        if (!s.equals(ctx.schedule())) {
            throw new IllegalArgumentException("DCDP-CM: the consistency function's schedule " + s
                    + " differs from the prior's " + ctx.schedule());
        }
        int[] t = indices(s);
        NDArray x = ctx.manager().zeros(ctx.xShape(), ctx.dataType());
        for (int k = 0; k < params.rounds(); k++) {
            NDArray consistent = DcdpRounds.dataConsistency(a, x, y, params.tau(), params.lr());
            x.close();
            try (NDManager scope = ctx.manager().newSubManager()) {
                NDArray xt = DcdpRounds.noiseTo(ctx, s, consistent, t[k] + 1);
                xt.attach(scope);
                NDArray x0;
                if (f != null) { // the distilled network is not the counted prior: count and time it here
                    int tk = t[k];
                    x0 = ctx.meter().timeForward(() -> cf.x0(xt, tk));
                    ctx.meter().countNfe(1);
                } else {
                    x0 = cf.x0(xt, t[k]);
                }
                x = params.clip() ? x0.clip(-1, 1) : x0;
                x.attach(ctx.manager());
            }
            consistent.close();
        }
        return x;
    }

    @Override
    public String toString() {
        return name() + "(K=" + params.rounds() + ", tau=" + params.tau() + ", lr=" + params.lr() + ", sigma "
                + params.sigmaStart() + " -> " + params.sigmaEnd() + ")";
    }
}
