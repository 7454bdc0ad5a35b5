package org.diffinv.train;

import ai.djl.ndarray.NDArray;
import org.diffinv.diffusion.DdimStep;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.Tweedie;
import org.diffinv.priors.ConsistencyFunction;
import org.diffinv.priors.EpsPrior;
import org.diffinv.util.Scalars;

import java.util.Arrays;
import java.util.TreeSet;

/**
 * Consistency distillation (Song, Dhariwal, Chen and Sutskever, "Consistency models", ICML 2023, Algorithm 2, Eq. 7)
 * on the kit's discrete VP schedules: for data {@code x}, a pair of neighbouring boundaries {@code t_n < t_{n+1}} of
 * a fixed grid and {@code z ~ N(0, I)},
 * <pre>
 *   x_{t_{n+1}} = sqrt(abar_{t_{n+1}}) x + sqrt(1 - abar_{t_{n+1}}) z
 *   xHat_{t_n}  = one step of the teacher's probability-flow ODE from t_{n+1} to t_n   (deterministic DDIM, eta = 0)
 *   L = mean || f_theta(x_{t_{n+1}}, t_{n+1}) - stopgrad f_{theta^-}(xHat_{t_n}, t_n) ||^2
 * </pre>
 * with {@code theta^- <- stopgrad(mu theta^- + (1 - mu) theta)} after every step (the target network). The distance
 * {@code d} is the squared L2 distance averaged over pixels (the paper's L2 option; LPIPS needs a network trained
 * elsewhere), {@code lambda(t_n) = 1}. DDIM is the first-order exponential integrator of the VP probability-flow ODE
 * in the eps-parametrization, the VP counterpart of the paper's Euler step. Deviation, stated: one boundary pair per
 * batch (not per example), since the kit's networks take one time index per call.
 *
 * <p>The boundaries ({@link #boundaries}) are the Karras grid in the VE noise level
 * {@code sigma_i = (sigma_min^{1/rho} + i/(N-1) (sigma_max^{1/rho} - sigma_min^{1/rho}))^rho} (the paper's
 * discretisation, rho = 7, sigma_max = 80) snapped to the schedule's nearest indices, from index 0 (the schedule's
 * smallest level, 0.01 for the pixel prior, stands for the paper's sigma_min = 0.002) to the index nearest
 * sigma_max. The cap matters in the eps-parametrization: the pixel schedule's last index has sigma = 158, where
 * Tweedie's {@code 1/sqrt(abar)} multiplies the teacher's noise error by 158 and the top pair's loss was 3.7 per pixel
 * for the undistilled student (0.24 for the next pair, below 0.01 for the low ones).
 */
public final class ConsistencyDistillation {

    private ConsistencyDistillation() {
    }

    /** The consistency-model paper's largest noise level. */
    public static final double SIGMA_MAX = 80;

    /**
     * The ascending boundary indices {@code 0 = t_0 < ... < t_{N-1}}: {@code n} Karras levels with exponent {@code rho}
     * from the schedule's smallest VE noise level to {@code sigmaMax} (capped at the schedule's largest), snapped to
     * the nearest index (in log sigma) and deduplicated (so there may be fewer than {@code n}).
     *
     * @throws IllegalArgumentException if {@code n < 2}, {@code rho <= 0} or {@code sigmaMax} is not above the
     *     smallest level
     */
    public static int[] boundaries(NoiseSchedule schedule, int n, double rho, double sigmaMax) {
        if (n < 2) {
            throw new IllegalArgumentException("consistency distillation needs at least 2 boundaries, got " + n);
        }
        if (!(rho > 0) || Double.isInfinite(rho)) {
            throw new IllegalArgumentException("the Karras exponent rho must be positive and finite, got " + rho);
        }
        if (!(sigmaMax > schedule.veSigma(0)) || Double.isInfinite(sigmaMax)) {
            throw new IllegalArgumentException("sigmaMax must be finite and above the smallest level "
                    + schedule.veSigma(0) + ", got " + sigmaMax);
        }
        int top = schedule.nearestVeSigmaIndex(Math.min(sigmaMax, schedule.veSigma(schedule.steps() - 1)));
        double lo = Math.pow(schedule.veSigma(0), 1 / rho);
        double hi = Math.pow(schedule.veSigma(top), 1 / rho);
        TreeSet<Integer> out = new TreeSet<>();
        out.add(0);
        out.add(top);
        for (int i = 1; i < n - 1; i++) {
            out.add(schedule.nearestVeSigmaIndex(Math.pow(lo + i / (double) (n - 1) * (hi - lo), rho)));
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** {@link #boundaries(NoiseSchedule, int, double, double)} with the paper's {@link #SIGMA_MAX}. */
    public static int[] boundaries(NoiseSchedule schedule, int n, double rho) {
        return boundaries(schedule, n, rho, SIGMA_MAX);
    }

    /**
     * The teacher's one-step ODE estimate {@code xHat_{tLo}} from {@code x_{tHi}}: deterministic DDIM with the
     * teacher's noise prediction (no gradient).
     */
    public static NDArray teacherStep(EpsPrior teacher, NDArray xHi, int tHi, int tLo) {
        NoiseSchedule s = teacher.schedule();
        NDArray eps = teacher.eps(xHi, tHi).stopGradient();
        NDArray x0 = Tweedie.x0FromEps(s, xHi, eps, tHi);
        return DdimStep.update(s, x0, eps, tHi, tLo, 0, null).stopGradient();
    }

    /**
     * The distillation loss of one batch: {@code x0} the data, {@code z} the noise, boundaries {@code tLo < tHi};
     * {@code online} is differentiated, {@code target} and {@code teacher} are not.
     *
     * @throws IllegalArgumentException if {@code tLo >= tHi} or the schedules differ
     */
    public static NDArray loss(ConsistencyFunction online, ConsistencyFunction target, EpsPrior teacher, NDArray x0,
            NDArray z, int tLo, int tHi) {
        if (tLo >= tHi) {
            throw new IllegalArgumentException("need t_n < t_{n+1}, got " + tLo + " and " + tHi);
        }
        NoiseSchedule s = teacher.schedule();
        if (!s.equals(online.schedule()) || !s.equals(target.schedule())) {
            throw new IllegalArgumentException("the teacher, online and target functions must share one schedule");
        }
        double ab = s.alphaBar(tHi);
        NDArray xHi = Scalars.mul(x0, Math.sqrt(ab)).add(Scalars.mul(z, Math.sqrt(1 - ab)));
        NDArray xLo = teacherStep(teacher, xHi, tHi, tLo);
        NDArray goal = target.x0(xLo, tLo).stopGradient();
        return online.x0(xHi, tHi).sub(goal).square().mean();
    }

    /** A readable form of a boundary grid. */
    public static String describe(int[] boundaries) {
        return Arrays.toString(boundaries);
    }
}
