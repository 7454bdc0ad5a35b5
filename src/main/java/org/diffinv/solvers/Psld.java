package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.operators.LinearOperator;
import org.diffinv.priors.Autoencoder;

/**
 * PSLD, posterior sampling with latent diffusion (Rout et al., NeurIPS 2023, Algorithm 2 and the official code
 * LituRout/PSLD): LDPS plus the "gluing" term, which asks {@code z0} to be the encoding of the image that keeps the
 * measured part {@code A^T y} and takes the unmeasured part from {@code D(z0)},
 * <pre>
 *   x0 = D(z0);   x_g = A^T y + (I - A^T A) x0;   L = omega ||y - A(x0)||^p + gamma ||z0 - E(x_g)||^p
 *   z_s = DDIM(z0, eps) - grad_{z_t} L
 * </pre>
 * (see {@link LatentDps}; gradients through the network, decoder and encoder). Defaults follow the reference code:
 * unsquared norms, DDIM with eta 0 over 1000 steps, gamma = 0.1 and true adjoints. Two flags reproduce the reference
 * code's other choices: {@code freshNoise} adds fresh measurement noise {@code N(0, sigma_y^2)} to {@code A(x0)} inside
 * the norm at every step, and {@code codedTranspose} replaces {@code A^T} by the code's "transpose" (identity for blur
 * and inpainting, nearest-neighbour up-sampling for SR), which is not the adjoint. Linear tier (the gluing needs
 * {@code A^T}).
 */
public final class Psld implements LatentSolver<LinearOperator> {

    /**
     * Hyperparameters.
     *
     * @param grid the reverse grid (reference: 1000 DDIM steps)
     * @param eta DDIM's stochasticity (reference 0)
     * @param omega the measurement step size
     * @param gamma the gluing step size
     * @param p the norms' power: 1 (reference code) or 2 (paper)
     * @param freshNoise add fresh measurement noise inside the norm at every step (reference code)
     * @param codedTranspose use the reference code's transpose instead of the adjoint
     */
    public record Params(TimeGrid grid, double eta, double omega, double gamma, double p, boolean freshNoise,
                         boolean codedTranspose) {
        /** Validates the values. */
        public Params {
            LatentParams.check("PSLD", grid, eta, omega, p);
            LatentParams.checkGamma("PSLD", gamma);
        }

        /**
         * The reference settings (gamma = 0.1, true adjoints, no fresh noise) and the reference's measurement step size
         * (see {@link Ldps.Params#paper}).
         */
        public static Params paper(NoiseSchedule schedule, TaskKind kind) {
            return new Params(LatentParams.grid(schedule), 0, LatentParams.omega(kind), LatentParams.gamma(kind), 1,
                    false, false);
        }

        /** A copy on another grid. */
        public Params withGrid(TimeGrid grid) {
            return new Params(grid, eta, omega, gamma, p, freshNoise, codedTranspose);
        }

        /** A copy with measurement step size {@code omega}. */
        public Params withOmega(double omega) {
            return new Params(grid, eta, omega, gamma, p, freshNoise, codedTranspose);
        }

        /** A copy with gluing step size {@code gamma}. */
        public Params withGamma(double gamma) {
            return new Params(grid, eta, omega, gamma, p, freshNoise, codedTranspose);
        }

        /** A copy with the reference code's fresh noise and coded transpose switched on or off. */
        public Params withReferenceQuirks(boolean freshNoise, boolean codedTranspose) {
            return new Params(grid, eta, omega, gamma, p, freshNoise, codedTranspose);
        }
    }

    private final Params params;

    /** PSLD with {@code params}. */
    public Psld(Params params) {
        if (params == null) {
            throw new IllegalArgumentException("PSLD needs parameters, got null");
        }
        this.params = params;
    }

    /** The hyperparameters. */
    public Params params() {
        return params;
    }

    /**
     * The gluing term {@code sum_n ||z0_n - E(A^T y + x0 - A^T A x0)_n||^p} for {@code x0 = D(z0)}.
     *
     * @param coded use the reference code's transpose instead of the adjoint
     */
    static NDArray gluing(Autoencoder ae, LinearOperator a, NDArray y, NDArray z0, NDArray x0, double p, boolean coded) {
        Shape image = x0.getShape().slice(1);
        NDArray glued = x0.sub(LatentDps.transpose(a, a.apply(x0), image, coded))
                .add(LatentDps.transpose(a, y, image, coded));
        return Guidance.sumOfNorms(z0.sub(ae.encode(glued)), p);
    }

    @Override
    public String name() {
        return "psld";
    }

    @Override
    public String citation() {
        return "PSLD, Rout et al. 2023 (NeurIPS), Algorithm 2 (gluing)";
    }

    @Override
    public Class<LinearOperator> tier() {
        return LinearOperator.class;
    }

    @Override
    public NDArray reconstruct(SolveContext<LinearOperator> ctx) {
        Autoencoder ae = ctx.latent().ae();
        LinearOperator a = ctx.a();
        NDArray y = ctx.y();
        return LatentDps.run(ctx, params.grid(), params.eta(), params.omega(), params.p(), params.gamma(),
                (z0, x0) -> gluing(ae, a, y, z0, x0, params.p(), params.codedTranspose()),
                params.freshNoise() ? ctx.sigmaY() : 0);
    }

    @Override
    public String toString() {
        return "psld(omega=" + params.omega() + ", gamma=" + params.gamma() + ", p=" + params.p()
                + (params.freshNoise() ? ", fresh noise" : "") + (params.codedTranspose() ? ", coded A^T" : "") + ", "
                + params.grid() + ")";
    }
}
