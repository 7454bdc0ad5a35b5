package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.diffinv.diffusion.DdimStep;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.StepResult;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.operators.Operator;

/**
 * LDIR, latent diffusion iterative reconstruction (He, Yan, et al., arXiv 2307.12070, "Iterative reconstruction based
 * on latent diffusion model for sparse data reconstruction"; the "history gradient update" of its v2): LDPS whose
 * measurement gradient is smoothed by Adam-type moments that persist across the reverse steps,
 * <pre>
 *   g   = grad_{z_t} ||y - A(D(z0))||^p                 (through UNet and decoder, as LDPS)
 *   m   = beta1 m + (1 - beta1) g;   v = beta2 v + (1 - beta2) g^2;   bias-corrected by the step count k
 *   z_s = DDIM(z0, eps) - rho m_hat / (sqrt(v_hat) + eps_adam)
 * </pre>
 * This is the form P2L (Chung et al., ICML 2024, Algorithm 5) builds on. LDIR's code is not public: the moment
 * constants (PyTorch Adam's 0.9, 0.999, 1e-8), the unsquared norm and the bias correction are UNVERIFIED, and
 * {@code rho = 0.05} is P2L's Adam step (its Table 6, FFHQ). Forward tier.
 */
public final class Ldir implements LatentSolver<Operator> {

    /**
     * Hyperparameters.
     *
     * @param grid the reverse grid (1000 DDIM steps by default)
     * @param eta DDIM's stochasticity
     * @param rho the step size of the moment-normalised update
     * @param beta1 the first-moment decay
     * @param beta2 the second-moment decay
     * @param p the norm's power (1: unsquared)
     */
    public record Params(TimeGrid grid, double eta, double rho, double beta1, double beta2, double p) {
        /** Validates the values. */
        public Params {
            LatentParams.check("LDIR", grid, eta, rho, p);
            if (!(rho > 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
                throw new IllegalArgumentException("LDIR needs rho > 0 and betas in [0, 1), got " + rho + ", " + beta1
                        + ", " + beta2);
            }
        }

        /** 1000 DDIM steps, eta 0, rho = 0.05, betas 0.9 / 0.999, unsquared norm (see the class comment). */
        public static Params paper(NoiseSchedule schedule, TaskKind kind) {
            return new Params(LatentParams.grid(schedule), 0, 0.05, 0.9, 0.999, 1);
        }

        /** A copy on another grid. */
        public Params withGrid(TimeGrid grid) {
            return new Params(grid, eta, rho, beta1, beta2, p);
        }

        /** A copy with step size {@code rho}. */
        public Params withRho(double rho) {
            return new Params(grid, eta, rho, beta1, beta2, p);
        }
    }

    private final Params params;

    /** LDIR with {@code params}. */
    public Ldir(Params params) {
        if (params == null) {
            throw new IllegalArgumentException("LDIR needs parameters, got null");
        }
        this.params = params;
    }

    /** The hyperparameters. */
    public Params params() {
        return params;
    }

    @Override
    public String name() {
        return "ldir";
    }

    @Override
    public String citation() {
        return "LDIR, He et al. 2023 (arXiv 2307.12070), history gradient update; P2L Algorithm 5";
    }

    @Override
    public Class<Operator> tier() {
        return Operator.class;
    }

    @Override
    public NDArray reconstruct(SolveContext<Operator> ctx) {
        TimeGrid grid = ctx.requireGrid(params.grid(), "LDIR");
        NoiseSchedule schedule = grid.schedule();
        Guidance.Objective objective = LatentDps.objective(ctx.latent().ae(), ctx.a(), ctx.y(), 1, params.p(), 0,
                null, 0, null);
        NDArray zT = ctx.noise().normal(ctx.manager(), ctx.latentShape(), ctx.dataType());
        try (NDManager moments = ctx.manager().newSubManager();
             TensorAdam adam = new TensorAdam(params.rho(), params.beta1(), params.beta2(), 1e-8)) {
            adam.keepOn(moments);
            NDArray z0 = ctx.loop(grid, zT, (i, step, zt) -> {
                Guidance.Result g = ctx.guide(zt, step.t(), objective);
                NDArray zPrime = DdimStep.update(schedule, g.x0Hat(), g.eps(), step.t(), step.tPrev(), params.eta(),
                        ctx.noise());
                return new StepResult(adam.step(zPrime, g.gradient()), g.x0Hat());
            });
            return ctx.latent().ae().decode(z0);
        }
    }

    @Override
    public String toString() {
        return "ldir(rho=" + params.rho() + ", p=" + params.p() + ", " + params.grid() + ")";
    }
}
