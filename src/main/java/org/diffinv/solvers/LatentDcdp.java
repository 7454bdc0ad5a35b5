package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.PurificationSchedule;
import org.diffinv.operators.Operator;
import org.diffinv.priors.Autoencoder;

/**
 * Latent DCDP (Li, Kwon, Alkhouri, Ravishankar and Qu; the latent variants of the reference code): DCDP's rounds
 * ({@link DcdpRounds}) with the purification run by the latent prior, in two approaches:
 * <pre>
 *   Approach I (latent data consistency):   z ~ N(0, I); per round: tau heavy-ball steps on MSE(y, A(D(z))) in z
 *                                           (gradient through the decoder), z = E(D(z)), purify z
 *   Approach II (pixel data consistency):   z ~ N(0, I); per round: x = D(z), tau heavy-ball steps on MSE(y, A(x)) in x,
 *                                           z = E(x), purify z
 *   purification: Version 1 DDIM (at most 20 steps) or Version 2 Tweedie, from T_k, on latents (never clipped)
 *   x_hat = D(z)
 * </pre>
 * Names: {@code latent-dcdp-i-v1}, {@code latent-dcdp-i-v2}, {@code latent-dcdp-ii-v1}, {@code latent-dcdp-ii-v2}
 * (the paper's Table 3 rows "latent DC / pixel DC + reverse SDE / Tweedie"). The MSE normalisation and the lr rescaling
 * to 32 x 32 are as for {@link Dcdp}. Forward tier.
 */
public final class LatentDcdp implements LatentSolver<Operator> {

    /** Where the data consistency runs. */
    public enum Approach {
        /** Approach I: heavy-ball steps on the latent, through the decoder. */
        LATENT,
        /** Approach II: heavy-ball steps on the decoded image, then re-encoding. */
        PIXEL
    }

    /**
     * Hyperparameters.
     *
     * @param approach where the data consistency runs
     * @param version the purification
     * @param rounds {@code K}
     * @param tau heavy-ball steps per round
     * @param lr the step on the mean squared error
     * @param tStart {@code T0}
     * @param tEnd {@code Tend}
     * @param ddimSteps the most DDIM steps of Version 1 (reference 20)
     */
    public record Params(Approach approach, Dcdp.Version version, int rounds, int tau, double lr, int tStart, int tEnd,
                         int ddimSteps) {
        /** Validates the values (as {@link Dcdp.Params}). */
        public Params {
            if (approach == null) {
                throw new IllegalArgumentException("latent DCDP needs an approach (LATENT or PIXEL), got null");
            }
            new Dcdp.Params(version, rounds, tau, lr, tStart, tEnd, false, ddimSteps, false);
        }

        /**
         * The reference's latent settings per task, lr rescaled to the kit's measurement size as in {@link Dcdp}:
         * SR x4 K = 10, tau = 100, lr 1e3 -> 5.2, T0 = 400; inpainting K = 20, tau = 50, lr 1e3 -> 5.2, T0 = 500;
         * motion deblurring K = 10, tau = 100, T0 = 400 (T0 UNVERIFIED); Gaussian deblurring K = 4, tau = 250, T0 = 400;
         * Tend = 0. For the deblurrings the reference's noiseless lr 1e5 is replaced by the lr = 5 validated for pixel
         * DCDP at the kit's sigma_y = 0.05 (see {@link Dcdp.Params#paper}; not re-validated for the latent variants).
         * The reference pairs SR and inpainting with approach I and the deblurrings with approach II; any pairing runs.
         */
        public static Params paper(NoiseSchedule schedule, TaskKind kind, Approach approach, Dcdp.Version version) {
            double scale = 32.0 * 32 / (256 * 256 * 3);
            return switch (kind) {
                case SUPER_RESOLUTION -> new Params(approach, version, 10, 100, 1e3 * scale, 400, 0, 20);
                case INPAINTING -> new Params(approach, version, 20, 50, 1e3 * scale, 500, 0, 20);
                case GAUSSIAN_DEBLUR -> new Params(approach, version, 4, 250, 5.0, 400, 0, 20);
                default -> new Params(approach, version, 10, 100, 5.0, 400, 0, 20);
            };
        }

        /** A copy with learning rate {@code lr}. */
        public Params withLr(double lr) {
            return new Params(approach, version, rounds, tau, lr, tStart, tEnd, ddimSteps);
        }

        /** A copy with {@code k} rounds of {@code tau} steps. */
        public Params withRounds(int k, int tau) {
            return new Params(approach, version, k, tau, lr, tStart, tEnd, ddimSteps);
        }

        /** A copy with the purification schedule from {@code t0} to {@code tEnd}. */
        public Params withStrengths(int t0, int tEnd) {
            return new Params(approach, version, rounds, tau, lr, t0, tEnd, ddimSteps);
        }
    }

    private final Params params;

    /** Latent DCDP with {@code params}. */
    public LatentDcdp(Params params) {
        if (params == null) {
            throw new IllegalArgumentException("latent DCDP needs parameters, got null");
        }
        this.params = params;
    }

    /** The hyperparameters. */
    public Params params() {
        return params;
    }

    @Override
    public String name() {
        return "latent-dcdp-" + (params.approach() == Approach.LATENT ? "i" : "ii") + "-"
                + (params.version() == Dcdp.Version.TWEEDIE ? "v2" : "v1");
    }

    @Override
    public String citation() {
        return "latent DCDP, Li et al., approach " + (params.approach() == Approach.LATENT ? "I (latent" : "II (pixel")
                + " data consistency), " + (params.version() == Dcdp.Version.TWEEDIE ? "Tweedie" : "DDIM")
                + " purification";
    }

    @Override
    public Class<Operator> tier() {
        return Operator.class;
    }

    @Override
    public NDArray reconstruct(SolveContext<Operator> ctx) {
        Autoencoder ae = ctx.latent().ae();
        Operator a = ctx.a();
        NDArray y = ctx.y();
        PurificationSchedule schedule = PurificationSchedule.linearDecaying(ctx.schedule(), params.rounds(),
                params.tStart(), params.tEnd());
        NDArray z = ctx.noise().normal(ctx.manager(), ctx.latentShape(), ctx.dataType());
        for (int k = 0; k < schedule.rounds(); k++) {
            NDArray encoded;
            if (params.approach() == Approach.LATENT) {
                NDArray consistent = DcdpRounds.dataConsistency(z, zs -> Guidance.gradient(zs,
                        zz -> Guidance.meanSquaredResidual(a, ae.decode(zz), y)).gradient(), params.tau(), params.lr());
                NDArray decoded = ae.decode(consistent);
                encoded = ae.encode(decoded);
                consistent.close();
                decoded.close();
            } else {
                NDArray decoded = ae.decode(z);
                NDArray consistent = DcdpRounds.dataConsistency(a, decoded, y, params.tau(), params.lr());
                encoded = ae.encode(consistent);
                decoded.close();
                consistent.close();
            }
            z.close();
            int t = schedule.strength(k);
            z = params.version() == Dcdp.Version.TWEEDIE ? DcdpRounds.purifyTweedie(ctx, encoded, t, false)
                    : DcdpRounds.purifyDdim(ctx, encoded, t, params.ddimSteps(), false);
            encoded.close();
        }
        return ae.decode(z);
    }

    @Override
    public String toString() {
        return name() + "(K=" + params.rounds() + ", tau=" + params.tau() + ", lr=" + params.lr() + ", T0="
                + params.tStart() + ", Tend=" + params.tEnd() + ")";
    }
}
