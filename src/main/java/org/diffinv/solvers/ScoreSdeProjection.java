package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import org.diffinv.diffusion.DdpmStep;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.StepResult;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.diffusion.Tweedie;
import org.diffinv.linalg.CgOptions;
import org.diffinv.operators.LinearOperator;

/**
 * Score-SDE's projection sampler for linear inverse problems (Song, Sohl-Dickstein, Kingma, Kumar, Ermon and Poole,
 * ICLR 2021, Section 5 and Appendix I.2, "imputation"), as the DPS, PSLD and MCG tables run it: the VP ancestral
 * sampler with the measurement, noised to the current level, imposed after every step.
 * <pre>
 *   x_T = N(0, I)
 *   per grid pair (t, s):  x' = DDPM ancestral step from x_t with x0Hat = Tweedie(x_t, eps_theta(x_t, t))
 *                          y_t = sqrt(abar_t) y + sqrt(1 - abar_t) A z
 *                          x_s = x' + A^+ (y_t - A x')          (a mask: (1 - M) x' + M y_t)
 * </pre>
 * The measurement is noised at the step's <em>input</em> index {@code t}, not at {@code s}: the reference code's
 * off-by-one (DPS repository {@code projection}, MCG repository {@code vanilla}), kept so the baseline matches the
 * tables; {@link Params#noiseAtInput()} {@code = false} uses {@code s}. Predictor only (the VP configurations have no
 * corrector). Linear tier: the projection needs {@code A^+} (closed form on the SVD tier, CG otherwise).
 */
public final class ScoreSdeProjection implements Solver<LinearOperator> {

    /**
     * Hyperparameters.
     *
     * @param grid the reverse grid (reference: all 1000 DDPM steps)
     * @param noiseAtInput noise the measurement at the step's input index (the reference) rather than its output
     * @param cg the CG options of {@code A^+} on the linear tier (ignored on the SVD tier)
     */
    public record Params(TimeGrid grid, boolean noiseAtInput, CgOptions cg) {
        /** Validates the values. */
        public Params {
            if (grid == null || cg == null) {
                throw new IllegalArgumentException("Score-SDE projection needs a grid and CG options, got null");
            }
        }

        /** The reference: 1000 DDPM steps, measurement noised at the input index, CG default options. */
        public static Params paper(NoiseSchedule schedule, TaskKind kind) {
            return new Params(TimeGrid.ddpm(schedule), true, CgOptions.DEFAULT);
        }

        /** A copy on another grid. */
        public Params withGrid(TimeGrid grid) {
            return new Params(grid, noiseAtInput, cg);
        }
    }

    private final Params params;

    /** The sampler with {@code params}. */
    public ScoreSdeProjection(Params params) {
        if (params == null) {
            throw new IllegalArgumentException("Score-SDE projection needs parameters, got null");
        }
        this.params = params;
    }

    /** The hyperparameters. */
    public Params params() {
        return params;
    }

    @Override
    public String name() {
        return "score-sde";
    }

    @Override
    public String citation() {
        return "Score-SDE projection, Song et al. 2021 (ICLR), Sec. 5 / App. I.2";
    }

    @Override
    public Class<LinearOperator> tier() {
        return LinearOperator.class;
    }

    @Override
    public NDArray reconstruct(SolveContext<LinearOperator> ctx) {
        TimeGrid grid = ctx.requireGrid(params.grid(), "Score-SDE projection");
        NoiseSchedule schedule = grid.schedule();
        LinearOperator a = ctx.a();
        return ctx.loop(grid, ctx.normal(), (i, step, xt) -> {
            NDArray x0Hat = Tweedie.x0FromEps(schedule, xt, ctx.prior().eps(xt, step.t()), step.t());
            NDArray xPrime = DdpmStep.sample(schedule, xt, x0Hat, step.t(), step.tPrev(), ctx.noise());
            int level = params.noiseAtInput() ? step.t() : step.tPrev();
            NDArray yLevel = MeasurementProjection.noisedMeasurement(a, ctx.y(), schedule,
                    step.tPrev() < 0 ? -1 : level, xt, ctx.noise());
            return new StepResult(MeasurementProjection.project(a, xPrime, yLevel, params.cg()), x0Hat);
        });
    }

    @Override
    public String toString() {
        return "score-sde(noiseAtInput=" + params.noiseAtInput() + ", " + params.grid() + ")";
    }
}
