package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.diffinv.diffusion.DdimStep;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.StepResult;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.diffusion.Tweedie;
import org.diffinv.operators.Operator;
import org.diffinv.priors.Autoencoder;
import org.diffinv.util.Scopes;
import org.diffinv.util.Scalars;

/**
 * ReSample (Song, Kwon, Zhang, Hu, Qu and Shen, ICLR 2024, "Solving inverse problems with latent diffusion models via
 * hard data consistency", Algorithm 1; official code soominkwon/resample): latent DDIM with a DPS-type gradient step at
 * every step and, every {@code k} steps of the middle and late phases, hard data consistency followed by stochastic
 * resampling. Per grid pair {@code (t, s)} at reference index {@code i} (counting {@code N-1} down to 0):
 * <pre>
 *   eps, z0 = Tweedie(z_t);   z' = DDIM(z0, eps; eta)
 *   z' = z' - c abar_t grad_{z_t} ||y - A(D(z0))||                         (DPS step, c = 0.5, unsquared norm)
 *   if i <= N - N/3 and i > 0 and i % k == 0:                                (hard data consistency)
 *     z0hat = Tweedie estimate after 'travel' more unconditional DDIM steps from z'    ("time travel")
 *     i >= N/3 (middle): x = argmin_x mean||y - A x||^2 from D(z0hat) by AdamW; z0y = E(x)   (pixel optimisation)
 *     i <  N/3 (late):   z0y = argmin_z mean||y - A(D(z))||^2 from z0hat by AdamW            (latent optimisation)
 *     s2  = gamma (1 - abar_s)/(1 - abar_t) (1 - abar_t/abar_s)
 *     z_s = (s2 sqrt(abar_s) z0y + (1 - abar_s) z') / (s2 + 1 - abar_s) + sqrt(1/(1/s2 + 1/(1 - abar_s))) xi   (Eq. 13)
 *   else z_s = z'
 * after the loop: z = latent optimisation from z_0;  x_hat = D(z)
 * </pre>
 * Optimisations (the reference's): AdamW (weight decay 0.01), latent lr 5e-3 for at most 500 iterations, pixel lr 1e-2
 * for at most 2000; both stop when the loss falls below 1e-6, the latent one also when the loss 200 iterations ago was
 * lower than now. The loss is the mean squared residual of each sample, summed over the batch (each sample's gradient
 * is its own; the stopping rules look at the batch mean). Defaults: 500 LDM-grid steps, eta 0, k = 10, travel 5,
 * gamma = 40 (the reference's value; "change for each task"), all reference values.
 *
 * <p>Differences from the reference code, both its inconsistencies: its DPS and time-travel steps estimate {@code z0}
 * as {@code (z_t - (1 - abar_t) eps)/sqrt(abar_t)} (a missing square root) and its time-travel steps read the
 * alphas one grid step off; the kit uses Tweedie's estimate and consistent indices. Forward tier.
 */
public final class ReSample implements LatentSolver<Operator> {

    /**
     * Hyperparameters.
     *
     * @param grid the reverse grid (reference: 500 steps on the LDM grid)
     * @param eta DDIM's stochasticity (reference 0)
     * @param dpsScale {@code c} of the DPS step {@code c abar_t} (reference 0.5)
     * @param every {@code k}: hard data consistency every {@code k} steps (reference 10)
     * @param travel the unconditional DDIM steps before the consistency step (reference 5)
     * @param gamma the resampling variance factor (reference 40)
     * @param latentLr the latent optimisation's learning rate (reference 5e-3)
     * @param latentIterations its iteration budget (reference 500)
     * @param pixelLr the pixel optimisation's learning rate (reference 1e-2)
     * @param pixelIterations its iteration budget (reference 2000)
     */
    public record Params(TimeGrid grid, double eta, double dpsScale, int every, int travel, double gamma,
                         double latentLr, int latentIterations, double pixelLr, int pixelIterations) {
        /** Validates the values. */
        public Params {
            if (grid == null) {
                throw new IllegalArgumentException("ReSample needs a time grid, got null");
            }
            if (!(eta >= 0 && eta <= 1) || !(dpsScale >= 0) || !Double.isFinite(dpsScale)) {
                throw new IllegalArgumentException("ReSample needs eta in [0, 1] and a finite dpsScale >= 0, got "
                        + eta + ", " + dpsScale);
            }
            if (every < 1 || travel < 0 || latentIterations < 0 || pixelIterations < 0) {
                throw new IllegalArgumentException("ReSample needs every >= 1 and travel, latentIterations, "
                        + "pixelIterations >= 0, got " + every + ", " + travel + ", " + latentIterations + ", "
                        + pixelIterations);
            }
            if (!(gamma > 0) || !Double.isFinite(gamma) || !(latentLr > 0) || !(pixelLr > 0)) {
                throw new IllegalArgumentException("ReSample needs gamma, latentLr and pixelLr finite and > 0, got "
                        + gamma + ", " + latentLr + ", " + pixelLr);
            }
        }

        /** The reference settings (see the class comment); the task kind does not change them. */
        public static Params paper(NoiseSchedule schedule, TaskKind kind) {
            return new Params(TimeGrid.ldm(schedule, 500), 0, 0.5, 10, 5, 40, 5e-3, 500, 1e-2, 2000);
        }

        /** A copy on another grid (the phases and {@code k} refer to its positions). */
        public Params withGrid(TimeGrid grid) {
            return new Params(grid, eta, dpsScale, every, travel, gamma, latentLr, latentIterations, pixelLr,
                    pixelIterations);
        }

        /** A copy with consistency every {@code k} steps. */
        public Params withEvery(int k) {
            return new Params(grid, eta, dpsScale, k, travel, gamma, latentLr, latentIterations, pixelLr,
                    pixelIterations);
        }

        /** A copy with other optimisation budgets. */
        public Params withIterations(int latent, int pixel) {
            return new Params(grid, eta, dpsScale, every, travel, gamma, latentLr, latent, pixelLr, pixel);
        }

        /** A copy with resampling factor {@code gamma}. */
        public Params withGamma(double gamma) {
            return new Params(grid, eta, dpsScale, every, travel, gamma, latentLr, latentIterations, pixelLr,
                    pixelIterations);
        }
    }

    private static final double WEIGHT_DECAY = 0.01;
    private static final double STOP_LOSS = 1e-6;
    private static final int WINDOW = 200;

    private final Params params;

    /** ReSample with {@code params}. */
    public ReSample(Params params) {
        if (params == null) {
            throw new IllegalArgumentException("ReSample needs parameters, got null");
        }
        this.params = params;
    }

    /** The hyperparameters. */
    public Params params() {
        return params;
    }

    @Override
    public String name() {
        return "resample";
    }

    @Override
    public String citation() {
        return "ReSample, Song et al. 2024 (ICLR), Algorithm 1, Eq. 13";
    }

    @Override
    public Class<Operator> tier() {
        return Operator.class;
    }

    /**
     * AdamW on {@code f} from {@code start} for at most {@code iterations}, with the reference's stopping rules
     * (loss below 1e-6 per sample on average; with {@code window}, the loss {@code window} iterations ago lower than
     * now). Returns the iterate on {@code start}'s manager.
     */
    static NDArray minimise(NDArray start, java.util.function.UnaryOperator<NDArray> f, double lr, int iterations,
            boolean window) {
        long batch = start.getShape().get(0);
        NDArray x = start.duplicate();
        double[] history = new double[iterations];
        try (NDManager state = start.getManager().newSubManager(); TensorAdam adam = new TensorAdam(lr)) {
            adam.keepOn(state).withWeightDecay(WEIGHT_DECAY);
            for (int k = 0; k < iterations; k++) {
                double[] loss = new double[1];
                x = Scopes.step(x, xk -> {
                    Guidance.Gradient g = Guidance.gradient(xk, f);
                    loss[0] = g.loss() / batch;
                    return adam.step(xk, g.gradient());
                });
                history[k] = loss[0];
                if (loss[0] < STOP_LOSS || window && k >= WINDOW && history[k - WINDOW] < loss[0]) {
                    break;
                }
            }
        }
        return x;
    }

    @Override
    public NDArray reconstruct(SolveContext<Operator> ctx) {
        TimeGrid grid = ctx.requireGrid(params.grid(), "ReSample");
        NoiseSchedule schedule = grid.schedule();
        Autoencoder ae = ctx.latent().ae();
        Operator a = ctx.a();
        NDArray y = ctx.y();
        int n = grid.size();
        int split = n / 3;
        Guidance.Objective dps = LatentDps.objective(ae, a, y, 1, 1, 0, null, 0, null);
        NDArray zT = ctx.noise().normal(ctx.manager(), ctx.latentShape(), ctx.dataType());
        NDArray z0 = ctx.loop(grid, zT, (pos, step, zt) -> {
            int t = step.t();
            int s = step.tPrev();
            int index = n - 1 - pos;
            Guidance.Result g = ctx.guide(zt, t, dps);
            NDArray zPrime = DdimStep.update(schedule, g.x0Hat(), g.eps(), t, s, params.eta(), ctx.noise())
                    .sub(Scalars.mul(g.gradient(), params.dpsScale() * schedule.alphaBar(t)));
            if (!(index <= n - split && index > 0 && index % params.every() == 0)) {
                return new StepResult(zPrime, g.x0Hat());
            }
            // time travel: unconditional DDIM steps from z' along the grid, then Tweedie
            NDArray z = zPrime;
            NDArray z0Hat = g.x0Hat();
            for (int j = 1; j <= params.travel() && pos + j < n; j++) {
                TimeGrid.Step next = grid.step(pos + j);
                NDArray e = ctx.prior().eps(z, next.t());
                z0Hat = Tweedie.x0FromEps(schedule, z, e, next.t());
                z = DdimStep.update(schedule, z0Hat, e, next.t(), next.tPrev(), 0, null);
            }
            NDArray z0y;
            if (index >= split) {
                NDArray x = minimise(ae.decode(z0Hat), xk -> Guidance.meanSquaredResidual(a, xk, y), params.pixelLr(),
                        params.pixelIterations(), false);
                z0y = ae.encode(x);
            } else {
                z0y = minimise(z0Hat, zk -> Guidance.meanSquaredResidual(a, ae.decode(zk), y), params.latentLr(),
                        params.latentIterations(), true);
            }
            double abarT = schedule.alphaBar(t);
            double abarS = schedule.alphaBar(s);
            double s2 = params.gamma() * (1 - abarS) / (1 - abarT) * (1 - abarT / abarS);
            NDArray mean = Scalars.div(Scalars.mul(z0y, s2 * Math.sqrt(abarS))
                    .add(Scalars.mul(zPrime, 1 - abarS)), s2 + 1 - abarS);
            double std = Math.sqrt(1 / (1 / s2 + 1 / (1 - abarS)));
            return new StepResult(mean.add(Scalars.mul(ctx.noise().normalLike(mean), std)), z0y);
        });
        NDArray z = minimise(z0, zk -> Guidance.meanSquaredResidual(a, ae.decode(zk), y), params.latentLr(),
                params.latentIterations(), true);
        return ae.decode(z);
    }

    @Override
    public String toString() {
        return "resample(k=" + params.every() + ", gamma=" + params.gamma() + ", " + params.grid() + ")";
    }
}
