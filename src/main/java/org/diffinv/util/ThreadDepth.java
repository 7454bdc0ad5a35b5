package org.diffinv.util;

/**
 * A per-thread nesting count with closable entries: the state behind {@link GradientRecording} (inside a recording?)
 * and {@link ThreadPolicy#suspend()} (policy suspended?). Closing an entry twice counts once.
 */
final class ThreadDepth {

    private final ThreadLocal<int[]> depth = ThreadLocal.withInitial(() -> new int[1]);

    /** Enters one level on the calling thread; the returned action leaves it (once). */
    Runnable enter() {
        int[] d = depth.get();
        d[0]++;
        boolean[] left = {false};
        return () -> {
            if (!left[0]) {
                left[0] = true;
                d[0]--;
            }
        };
    }

    /** Whether the calling thread is inside at least one entry. */
    boolean inside() {
        return depth.get()[0] > 0;
    }
}
