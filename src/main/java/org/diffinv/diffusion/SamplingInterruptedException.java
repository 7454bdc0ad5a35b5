package org.diffinv.diffusion;

/**
 * Thrown by {@code org.diffinv.sampling.Sampler} (and solvers built on the same loop) when the running thread is interrupted:
 * the loop checks {@code Thread.currentThread().isInterrupted()} before every step and stops cleanly,
 * having released the arrays of the unfinished steps. The thread's interrupt flag is left set, so callers
 * further up still see the interruption.
 */
public final class SamplingInterruptedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int completedSteps;
    private final int totalSteps;

    /**
     * An interruption observed before step {@code completedSteps} (0-based) of {@code totalSteps}, at time
     * index {@code t}.
     */
    public SamplingInterruptedException(int completedSteps, int totalSteps, int t) {
        super("sampling interrupted after " + completedSteps + " of " + totalSteps + " steps (next time index t = "
                + t + "); the thread's interrupt flag is still set");
        this.completedSteps = completedSteps;
        this.totalSteps = totalSteps;
    }

    /** The number of steps completed before the interruption. */
    public int completedSteps() {
        return completedSteps;
    }

    /** The number of steps the run would have taken. */
    public int totalSteps() {
        return totalSteps;
    }
}
