package org.diffinv.bench;

import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * Two timed actions compared in pairs on a shared machine whose speed drifts by 10-40% over minutes: each pair runs
 * one call of A and one of B back to back, in alternating order (so neither always runs second), and the statistic
 * is the median over pairs of {@code t_B / t_A}, in which the drift cancels. After {@code warmup} untimed pairs.
 * Used for 1 against 2 threads ({@link NetworkBench#threadPair}) and for the kit against PyTorch eager
 * ({@link TorchReference#pairs}).
 */
final class PairedTiming {

    private PairedTiming() {
    }

    /**
     * The outcome of one paired comparison.
     *
     * @param medianMsA the median time of A in milliseconds
     * @param medianMsB the median time of B
     * @param medianRatio the median over pairs of {@code t_B / t_A} (below 1: B is faster)
     * @param shareBFaster the share of pairs in which B was faster
     * @param pairs the number of timed pairs
     */
    record Result(double medianMsA, double medianMsB, double medianRatio, double shareBFaster, int pairs) {
    }

    /** Times {@code pairs} pairs of {@code a} and {@code b} (each returns the nanoseconds of one call). */
    static Result measure(LongSupplier a, LongSupplier b, int warmup, int pairs) {
        if (warmup < 0 || pairs < 1) {
            throw new IllegalArgumentException("a paired timing needs warmup >= 0 and pairs >= 1, got " + warmup
                    + " and " + pairs);
        }
        long[] ta = new long[pairs];
        long[] tb = new long[pairs];
        double[] ratio = new double[pairs];
        int bFaster = 0;
        for (int p = -warmup; p < pairs; p++) {
            boolean aFirst = Math.floorMod(p, 2) == 0;
            long first = aFirst ? a.getAsLong() : b.getAsLong();
            long second = aFirst ? b.getAsLong() : a.getAsLong();
            if (p >= 0) {
                ta[p] = aFirst ? first : second;
                tb[p] = aFirst ? second : first;
                ratio[p] = (double) tb[p] / ta[p];
                bFaster += tb[p] < ta[p] ? 1 : 0;
            }
        }
        Arrays.sort(ta);
        Arrays.sort(tb);
        Arrays.sort(ratio);
        double medianRatio = pairs % 2 == 1 ? ratio[pairs / 2] : 0.5 * (ratio[pairs / 2 - 1] + ratio[pairs / 2]);
        return new Result(Timer.median(ta) / 1e6, Timer.median(tb) / 1e6, medianRatio, (double) bFaster / pairs, pairs);
    }
}
