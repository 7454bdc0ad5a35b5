package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.operators.Operator;
import org.diffinv.priors.Autoencoder;

/**
 * GML-DPS, "goodness-modified latent DPS" (Rout et al., NeurIPS 2023, Section 3.2, the first of their two
 * corrections): LDPS plus a step on the autoencoder's "goodness", which pulls {@code z0} towards a fixed point of
 * {@code E o D},
 * <pre>
 *   L = omega ||y - A(D(z0))||^p + gamma ||z0 - E(D(z0))||^p;   z_s = DDIM(z0, eps) - grad_{z_t} L
 * </pre>
 * (see {@link LatentDps}; gradients through the network, decoder and encoder). With a perfect autoencoder on its range
 * ({@code E(D(z)) = z}) the extra term vanishes and GML-DPS is LDPS. Forward tier.
 */
public final class GmlDps implements LatentSolver<Operator> {

    /**
     * Hyperparameters.
     *
     * @param grid the reverse grid (reference: 1000 DDIM steps)
     * @param eta DDIM's stochasticity (reference 0)
     * @param omega the measurement step size
     * @param gamma the goodness step size
     * @param p the norms' power: 1 (reference code) or 2 (paper)
     */
    public record Params(TimeGrid grid, double eta, double omega, double gamma, double p) {
        /** Validates the values. */
        public Params {
            LatentParams.check("GML-DPS", grid, eta, omega, p);
            LatentParams.checkGamma("GML-DPS", gamma);
        }

        /**
         * The reference settings (gamma = 0.1) and the reference's measurement step size (see
         * {@link Ldps.Params#paper}).
         */
        public static Params paper(NoiseSchedule schedule, TaskKind kind) {
            return new Params(LatentParams.grid(schedule), 0, LatentParams.omega(kind), LatentParams.gamma(kind), 1);
        }

        /** A copy on another grid. */
        public Params withGrid(TimeGrid grid) {
            return new Params(grid, eta, omega, gamma, p);
        }

        /** A copy with measurement step size {@code omega}. */
        public Params withOmega(double omega) {
            return new Params(grid, eta, omega, gamma, p);
        }

        /** A copy with goodness step size {@code gamma}. */
        public Params withGamma(double gamma) {
            return new Params(grid, eta, omega, gamma, p);
        }
    }

    private final Params params;

    /** GML-DPS with {@code params}. */
    public GmlDps(Params params) {
        if (params == null) {
            throw new IllegalArgumentException("GML-DPS needs parameters, got null");
        }
        this.params = params;
    }

    /** The hyperparameters. */
    public Params params() {
        return params;
    }

    /** The goodness term {@code sum_n ||z0_n - E(D(z0_n))||^p} (given {@code x0 = D(z0)}). */
    static NDArray goodness(Autoencoder ae, NDArray z0, NDArray x0, double p) {
        return Guidance.sumOfNorms(z0.sub(ae.encode(x0)), p);
    }

    @Override
    public String name() {
        return "gml-dps";
    }

    @Override
    public String citation() {
        return "GML-DPS, Rout et al. 2023 (NeurIPS), Section 3.2";
    }

    @Override
    public Class<Operator> tier() {
        return Operator.class;
    }

    @Override
    public NDArray reconstruct(SolveContext<Operator> ctx) {
        Autoencoder ae = ctx.latent().ae();
        return LatentDps.run(ctx, params.grid(), params.eta(), params.omega(), params.p(), params.gamma(),
                (z0, x0) -> goodness(ae, z0, x0, params.p()), 0);
    }

    @Override
    public String toString() {
        return "gml-dps(omega=" + params.omega() + ", gamma=" + params.gamma() + ", p=" + params.p() + ", "
                + params.grid() + ")";
    }
}
