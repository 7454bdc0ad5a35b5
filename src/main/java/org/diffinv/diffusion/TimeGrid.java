package org.diffinv.diffusion;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A sampler's time grid on a discrete {@link NoiseSchedule}, an immutable value: a descending list of
 * {@code (t, tPrev)} pairs that chain ({@code tPrev} of one pair is {@code t} of the next), read from the
 * schedule only (samplers never recompute the previous time by a stride).
 *
 * <p>The last pair ends at {@code tPrev = -1} (so the step lands on {@code x_0}, using
 * {@code abar_{-1} = 1}), except for the latent-diffusion grid {@link #ldm}, which ends at
 * {@code tPrev = 0} exactly as the latent-diffusion reference does.
 *
 * <p>Factories: {@link #ddpm full DDPM}, {@link #ddimUniform DDIM uniform}, {@link #ddimQuadratic DDIM
 * quadratic}, {@link #ldm LDM uniform +1}, {@link #dcdpInner DCDP's inner purification grid}, and the
 * general {@link #of(NoiseSchedule, int...)}.
 */
public final class TimeGrid {

    /**
     * One step of a grid: denoise from time index {@code t} to {@code tPrev < t}
     * ({@code tPrev = -1} means {@code x_0}, with {@code abar_{-1} = 1}).
     *
     * @param t the current time index, in {@code [0, T-1]}
     * @param tPrev the time index after the step, in {@code [-1, t-1]}
     */
    public record Step(int t, int tPrev) {
        /** Checks {@code 0 <= t} and {@code -1 <= tPrev < t}. */
        public Step {
            if (t < 0 || tPrev < -1 || tPrev >= t) {
                throw new IllegalArgumentException(
                        "a grid step needs 0 <= t and -1 <= tPrev < t, got (t, tPrev) = (" + t + ", " + tPrev + ")");
            }
        }
    }

    private final NoiseSchedule schedule;
    private final String name;
    private final int[] times;
    private final int finalPrev;

    private TimeGrid(NoiseSchedule schedule, String name, int[] times, int finalPrev) {
        if (schedule == null) {
            throw new IllegalArgumentException("a time grid needs a schedule, got null");
        }
        if (times.length == 0) {
            throw new IllegalArgumentException("a time grid needs at least one time, got none (" + name + ")");
        }
        int steps = schedule.steps();
        for (int i = 0; i < times.length; i++) {
            if (times[i] < 0 || times[i] >= steps) {
                throw new IllegalArgumentException("grid time " + times[i] + " at position " + i
                        + " is outside [0, " + (steps - 1) + "] of " + schedule + " (" + name + ")");
            }
            if (i > 0 && times[i] >= times[i - 1]) {
                throw new IllegalArgumentException("grid times must be strictly decreasing, got "
                        + times[i - 1] + " then " + times[i] + " at position " + i + " (" + name + ")");
            }
        }
        if (finalPrev < -1 || finalPrev >= times[times.length - 1]) {
            throw new IllegalArgumentException("the final tPrev must be in [-1, " + (times[times.length - 1] - 1)
                    + "], got " + finalPrev + " (" + name + ")");
        }
        this.schedule = schedule;
        this.name = name;
        this.times = times;
        this.finalPrev = finalPrev;
    }

    /**
     * A grid through the given strictly decreasing time indices, ending at {@code tPrev = -1}:
     * pairs {@code (times[i], times[i+1])} and {@code (times[last], -1)}.
     *
     * @throws IllegalArgumentException if a time is outside {@code [0, T-1]} or the times do not decrease
     */
    public static TimeGrid of(NoiseSchedule schedule, int... times) {
        return new TimeGrid(schedule, "custom", times.clone(), -1);
    }

    /**
     * As {@link #of(NoiseSchedule, int...)} but ending at {@code finalPrev} ({@code -1} for {@code x_0}, or
     * a time index below the last time).
     */
    public static TimeGrid of(NoiseSchedule schedule, int finalPrev, int[] times) {
        return new TimeGrid(schedule, "custom", times.clone(), finalPrev);
    }

    /** The full DDPM grid {@code (T-1, T-2), ..., (0, -1)}: one step per training index. */
    public static TimeGrid ddpm(NoiseSchedule schedule) {
        return ddpm(schedule, schedule.steps() - 1);
    }

    /**
     * The DDPM grid from {@code start} down: {@code (start, start-1), ..., (0, -1)} (e.g. from an SNR-matched
     * start index, {@link NoiseSchedule#snrMatchIndex(double)}).
     *
     * @throws IllegalArgumentException if {@code start} is outside {@code [0, T-1]}
     */
    public static TimeGrid ddpm(NoiseSchedule schedule, int start) {
        if (start < 0 || start >= schedule.steps()) {
            throw new IllegalArgumentException(
                    "DDPM start index " + start + " is outside [0, " + (schedule.steps() - 1) + "]");
        }
        int[] t = new int[start + 1];
        for (int i = 0; i <= start; i++) {
            t[i] = start - i;
        }
        return new TimeGrid(schedule, "ddpm(start=" + start + ")", t, -1);
    }

    /**
     * The DDIM reference's uniform grid (Song, Meng and Ermon, DDIM, Section 4.2 / Appendix; reference
     * {@code skip_type = "uniform"}): {@code skip = T / steps} (integer division), times
     * {@code range(0, T, skip)} = {@code 0, skip, 2 skip, ...} descending, ending at {@code tPrev = -1}.
     * The number of steps is {@code ceil(T / skip)}, which equals {@code steps} when {@code steps} divides
     * {@code T} (e.g. T = 1000, 50 steps: 980, 960, ..., 0) and is larger otherwise, as in the reference.
     *
     * @throws IllegalArgumentException if {@code steps} is outside {@code [1, T]}
     */
    public static TimeGrid ddimUniform(NoiseSchedule schedule, int steps) {
        int total = schedule.steps();
        checkStepCount(steps, total, "DDIM uniform");
        int skip = total / steps;
        int count = (total + skip - 1) / skip;
        int[] t = new int[count];
        for (int i = 0; i < count; i++) {
            t[i] = (count - 1 - i) * skip;
        }
        return new TimeGrid(schedule, "ddim-uniform(steps=" + steps + ")", t, -1);
    }

    /**
     * The DDIM reference's quadratic grid ({@code skip_type = "quad"}): times
     * {@code int(linspace(0, sqrt(0.8 T), steps)^2)} (truncated), descending, ending at {@code tPrev = -1};
     * dense near {@code t = 0}, ending at {@code 0.8 T}.
     *
     * @throws IllegalArgumentException if {@code steps} is outside {@code [1, T]} or so large that two
     *     truncated times coincide
     */
    public static TimeGrid ddimQuadratic(NoiseSchedule schedule, int steps) {
        int total = schedule.steps();
        checkStepCount(steps, total, "DDIM quadratic");
        double end = Math.sqrt(total * 0.8);
        double[] grid = linspace(0, end, steps);
        int[] t = new int[steps];
        for (int i = 0; i < steps; i++) {
            t[steps - 1 - i] = (int) (grid[i] * grid[i]);
        }
        return new TimeGrid(schedule, "ddim-quadratic(steps=" + steps + ")", t, -1);
    }

    /**
     * The latent-diffusion / Stable Diffusion DDIM grid (CompVis {@code make_ddim_timesteps},
     * {@code ddim_discr_method = "uniform"}): {@code c = T / steps} (integer division),
     * {@code tau = range(0, T, c) + 1} = {@code 1, c+1, 2c+1, ...}, walked descending; the network receives
     * {@code tau_i}, {@code abar_t = abar[tau_i]} and {@code abar_prev = abar[tau_{i-1}]}, and at the first
     * grid point the reference uses {@code abar_prev = abar[0]} (not 1), so the last pair is
     * {@code (1, 0)}: this grid ends at {@code tPrev = 0}, not {@code -1}. The count is
     * {@code ceil(T / c)} as in the reference.
     *
     * @throws IllegalArgumentException if {@code steps} is outside {@code [1, T]} or the +1 offset pushes
     *     the last time past {@code T-1} (e.g. 1000 steps on T = 1000, where the reference would index
     *     out of bounds)
     */
    public static TimeGrid ldm(NoiseSchedule schedule, int steps) {
        int total = schedule.steps();
        checkStepCount(steps, total, "LDM");
        int c = total / steps;
        int count = (total + c - 1) / c;
        int[] t = new int[count];
        for (int i = 0; i < count; i++) {
            t[i] = (count - 1 - i) * c + 1;
        }
        if (t[0] >= total) {
            throw new IllegalArgumentException("LDM grid with " + steps + " steps on T = " + total
                    + " would need time index " + t[0] + " (the +1 offset): use at most " + (total / 2)
                    + " steps or a DDIM grid");
        }
        return new TimeGrid(schedule, "ldm(steps=" + steps + ")", t, 0);
    }

    /**
     * DCDP's inner DDIM purification grid for a purification start {@code t} (Li et al., DCDP, Version 1):
     * {@code n = min(t, maxSteps)} times {@code s_j = rint(linspace(0, t-1, n)_j)} (rounded half to even,
     * as numpy), walked descending {@code s_{n-1} = t-1, ..., s_0 = 0}, ending at {@code tPrev = -1}.
     * The reference uses {@code maxSteps = 20}; the data are noised to index {@code t-1} before the loop.
     *
     * @param t the purification start, in {@code [1, T]}
     * @param maxSteps the most DDIM steps (20 in the paper)
     * @throws IllegalArgumentException if {@code t} is outside {@code [1, T]} or {@code maxSteps < 1}
     */
    public static TimeGrid dcdpInner(NoiseSchedule schedule, int t, int maxSteps) {
        if (t < 1 || t > schedule.steps()) {
            throw new IllegalArgumentException(
                    "DCDP purification start t = " + t + " is outside [1, " + schedule.steps() + "]");
        }
        if (maxSteps < 1) {
            throw new IllegalArgumentException("maxSteps must be at least 1, got " + maxSteps);
        }
        int n = Math.min(t, maxSteps);
        double[] grid = linspace(0, t - 1, n);
        int[] s = new int[n];
        for (int j = 0; j < n; j++) {
            s[n - 1 - j] = (int) Math.rint(grid[j]);
        }
        return new TimeGrid(schedule, "dcdp-inner(t=" + t + ", n=" + n + ")", s, -1);
    }

    /**
     * numpy's {@code linspace(start, stop, num)}: {@code start + i step}, {@code step = (stop - start)/(num-1)},
     * with the last value exactly {@code stop} (and {@code [start]} when {@code num = 1}).
     */
    static double[] linspace(double start, double stop, int num) {
        double[] out = new double[num];
        if (num == 1) {
            out[0] = start;
            return out;
        }
        double step = (stop - start) / (num - 1);
        for (int i = 0; i < num; i++) {
            out[i] = start + i * step;
        }
        out[num - 1] = stop;
        return out;
    }

    private static void checkStepCount(int steps, int total, String what) {
        if (steps < 1 || steps > total) {
            throw new IllegalArgumentException(
                    what + " grid needs a step count in [1, " + total + "], got " + steps);
        }
    }

    /** The schedule the grid was read from. */
    public NoiseSchedule schedule() {
        return schedule;
    }

    /** The number of steps (pairs), i.e. the number of network evaluations of one pass. */
    public int size() {
        return times.length;
    }

    /** The {@code i}-th step, {@code i = 0} being the noisiest. */
    public Step step(int i) {
        if (i < 0 || i >= times.length) {
            throw new IllegalArgumentException("grid position " + i + " is outside [0, " + (times.length - 1) + "]");
        }
        return new Step(times[i], i + 1 < times.length ? times[i + 1] : finalPrev);
    }

    /** {@code t} of the {@code i}-th step. */
    public int t(int i) {
        return step(i).t();
    }

    /** {@code tPrev} of the {@code i}-th step. */
    public int tPrev(int i) {
        return step(i).tPrev();
    }

    /** The first (largest) time index, where a sampler starts. */
    public int startTime() {
        return times[0];
    }

    /** The {@code tPrev} of the last step: {@code -1} for grids that end on {@code x_0}, 0 for {@link #ldm}. */
    public int finalPrev() {
        return finalPrev;
    }

    /** All steps in order, an unmodifiable list. */
    public List<Step> steps() {
        List<Step> out = new ArrayList<>(times.length);
        for (int i = 0; i < times.length; i++) {
            out.add(step(i));
        }
        return Collections.unmodifiableList(out);
    }

    /** A copy of the time indices {@code t} of the steps, descending. */
    public int[] times() {
        return times.clone();
    }

    /**
     * The sub-grid from position {@code position} on (the same pairs, starting later), e.g. to start a
     * sampler at an SNR-matched position ({@link #snrMatchPosition(double)}).
     */
    public TimeGrid tail(int position) {
        if (position < 0 || position >= times.length) {
            throw new IllegalArgumentException(
                    "grid position " + position + " is outside [0, " + (times.length - 1) + "]");
        }
        return new TimeGrid(schedule, name + ".tail(" + position + ")",
                Arrays.copyOfRange(times, position, times.length), finalPrev);
    }

    /**
     * Flash-Diffusion's SNR matching on this grid's own times ("on the sampler's own grid", as the
     * reference does with its DDIM grid): the position {@code i} minimising
     * {@code | SNR(t_i) - 1/sigma^2 |}, ties to the smaller time (the later position), as the reference's
     * first minimiser over its ascending list. See
     * {@link NoiseSchedule#snrMatchIndex(double)} for the rule and its reference.
     *
     * @param sigmaSquared the error variance {@code sigma^2 > 0} of the estimate
     * @return a position usable with {@link #tail(int)}
     */
    public int snrMatchPosition(double sigmaSquared) {
        double targetSnr = NoiseSchedule.checkVariance(sigmaSquared);
        int best = 0;
        double bestDistance = Double.POSITIVE_INFINITY;
        for (int i = 0; i < times.length; i++) {
            double distance = Math.abs(schedule.snr(times[i]) - targetSnr);
            if (distance <= bestDistance) {
                bestDistance = distance;
                best = i;
            }
        }
        return best;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TimeGrid other && other.finalPrev == finalPrev && Arrays.equals(other.times, times)
                && other.schedule.equals(schedule);
    }

    @Override
    public int hashCode() {
        return (Arrays.hashCode(times) * 31 + finalPrev) * 31 + schedule.hashCode();
    }

    @Override
    public String toString() {
        return name + " [" + times[0] + " .. " + times[times.length - 1] + " -> " + finalPrev + ", "
                + times.length + " steps]";
    }
}
