package org.diffinv.diffusion;

import java.util.Arrays;

/**
 * A descending grid of continuous times {@code t_0 > t_1 > ... > t_N} on a {@link ContinuousVpSchedule},
 * an immutable value; step {@code n} integrates from {@code t_n} to {@code t_{n+1}} and queries the network
 * at {@link #networkIndex(int) floor(999 t_n)}.
 *
 * <p>The C-PiGDM grid ({@link #cPigdm(ContinuousVpSchedule, int)}) is the reference's
 * {@code ts = linspace(0.6, 0.999, N+1)}, {@code t_n = 1 - ts_n}: from {@code t_0 = 0.4} down to
 * {@code t_N = 0.001}, computed exactly as numpy does so the network indices agree.
 */
public final class ContinuousTimeGrid {

    private final ContinuousVpSchedule schedule;
    private final double[] times;

    private ContinuousTimeGrid(ContinuousVpSchedule schedule, double[] times) {
        if (schedule == null) {
            throw new IllegalArgumentException("a continuous time grid needs a schedule, got null");
        }
        if (times.length < 2) {
            throw new IllegalArgumentException("a continuous time grid needs at least 2 times, got " + times.length);
        }
        for (int i = 0; i < times.length; i++) {
            if (!(times[i] >= 0 && times[i] <= 1)) {
                throw new IllegalArgumentException("grid time " + times[i] + " at position " + i + " is outside [0, 1]");
            }
            if (i > 0 && !(times[i] < times[i - 1])) {
                throw new IllegalArgumentException("grid times must strictly decrease, got " + times[i - 1]
                        + " then " + times[i] + " at position " + i);
            }
        }
        this.schedule = schedule;
        this.times = times;
    }

    /**
     * C-PiGDM's grid of {@code steps} steps: {@code t_n = 1 - linspace(0.6, 0.999, steps + 1)_n}, i.e.
     * {@code 0.4 -> 0.001}.
     *
     * @throws IllegalArgumentException if {@code steps < 1}
     */
    public static ContinuousTimeGrid cPigdm(ContinuousVpSchedule schedule, int steps) {
        return reversedLinspace(schedule, 0.6, 0.999, steps);
    }

    /**
     * The grid {@code t_n = 1 - linspace(sStart, sEnd, steps + 1)_n} for {@code 0 <= sStart < sEnd <= 1}
     * (numpy's linspace, last value exact), the general form of {@link #cPigdm}.
     */
    public static ContinuousTimeGrid reversedLinspace(ContinuousVpSchedule schedule, double sStart, double sEnd,
            int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("a continuous grid needs at least 1 step, got " + steps);
        }
        if (!(sStart >= 0 && sStart < sEnd && sEnd <= 1)) {
            throw new IllegalArgumentException(
                    "need 0 <= sStart < sEnd <= 1, got sStart = " + sStart + ", sEnd = " + sEnd);
        }
        double[] ts = TimeGrid.linspace(sStart, sEnd, steps + 1);
        double[] t = new double[ts.length];
        for (int i = 0; i < ts.length; i++) {
            t[i] = 1 - ts[i];
        }
        return new ContinuousTimeGrid(schedule, t);
    }

    /** A grid through the given strictly decreasing times in {@code [0, 1]}. */
    public static ContinuousTimeGrid of(ContinuousVpSchedule schedule, double... times) {
        return new ContinuousTimeGrid(schedule, times.clone());
    }

    /** The schedule. */
    public ContinuousVpSchedule schedule() {
        return schedule;
    }

    /** The number of steps {@code N} (one less than the number of times). */
    public int steps() {
        return times.length - 1;
    }

    /** The time {@code t_n}, {@code n in [0, N]}. */
    public double time(int n) {
        if (n < 0 || n >= times.length) {
            throw new IllegalArgumentException("grid position " + n + " is outside [0, " + (times.length - 1) + "]");
        }
        return times[n];
    }

    /** The network index {@code floor(999 t_n)} (via {@link ContinuousVpSchedule#networkIndex(double)}). */
    public int networkIndex(int n) {
        return schedule.networkIndex(time(n));
    }

    /** A copy of all times {@code t_0 > ... > t_N}. */
    public double[] times() {
        return times.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ContinuousTimeGrid other && Arrays.equals(other.times, times)
                && other.schedule.equals(schedule);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(times) * 31 + schedule.hashCode();
    }

    @Override
    public String toString() {
        return "continuous-grid[" + times[0] + " .. " + times[times.length - 1] + ", " + steps() + " steps]";
    }
}
