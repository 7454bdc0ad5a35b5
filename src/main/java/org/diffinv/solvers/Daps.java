package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.StepResult;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.operators.Operator;
import org.diffinv.util.Scopes;
import org.diffinv.util.Scalars;

/**
 * DAPS, decoupled annealing posterior sampling (Zhang, Chu, Berner, Meng, Anandkumar and Song, CVPR 2025, Algorithm 1;
 * zhangbingliang2019/DAPS, main branch): at each of a decreasing sequence of noise levels {@code sigma_k} the current
 * noisy iterate is mapped to an estimate of {@code x_0} by a few Euler steps of the probability-flow ODE, that estimate
 * is moved towards the measurement by Langevin dynamics on {@code p(x_0 | x_k, y)} (the prior part approximated by a
 * Gaussian of std {@code sigma_k} around the ODE estimate), and the result is re-noised to the next level:
 * <pre>
 *   poly7(a, b, r) = (a^(1/7) + r (b^(1/7) - a^(1/7)))^7
 *   sigma_k = poly7(sigma_max, sigma_min, k / K), k = 0..K-1;  sigma_K = 0;   x = sigma_0 z
 *   per level k:
 *     (1) x0hat: Euler on the PF-ODE from sigma_k to sigma_ode over u_j = poly7(sigma_k, sigma_ode, j / J), j = 0..J
 *           v = v + (u_{j+1} - u_j) eps_theta(v / sqrt(1 + u_j^2), t(u_j))          (= (v - D(v, u_j)) / u_j)
 *     (2) Langevin, lr_k = lr (1 + k/(K+1) (lr_min_ratio - 1)), w = x0hat, L times:
 *           w = w + lr_k (-(1/tau^2) grad_w ||A(w) - y||^2 + (x0hat - w)/sigma_k^2) + sqrt(2 lr_k) z
 *     (3) x = w + sigma_{k+1} z
 *   return x  (= the last w; not clipped, as the reference)
 * </pre>
 * The network works in the variance-preserving scale; a level {@code sigma} is its variance-exploding noise level
 * {@code sigma_t = sqrt(1 - abar_t)/sqrt(abar_t)}. The reference evaluates a continuous-time network at fractional
 * times; the kit's prior is discrete, so every level (annealing and ODE) is snapped to the index whose
 * {@code sigma_t} is nearest in log scale ({@link NoiseSchedule#nearestVeSigmaIndex}) and the snapped levels are used
 * throughout (Euler steps, Langevin prior term, re-noising): DAPS run on the schedule's own noise levels. Two ODE
 * levels that snap to one index make a zero Euler step and cost no evaluation, so NFE can be slightly below
 * {@code K J}. The annealing levels must snap to distinct indices (they do for K = 200 on the DDPM linear schedule;
 * otherwise the solve is refused naming the collision). The data gradient is the operator's VJP, so the forward tier
 * suffices (nonlinear operators allowed). No gradient through the network. The reference returns zeros when Langevin
 * produces NaN; the kit refuses the non-finite estimate instead.
 *
 * <p>Step (2) touches only the operator, L times per level: with a linear operator that has a TorchScript form
 * ({@link org.diffinv.operators.LinearOperator#script}) the L steps run as one engine call ({@link FusedLoops#langevin}:
 * the same operations and noise draws in the same order, so the same values), else as the eager loop.
 *
 * <p>Defaults: DAPS-1K (K = 200 levels from 100 to 0.1, J = 5 Euler steps to 0.01, so 1,000 NFE), tau = 0.01 (a tuned
 * temperature, not sigma_y), lr_min_ratio = 0.01, and per task (the reference's {@code task_group=pixel}): SR x4 and
 * Gaussian deblurring L = 100, lr = 1e-4; motion deblurring and box inpainting 100, 5e-5 (random inpainting uses 1e-4:
 * set it with {@code withLr}); nonlinear deblurring 200, 1e-5. The values are per pixel, so they carry over to 32x32.
 */
public final class Daps implements Solver<Operator> {

    /**
     * Hyperparameters.
     *
     * @param levels the number {@code K} of annealing levels
     * @param sigmaMax the first level {@code sigma_0}
     * @param sigmaMin the end point of the annealing formula (reached at {@code k = K}, which is replaced by 0)
     * @param odeSteps {@code J}, Euler steps per ODE estimate
     * @param sigmaOde the level the ODE stops at
     * @param langevinSteps {@code L}, Langevin steps per level
     * @param lr the Langevin step size at the first level
     * @param lrMinRatio the ratio of the last level's step size to the first's
     * @param tau the measurement temperature of the Langevin target
     */
    public record Params(int levels, double sigmaMax, double sigmaMin, int odeSteps, double sigmaOde,
                         int langevinSteps, double lr, double lrMinRatio, double tau) {
        /** Validates the values. */
        public Params {
            if (levels < 1 || odeSteps < 1 || langevinSteps < 0) {
                throw new IllegalArgumentException("DAPS needs levels >= 1, odeSteps >= 1 and langevinSteps >= 0, got "
                        + levels + ", " + odeSteps + ", " + langevinSteps);
            }
            if (!(sigmaMax > sigmaMin) || !(sigmaMin > 0) || !(sigmaOde > 0) || !Double.isFinite(sigmaMax)) {
                throw new IllegalArgumentException("DAPS needs finite sigmaMax > sigmaMin > 0 and sigmaOde > 0, got "
                        + sigmaMax + ", " + sigmaMin + ", " + sigmaOde);
            }
            if (!(lr > 0) || !Double.isFinite(lr) || !(lrMinRatio > 0) || !(tau > 0) || !Double.isFinite(tau)) {
                throw new IllegalArgumentException("DAPS needs finite lr > 0, lrMinRatio > 0 and tau > 0, got lr " + lr
                        + ", lrMinRatio " + lrMinRatio + ", tau " + tau);
            }
        }

        /** DAPS-1K with the reference's per-task Langevin settings (see the class comment). */
        public static Params paper(NoiseSchedule schedule, TaskKind kind) {
            int l = kind == TaskKind.NONLINEAR_DEBLUR ? 200 : 100;
            double lr = switch (kind) {
                case MOTION_DEBLUR, INPAINTING -> 5e-5;
                case NONLINEAR_DEBLUR -> 1e-5;
                default -> 1e-4;
            };
            return new Params(200, 100, 0.1, 5, 0.01, l, lr, 0.01, 0.01);
        }

        /** A copy with {@code k} annealing levels and {@code j} Euler steps each (e.g. 50 x 2 for a 100-NFE run). */
        public Params withBudget(int k, int j) {
            return new Params(k, sigmaMax, sigmaMin, j, sigmaOde, langevinSteps, lr, lrMinRatio, tau);
        }

        /** A copy with {@code l} Langevin steps per level. */
        public Params withLangevinSteps(int l) {
            return new Params(levels, sigmaMax, sigmaMin, odeSteps, sigmaOde, l, lr, lrMinRatio, tau);
        }

        /** A copy with Langevin step size {@code lr}. */
        public Params withLr(double lr) {
            return new Params(levels, sigmaMax, sigmaMin, odeSteps, sigmaOde, langevinSteps, lr, lrMinRatio, tau);
        }

        /** A copy with measurement temperature {@code tau}. */
        public Params withTau(double tau) {
            return new Params(levels, sigmaMax, sigmaMin, odeSteps, sigmaOde, langevinSteps, lr, lrMinRatio, tau);
        }
    }

    private final Params params;

    /** DAPS with {@code params}. */
    public Daps(Params params) {
        if (params == null) {
            throw new IllegalArgumentException("DAPS needs parameters, got null");
        }
        this.params = params;
    }

    /** The hyperparameters. */
    public Params params() {
        return params;
    }

    /** {@code poly7(a, b, r) = (a^(1/7) + r (b^(1/7) - a^(1/7)))^7}, the EDM / DAPS interpolation of noise levels. */
    public static double poly7(double a, double b, double r) {
        double root = Math.pow(a, 1 / 7.0) + r * (Math.pow(b, 1 / 7.0) - Math.pow(a, 1 / 7.0));
        return Math.pow(root, 7);
    }

    /**
     * The annealing levels snapped to the schedule: the time grid through the indices nearest to
     * {@code poly7(sigmaMax, sigmaMin, k / K)}, {@code k = 0..K-1}, ending at {@code -1} (level 0).
     *
     * @throws IllegalArgumentException naming the colliding levels when two of them snap to one index
     */
    public TimeGrid annealingGrid(NoiseSchedule schedule) {
        int k = params.levels();
        int[] times = new int[k];
        for (int i = 0; i < k; i++) {
            times[i] = schedule.nearestVeSigmaIndex(poly7(params.sigmaMax(), params.sigmaMin(), i / (double) k));
            if (i > 0 && times[i] >= times[i - 1]) {
                throw new IllegalArgumentException("DAPS: annealing levels " + (i - 1) + " and " + i + " (sigma "
                        + poly7(params.sigmaMax(), params.sigmaMin(), (i - 1) / (double) k) + " and "
                        + poly7(params.sigmaMax(), params.sigmaMin(), i / (double) k) + ") snap to indices "
                        + times[i - 1] + " and " + times[i] + " of " + schedule
                        + "; expected distinct decreasing indices: use fewer levels");
            }
        }
        return TimeGrid.of(schedule, -1, times);
    }

    @Override
    public String name() {
        return "daps";
    }

    @Override
    public String citation() {
        return "DAPS, Zhang et al. 2025 (CVPR), Algorithm 1";
    }

    @Override
    public Class<Operator> tier() {
        return Operator.class;
    }

    @Override
    public NDArray reconstruct(SolveContext<Operator> ctx) {
        NoiseSchedule schedule = ctx.schedule();
        TimeGrid grid = annealingGrid(schedule);
        Operator a = ctx.a();
        NDArray y = ctx.y();
        double dataWeight = -2 / (params.tau() * params.tau());
        NDArray xStart = Scalars.mul(ctx.normal(), schedule.veSigma(grid.startTime()));
        return ctx.loop(grid, xStart, (k, step, x) -> {
            double sigma = schedule.veSigma(step.t());
            // (1) the ODE estimate x0hat: Euler on the snapped levels u_j
            NDArray v = x;
            int from = step.t();
            for (int j = 1; j <= params.odeSteps(); j++) {
                int to = schedule.nearestVeSigmaIndex(poly7(sigma, params.sigmaOde(), j / (double) params.odeSteps()));
                if (to >= from) {
                    continue;
                }
                NDArray vp = Scalars.mul(v, Math.sqrt(schedule.alphaBar(from)));
                v = v.add(Scalars.mul(ctx.prior().eps(vp, from), schedule.veSigma(to) - schedule.veSigma(from)));
                from = to;
            }
            NDArray x0Hat = v;
            // (2) Langevin on p(x0 | x_k, y)
            double lr = params.lr() * (1 + k / (double) (params.levels() + 1) * (params.lrMinRatio() - 1));
            double priorWeight = -1 / (sigma * sigma);
            double noiseScale = Math.sqrt(2 * lr);
            NDArray w = FusedLoops.langevin(ctx, a, x0Hat, y, params.langevinSteps(), dataWeight, priorWeight, lr,
                    noiseScale).orElseGet(() -> langevin(ctx, a, x0Hat, y, dataWeight, priorWeight, lr, noiseScale));
            // (3) re-noise to the next level (0 after the last)
            double next = step.tPrev() < 0 ? 0 : schedule.veSigma(step.tPrev());
            NDArray xNext = next > 0 ? w.add(Scalars.mul(ctx.noise().normalLike(w), next)) : w;
            return new StepResult(xNext, w);
        });
    }

    /**
     * The eager Langevin loop: {@code L} steps {@code w <- w + lr score + sqrt(2 lr) z}, {@code score = dataWeight
     * A^T (A w - y) + priorWeight (w - x0Hat)}, each in its own memory scope ({@link FusedLoops#langevin} is the same
     * loop as one engine call).
     */
    private NDArray langevin(SolveContext<Operator> ctx, Operator a, NDArray x0Hat, NDArray y, double dataWeight,
            double priorWeight, double lr, double noiseScale) {
        NDArray w = x0Hat.duplicate();
        for (int l = 0; l < params.langevinSteps(); l++) {
            w = Scopes.step(w, wl -> {
                NDArray residual = a.apply(wl).sub(y);
                NDArray score = Scalars.mul(a.vjp(wl, residual), dataWeight)
                        .add(Scalars.mul(wl.sub(x0Hat), priorWeight));
                return wl.add(Scalars.mul(score, lr)).add(Scalars.mul(ctx.noise().normalLike(wl), noiseScale));
            });
        }
        return w;
    }

    @Override
    public String toString() {
        return "daps(K=" + params.levels() + ", J=" + params.odeSteps() + ", L=" + params.langevinSteps() + ", lr="
                + params.lr() + ", tau=" + params.tau() + ")";
    }
}
