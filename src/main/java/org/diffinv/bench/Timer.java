package org.diffinv.bench;

import ai.djl.ndarray.NDManager;

import java.util.Arrays;
import java.util.function.Function;

/**
 * The one timing loop of the harness: {@code warmup} untimed and {@code repeat} timed runs, each in a fresh
 * sub-manager. {@code prepare} makes a run's inputs on that sub-manager (untimed) and returns the timed action; the
 * sub-manager is closed inside the timed region, since freeing the temporaries is part of what a solver step pays.
 */
final class Timer {
    private Timer() {
    }

    /** The sorted run times in nanoseconds. */
    static long[] nanos(int warmup, int repeat, NDManager manager, Function<NDManager, Runnable> prepare) {
        NetworkBench.requireCounts(1, 1, warmup, repeat);
        long[] nanos = new long[repeat];
        for (int r = -warmup; r < repeat; r++) {
            NDManager s = manager.newSubManager();
            Runnable action = prepare.apply(s);
            long t0 = System.nanoTime();
            action.run();
            s.close();
            long dt = System.nanoTime() - t0;
            if (r >= 0) {
                nanos[r] = dt;
            }
        }
        Arrays.sort(nanos);
        return nanos;
    }

    /** The median of sorted values. */
    static double median(long[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }

    /** The median of sorted values. */
    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }

    /** The median run time in milliseconds. */
    static double medianMs(int warmup, int repeat, NDManager manager, Function<NDManager, Runnable> prepare) {
        return median(nanos(warmup, repeat, manager, prepare)) / 1e6;
    }
}
