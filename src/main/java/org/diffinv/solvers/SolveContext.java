package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.diffusion.ReverseLoop;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.metrics.Cost;
import org.diffinv.metrics.CostMeter;
import org.diffinv.operators.Checks;
import org.diffinv.operators.Operator;
import org.diffinv.priors.EpsPrior;

import java.util.ArrayList;
import java.util.List;

/**
 * What a solver's {@link Solver#reconstruct} sees: the problem with its operator wrapped by the cost ledger, the
 * prior wrapped likewise, the run's noise, a memory scope for the whole solve, the one reverse loop
 * ({@link #loop}) and the one guidance fragment ({@link #guide}). Made by {@link Solver#solve}; one per solve.
 *
 * @param <O> the operator tier
 */
public final class SolveContext<O extends Operator> {

    private final O a;
    private final NDArray y;
    private final Problem<O> problem;
    private final EpsPrior prior;
    private final Run run;
    private final CostMeter meter;
    private final NDManager scope;
    private final List<ReverseLoop.Snapshot> trajectory = new ArrayList<>();
    private LatentPrior latent;

    private SolveContext(Problem<O> problem, EpsPrior prior, Run run, CostMeter meter, NDManager scope, O a,
            NDArray y) {
        this.problem = problem;
        this.prior = prior;
        this.run = run;
        this.meter = meter;
        this.scope = scope;
        this.a = a;
        this.y = y;
    }

    /** Runs {@code solver} on {@code problem}: validation, metering, the method, packing (see {@link Solver#solve}). */
    static <O extends Operator> Reconstruction execute(Solver<O> solver, Problem<? extends O> problem,
            EpsPrior prior, Run run) {
        if (problem == null || prior == null || run == null) {
            throw new IllegalArgumentException(solver.name() + " needs a problem, a prior and a run, got "
                    + (problem == null ? "problem = null" : prior == null ? "prior = null" : "run = null"));
        }
        return run(solver.name(), solver.toString(), solver.requireTier(problem), run,
                meter -> meter.wrapPrior(prior, CostMeter.VjpCounting.MANUAL), null, solver::reconstruct);
    }

    /** Runs a latent solver: as {@link #execute}, with the conditional prior and the autoencoder counted too. */
    static <O extends Operator> Reconstruction executeLatent(LatentSolver<O> solver, Problem<? extends O> problem,
            LatentPrior prior, Run run) {
        if (problem == null || prior == null || run == null) {
            throw new IllegalArgumentException(solver.name() + " needs a problem, a latent prior and a run, got "
                    + (problem == null ? "problem = null" : prior == null ? "prior = null" : "run = null"));
        }
        Problem<O> typed = solver.requireTier(problem);
        long[] imageShape = typed.xShape().slice(1).getShape();
        if (!new ai.djl.ndarray.types.Shape(imageShape).equals(prior.ae().imageShape())) {
            throw new IllegalArgumentException(solver.name() + ": the problem's images have shape "
                    + typed.xShape().slice(1) + " but the autoencoder takes " + prior.ae().imageShape());
        }
        return run(solver.name(), solver.toString(), typed, run, null, prior, solver::reconstruct);
    }

    private static <O extends Operator> Reconstruction run(String name, String description, Problem<O> typed,
            Run run, java.util.function.Function<CostMeter, EpsPrior> pixelPrior, LatentPrior latentPrior,
            java.util.function.Function<SolveContext<O>, NDArray> method) {
        NDManager parent = typed.y().getManager();
        try (org.diffinv.util.ThreadPolicy.Scope threads = org.diffinv.util.ThreadPolicy.forBatch(typed.y().getShape().get(0));
             CostMeter meter = CostMeter.start(); NDManager scope = parent.newSubManager()) {
            @SuppressWarnings("unchecked")
            O counted = (O) meter.wrapOperator(typed.a());
            NDArray yLocal = typed.y().duplicate();
            yLocal.attach(scope);
            LatentPrior countedLatent = latentPrior == null ? null : new LatentPrior(
                    meter.wrapConditionalPrior(latentPrior.eps()), meter.wrapAutoencoder(latentPrior.ae()),
                    latentPrior.c(), latentPrior.cNull());
            EpsPrior countedPrior = countedLatent != null ? countedLatent.atCondition() : pixelPrior.apply(meter);
            SolveContext<O> ctx = new SolveContext<>(typed.withOperator(counted), countedPrior, run, meter, scope,
                    counted, yLocal);
            ctx.latent = countedLatent;
            NDArray xHat;
            try {
                xHat = Checks.withinSolve(() -> method.apply(ctx)); // operator inputs are the method's iterates
                Checks.requireFinite(xHat, name, "the estimate xHat (the method diverged)");
            } catch (RuntimeException | Error e) {
                ctx.trajectory.forEach(ReverseLoop.Snapshot::close);
                throw e;
            }
            Cost cost = meter.stop();
            xHat.attach(parent);
            for (ReverseLoop.Snapshot s : ctx.trajectory) {
                s.xt().attach(parent);
                s.x0Hat().attach(parent);
            }
            return new Reconstruction(description, xHat, ctx.trajectory, cost);
        }
    }

    /**
     * The counted latent prior of a {@link LatentSolver} (its {@code eps}, encoder and decoder calls are counted), or
     * {@code null} for a pixel solver.
     */
    public LatentPrior latent() {
        return latent;
    }

    /** The operator, counted by the ledger. */
    public O a() {
        return a;
    }

    /** The measurement (a copy living on {@link #manager()}). */
    public NDArray y() {
        return y;
    }

    /** The problem (its operator is the counted one). */
    public Problem<O> problem() {
        return problem;
    }

    /** The measurement noise standard deviation in the working range, {@code sigma_y}. */
    public double sigmaY() {
        return problem.sigmaY();
    }

    /** The shape {@code (N, C, H, W)} of the unknown. */
    public Shape xShape() {
        return problem.xShape();
    }

    /** The prior, counted by the ledger (VJPs are counted by {@link #guide}). */
    public EpsPrior prior() {
        return prior;
    }

    /** The prior's schedule. */
    public NoiseSchedule schedule() {
        return prior.schedule();
    }

    /** The run's source of randomness. */
    public NoiseSource noise() {
        return run.noise();
    }

    /** The cost ledger of this solve (for counts a method makes by hand, e.g. CG iterations). */
    public CostMeter meter() {
        return meter;
    }

    /** The memory scope of this solve: arrays made here are released when the solve ends, except {@code xHat}. */
    public NDManager manager() {
        return scope;
    }

    /** The data type of the measurement, which the estimate shares. */
    public DataType dataType() {
        return y.getDataType();
    }

    /** The latent batch shape {@code (N, L, h, w)} of a latent solve (the autoencoder's latent shape). */
    public Shape latentShape() {
        if (latent == null) {
            throw new IllegalStateException("latentShape() is for latent solvers; this solve has a pixel prior");
        }
        return new Shape(xShape().get(0)).addAll(latent.ae().latentShape());
    }

    /** Standard normal noise of the unknown's shape, on {@link #manager()}. */
    public NDArray normal() {
        return run.noise().normal(scope, xShape(), dataType());
    }

    /**
     * Checks, before any work, that {@code grid} runs on the prior's schedule.
     *
     * @throws IllegalArgumentException naming both schedules when they differ
     */
    public TimeGrid requireGrid(TimeGrid grid, String who) {
        if (grid == null) {
            throw new IllegalArgumentException(who + " needs a time grid, got null");
        }
        if (!grid.schedule().equals(prior.schedule())) {
            throw new IllegalArgumentException(who + ": the prior's schedule " + prior.schedule()
                    + " differs from the grid's schedule " + grid.schedule() + "; build the grid on the prior's schedule");
        }
        return grid;
    }

    /**
     * The one reverse loop ({@link ReverseLoop}) over {@code grid} from {@code xStart}, with the run's listener and
     * trajectory policy; snapshots are kept for the {@link Reconstruction}.
     */
    public NDArray loop(TimeGrid grid, NDArray xStart, ReverseLoop.StepRule rule) {
        requireGrid(grid, "reverse loop");
        Checks.requireFinite(xStart, "reverse loop", "start point");
        ReverseLoop.Result result = ReverseLoop.run(grid, xStart, rule, run.listener(), run.recordAt(grid.size()));
        trajectory.addAll(result.trajectory());
        return result.x();
    }

    /**
     * The one guidance fragment ({@link Guidance#evaluate}) at {@code (x_t, t)} with this solve's prior and ledger:
     * {@code eps}, {@code x0Hat} and the gradient of {@code objective} with respect to {@code x_t}, in one gradient
     * recording, counting one network VJP.
     */
    public Guidance.Result guide(NDArray xt, int t, Guidance.Objective objective) {
        return Guidance.evaluate(prior, xt, t, objective, meter);
    }
}
