package org.diffinv.diffusion;

import java.util.Arrays;

/**
 * DCDP's linearly decaying diffusion-purification schedule (Li, Kwon, Alkhouri, Ravishankar and Qu,
 * "Decoupled data consistency with diffusion purification", Section 3.3 and Appendix A), an immutable
 * value: the purification strength {@code T_k} of round {@code k = 0 .. K-1}, decaying linearly from
 * {@code T0} to {@code Tend}.
 *
 * <p>Rule (the reference code's): {@code T_j = Tend + rint(j / (K-1) (T0 - Tend))} for
 * {@code j = 0 .. K-1} (numpy's {@code rint}, half to even), reversed so that round 0 uses {@code T0}, with
 * any 0 replaced by 1 (a purification of strength 0 would skip the diffusion). With {@code K = 10},
 * {@code T0 = 400}, {@code Tend = 0} this is {@code [400, 356, 311, 267, 222, 178, 133, 89, 44, 1]}.
 *
 * <p>Divergence note: the kit's spec writes {@code rint(j/(K-1)(T0 - Tend))} without the {@code + Tend}
 * offset, which for {@code Tend > 0} would decay to 0 rather than to {@code Tend} as the paper's prose
 * ("a linear decaying schedule starting from T0 and ending at Tend") says; the two agree for
 * {@code Tend = 0}, the setting of every noiseless table. The kit follows the prose.
 * Each round then noises to index {@code T_k - 1} and purifies over {@link TimeGrid#dcdpInner}.
 */
public final class PurificationSchedule {

    private final int[] strengths;

    private PurificationSchedule(int[] strengths) {
        this.strengths = strengths;
    }

    /**
     * The linearly decaying schedule over {@code rounds} rounds from {@code tStart} to {@code tEnd}
     * (DCDP's {@code K}, {@code T0}, {@code Tend}), checked against the schedule's {@code T}.
     *
     * @throws IllegalArgumentException if {@code rounds < 1}, or unless
     *     {@code 0 <= tEnd <= tStart <= T}
     */
    public static PurificationSchedule linearDecaying(NoiseSchedule schedule, int rounds, int tStart, int tEnd) {
        if (rounds < 1) {
            throw new IllegalArgumentException("DCDP needs at least 1 round K, got " + rounds);
        }
        if (tEnd < 0 || tEnd > tStart || tStart > schedule.steps()) {
            throw new IllegalArgumentException("DCDP needs 0 <= Tend <= T0 <= T = " + schedule.steps()
                    + ", got T0 = " + tStart + ", Tend = " + tEnd);
        }
        int[] out = new int[rounds];
        for (int j = 0; j < rounds; j++) {
            double fraction = rounds == 1 ? 1.0 : (double) j / (rounds - 1);
            int strength = tEnd + (int) Math.rint(fraction * (tStart - tEnd));
            out[rounds - 1 - j] = strength == 0 ? 1 : strength;
        }
        return new PurificationSchedule(out);
    }

    /**
     * The constant schedule: {@code rounds} rounds all at strength {@code t} (the ablation of DCDP's Figure 8 against
     * the linearly decaying schedule).
     *
     * @throws IllegalArgumentException if {@code rounds < 1} or {@code t} is outside {@code [1, T]}
     */
    public static PurificationSchedule constant(NoiseSchedule schedule, int rounds, int t) {
        if (rounds < 1) {
            throw new IllegalArgumentException("DCDP needs at least 1 round K, got " + rounds);
        }
        if (t < 1 || t > schedule.steps()) {
            throw new IllegalArgumentException("a constant purification strength must be in [1, " + schedule.steps()
                    + "], got " + t);
        }
        int[] out = new int[rounds];
        java.util.Arrays.fill(out, t);
        return new PurificationSchedule(out);
    }

    /** The number of rounds {@code K}. */
    public int rounds() {
        return strengths.length;
    }

    /** The purification strength {@code T_k} of round {@code k} (a time index count in {@code [1, T]}). */
    public int strength(int k) {
        if (k < 0 || k >= strengths.length) {
            throw new IllegalArgumentException("round " + k + " is outside [0, " + (strengths.length - 1) + "]");
        }
        return strengths[k];
    }

    /** A copy of all strengths, round 0 first. */
    public int[] strengths() {
        return strengths.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PurificationSchedule other && Arrays.equals(other.strengths, strengths);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(strengths);
    }

    @Override
    public String toString() {
        return "dcdp-linear-decaying" + Arrays.toString(strengths);
    }
}
