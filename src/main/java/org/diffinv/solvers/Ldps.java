package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.operators.Operator;

/**
 * LDPS, latent DPS (Rout et al., NeurIPS 2023, Algorithm 1 without the extra term; the baseline of PSLD, P2L and
 * Flash-Diffusion): DPS run on the latents of a latent diffusion model, its measurement gradient taken through the
 * network and the decoder,
 * <pre>
 *   z0 = Tweedie(z_t);  z' = DDIM(z0, eps);  z_s = z' - omega grad_{z_t} ||y - A(D(z0))||^p;   x_hat = D(z_0)
 * </pre>
 * (see {@link LatentDps}). Forward tier. Defaults: {@link Params#paper}.
 */
public final class Ldps implements LatentSolver<Operator> {

    /**
     * Hyperparameters.
     *
     * @param grid the reverse grid on the latent schedule (reference: 1000 DDIM steps)
     * @param eta DDIM's stochasticity (reference 0)
     * @param omega the measurement step size
     * @param p the norm's power: 1 (reference code) or 2 (paper)
     */
    public record Params(TimeGrid grid, double eta, double omega, double p) {
        /** Validates the values. */
        public Params {
            LatentParams.check("LDPS", grid, eta, omega, p);
        }

        /** The reference settings: 1000 DDIM steps, eta 0, unsquared norm, omega 0.1 (0.9 for SR), the FFHQ-LDM values. */
        public static Params paper(NoiseSchedule schedule, TaskKind kind) {
            return new Params(LatentParams.grid(schedule), 0, LatentParams.omega(kind), 1);
        }

        /**
         * The quick budget: 200 DDIM steps (eta 0, unsquared norm) with the step size validated for it on the kit's
         * latent prior (0.3 for SR, 1 otherwise; the sweep is in {@code LatentParams.omegaAt200Steps}). GML-DPS and
         * PSLD take the same omega.
         */
        public static Params quick(NoiseSchedule schedule, TaskKind kind) {
            return new Params(TimeGrid.ddimUniform(schedule, 200), 0, LatentParams.omegaAt200Steps(kind), 1);
        }

        /** A copy on another grid. */
        public Params withGrid(TimeGrid grid) {
            return new Params(grid, eta, omega, p);
        }

        /** A copy with measurement step size {@code omega}. */
        public Params withOmega(double omega) {
            return new Params(grid, eta, omega, p);
        }
    }

    private final Params params;

    /** LDPS with {@code params}. */
    public Ldps(Params params) {
        if (params == null) {
            throw new IllegalArgumentException("LDPS needs parameters, got null");
        }
        this.params = params;
    }

    /** The hyperparameters. */
    public Params params() {
        return params;
    }

    @Override
    public String name() {
        return "ldps";
    }

    @Override
    public String citation() {
        return "LDPS, Rout et al. 2023 (NeurIPS), Algorithm 1 without the gluing term";
    }

    @Override
    public Class<Operator> tier() {
        return Operator.class;
    }

    @Override
    public NDArray reconstruct(SolveContext<Operator> ctx) {
        return LatentDps.run(ctx, params.grid(), params.eta(), params.omega(), params.p(), 0, null, 0);
    }

    @Override
    public String toString() {
        return "ldps(omega=" + params.omega() + ", p=" + params.p() + ", eta=" + params.eta() + ", " + params.grid() + ")";
    }
}
