package org.diffinv.priors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.diffinv.diffusion.DdimStep;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.StepResult;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.util.Scalars;

/**
 * The consistency function a perfect consistency model would learn, computed by integrating the prior's
 * probability-flow ODE from {@code t} to 0: deterministic DDIM (the ODE's first-order exponential integrator) over at
 * most {@code steps} evenly spaced indices ({@link TimeGrid#dcdpInner}), returning the last Tweedie estimate. Exact up
 * to the integrator's discretisation; it costs up to {@code steps} network evaluations per call, where a distilled
 * consistency model ({@link ConsistencyModel}) costs one. For exact-prior checks of methods built on a consistency
 * model (DCDP-CM on the exact-posterior benchmark), where a mixture prior's consistency function has no closed form.
 */
public final class OdeConsistency implements ConsistencyFunction {

    private final EpsPrior prior;
    private final int steps;

    /** The ODE map of {@code prior} over at most {@code steps} DDIM steps. */
    public OdeConsistency(EpsPrior prior, int steps) {
        if (prior == null) {
            throw new IllegalArgumentException("an ODE consistency function needs a prior, got null");
        }
        if (steps < 1) {
            throw new IllegalArgumentException("an ODE consistency function needs at least 1 step, got " + steps);
        }
        this.prior = prior;
        this.steps = steps;
    }

    @Override
    public NoiseSchedule schedule() {
        return prior.schedule();
    }

    @Override
    public NDArray x0(NDArray xt, int t) {
        NoiseSchedule s = schedule();
        if (t == 0) {
            return Scalars.div(xt, Math.sqrt(s.alphaBar(0)));
        }
        TimeGrid grid = TimeGrid.dcdpInner(s, t + 1, steps);
        NDManager home = xt.getManager();
        NDArray x = xt;
        NDArray x0 = null;
        for (TimeGrid.Step step : grid.steps()) {
            try (NDManager scope = home.newSubManager()) {
                StepResult r = DdimStep.step(s, x, prior.eps(x, step.t()), step.t(), step.tPrev(), 0,
                        null);
                NDArray next = r.xPrev();
                NDArray est = r.x0Hat();
                next.attach(home);
                est.attach(home);
                if (x != xt) {
                    x.close();
                }
                if (x0 != null) {
                    x0.close();
                }
                x = next;
                x0 = est;
            }
        }
        if (x != xt && x != x0) {
            x.close();
        }
        return x0;
    }

    @Override
    public String toString() {
        return "ode-consistency(" + steps + " DDIM steps)";
    }
}
