package org.diffinv.util;

import ai.djl.pytorch.jni.JniUtils;

/**
 * The kit's torch thread policy for a solve: batches of fewer than {@link #SMALL_BATCH} images run on one intra-op
 * thread, larger ones on the configured count ({@code DIFFINV_THREADS}, {@code -Dai.djl.pytorch.num_threads}, or
 * every core).
 *
 * <p>Why: the pixel UNet's operations on a few 32x32 images are too small to split. Measured on the 2-core CI-class
 * machine with {@code environment/kit bench --only threads} (1 thread against 2, paired and interleaved, so the
 * machine's drift cancels): one thread is faster at batch 1, 2 and 4 (forward 1.89x, 1.61x, 1.31x; forward +
 * backward 1.55x, 1.30x, 1.12x, median per-pair ratios), level at batch 8 for the forward pass, and two threads
 * win from batch 8 on for forward + backward (0.77x) and at batch 16 for both (0.69x, 0.77x). Rerun the command on
 * another machine before relying on the threshold there.
 *
 * <p>The solver API applies it around every solve ({@code SolveContext}): the thread count is set on the calling
 * thread (OpenMP keeps it per thread) for the solve's forward and backward passes alike, and restored afterwards.
 * A configured count of 1 is never raised. The benches, which measure at explicit thread counts, run with the policy
 * {@link #suspend() suspended} (the solver bench applies {@link #threadsFor} to each row itself, so its rows run
 * where solves of their batch size run); {@code -Ddiffinv.threadPolicy=off} (or the environment variable
 * {@code DIFFINV_THREAD_POLICY=off}) switches it off everywhere.
 */
public final class ThreadPolicy {

    /** The smallest batch that runs on the configured thread count. */
    public static final int SMALL_BATCH = 8;

    private static final ThreadDepth SUSPENDED = new ThreadDepth();
    private static final Scope NOTHING = () -> { };

    private ThreadPolicy() {
    }

    /** A change of the thread count, undone by closing it. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /** The intra-op thread count the policy gives a batch of {@code batch} images when {@code configured} are set. */
    public static int threadsFor(long batch, int configured) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        }
        if (configured < 1) {
            throw new IllegalArgumentException("configured threads must be >= 1, got " + configured);
        }
        return batch < SMALL_BATCH ? 1 : configured;
    }

    /** Whether the policy is on: not switched off by property or environment, and not suspended on this thread. */
    public static boolean active() {
        return enabled() && !SUSPENDED.inside();
    }

    /**
     * Whether the policy is switched on by its setting ({@code diffinv.threadPolicy} / {@code DIFFINV_THREAD_POLICY}
     * absent or {@code batch}), whatever the calling thread's suspensions.
     *
     * @throws IllegalArgumentException naming the setting when it is neither {@code batch} nor {@code off}
     */
    public static boolean enabled() {
        String setting = System.getProperty("diffinv.threadPolicy", System.getenv("DIFFINV_THREAD_POLICY"));
        if (setting != null && !setting.isBlank() && !setting.equals("batch")) {
            if (setting.equals("off")) {
                return false;
            }
            throw new IllegalArgumentException("diffinv.threadPolicy / DIFFINV_THREAD_POLICY must be 'batch' or 'off', "
                    + "got '" + setting + "'");
        }
        return true;
    }

    /**
     * Sets the calling thread's torch thread count for a solve on {@code batch} images, when the policy is active and
     * the count changes; closing the scope restores the count found.
     */
    public static Scope forBatch(long batch) {
        if (!active()) {
            return NOTHING;
        }
        int before = JniUtils.getNumThreads();
        int wanted = threadsFor(batch, before);
        if (wanted == before) {
            return NOTHING;
        }
        JniUtils.setNumThreads(wanted);
        boolean[] closed = {false};
        return () -> {
            if (!closed[0]) {
                closed[0] = true;
                JniUtils.setNumThreads(before);
            }
        };
    }

    /**
     * Suspends the policy on the calling thread until the returned scope is closed: for measurements at an explicit
     * thread count (the benches), which the policy must not override.
     */
    public static Scope suspend() {
        return SUSPENDED.enter()::run;
    }
}
