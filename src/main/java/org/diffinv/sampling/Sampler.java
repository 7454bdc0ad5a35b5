package org.diffinv.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.DdimStep;
import org.diffinv.diffusion.DdpmStep;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.diffusion.ReverseLoop;
import org.diffinv.diffusion.SamplerListener;
import org.diffinv.diffusion.SamplingInterruptedException;
import org.diffinv.diffusion.StepResult;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.priors.EpsPrior;

/**
 * An unconditional reverse-diffusion sampler, an immutable value: DDPM ancestral steps ({@link DdpmStep})
 * or DDIM({@code eta}) steps ({@link DdimStep}) over a {@link TimeGrid}, driven by any {@link EpsPrior}.
 *
 * <p>Loop (for each grid pair {@code (t, tPrev)}, noisiest first):
 * <pre>
 *   eps   = eps_theta(x_t, t)
 *   x0Hat = Tweedie(x_t, eps)
 *   x_tPrev = DDPM: sample q(x_tPrev | x_t, x0Hat)     DDIM: sqrt(abar_s) x0Hat + sqrt(1-abar_s-sigma^2) eps + sigma z
 * </pre>
 * The loop itself is the kit's one {@link ReverseLoop}: each step runs in its own sub-manager (only the new
 * iterate survives it), the thread's interrupt flag is checked before every step
 * ({@link SamplingInterruptedException}), and a {@link SamplerListener} sees every step's {@link StepResult}.
 * This class is only the step rule. All randomness comes from the {@link NoiseSource} passed in, drawn in a fixed
 * order (the start noise, then each stochastic step's {@code z}): the same seed gives bit-identical output.
 */
public final class Sampler {

    /** The step rule. */
    public enum Method {
        /** DDPM ancestral steps, {@link DdpmStep}. */
        DDPM,
        /** DDIM({@code eta}) steps, {@link DdimStep}. */
        DDIM
    }

    private final TimeGrid grid;
    private final Method method;
    private final double eta;

    private Sampler(TimeGrid grid, Method method, double eta) {
        if (grid == null) {
            throw new IllegalArgumentException("a sampler needs a time grid, got null");
        }
        if (!(eta >= 0) || Double.isInfinite(eta)) {
            throw new IllegalArgumentException("DDIM eta must be a finite number >= 0, got " + eta);
        }
        this.grid = grid;
        this.method = method;
        this.eta = eta;
    }

    /** DDPM ancestral sampling (posterior variance {@code betaTilde}) over {@code grid}, usually {@link TimeGrid#ddpm}. */
    public static Sampler ddpm(TimeGrid grid) {
        return new Sampler(grid, Method.DDPM, 1.0);
    }

    /** DDIM sampling with stochasticity {@code eta} over {@code grid} ({@code eta = 0}: deterministic). */
    public static Sampler ddim(TimeGrid grid, double eta) {
        return new Sampler(grid, Method.DDIM, eta);
    }

    /** The time grid. */
    public TimeGrid grid() {
        return grid;
    }

    /** The step rule. */
    public Method method() {
        return method;
    }

    /** DDIM's {@code eta} (1 for DDPM, to which it is equivalent in distribution). */
    public double eta() {
        return eta;
    }

    /**
     * Draws a batch from the prior: {@code x_T ~ N(0, I)} of shape {@code shape} (usually
     * {@code (N, C, H, W)}) and type {@code dataType}, then the reverse loop. The result lives on
     * {@code manager}.
     */
    public NDArray sample(EpsPrior prior, NDManager manager, Shape shape, DataType dataType, NoiseSource noise) {
        return sample(prior, manager, shape, dataType, noise, SamplerListener.none());
    }

    /** As {@link #sample(EpsPrior, NDManager, Shape, DataType, NoiseSource)}, reporting every step to {@code listener}. */
    public NDArray sample(EpsPrior prior, NDManager manager, Shape shape, DataType dataType, NoiseSource noise,
            SamplerListener listener) {
        if (noise == null) {
            throw new IllegalArgumentException("sampling from pure noise needs a NoiseSource, got null");
        }
        checkPrior(prior);
        try (NDManager start = manager.newSubManager()) {
            NDArray xT = noise.normal(start, shape, dataType);
            NDArray out = run(prior, xT, noise, listener);
            out.attach(manager);
            return out;
        }
    }

    /**
     * Runs the reverse loop from a given {@code xStart} at the grid's first time {@link TimeGrid#startTime()}
     * (e.g. a noised estimate for SNR-matched or purification starts). {@code xStart} is not modified or
     * closed; the result lives on its manager.
     *
     * @param noise needed unless every step is deterministic (DDIM with {@code eta = 0})
     */
    public NDArray run(EpsPrior prior, NDArray xStart, NoiseSource noise, SamplerListener listener) {
        checkPrior(prior);
        org.diffinv.operators.Checks.requireFinite(xStart, "sampler", "start point x_T");
        return ReverseLoop.run(grid, xStart, (i, step, xt) -> step(prior, xt, step, noise), listener,
                ReverseLoop.recordNone()).x();
    }

    /**
     * One step of this sampler's rule at grid pair {@code step}: {@code eps = prior.eps(x_t, t)}, then the
     * DDPM or DDIM update. The results live on {@code xt}'s manager.
     */
    public StepResult step(EpsPrior prior, NDArray xt, TimeGrid.Step step, NoiseSource noise) {
        NDArray eps = prior.eps(xt, step.t());
        if (method == Method.DDPM) {
            return DdpmStep.step(grid.schedule(), xt, eps, step.t(), step.tPrev(), noise);
        }
        return DdimStep.step(grid.schedule(), xt, eps, step.t(), step.tPrev(), eta, noise);
    }

    private void checkPrior(EpsPrior prior) {
        if (prior == null) {
            throw new IllegalArgumentException("a sampler needs a prior, got null");
        }
        if (!prior.schedule().equals(grid.schedule())) {
            throw new IllegalArgumentException("the prior's schedule " + prior.schedule()
                    + " differs from the grid's schedule " + grid.schedule());
        }
    }

    @Override
    public String toString() {
        return (method == Method.DDPM ? "ddpm" : "ddim(eta=" + eta + ")") + " over " + grid;
    }
}
