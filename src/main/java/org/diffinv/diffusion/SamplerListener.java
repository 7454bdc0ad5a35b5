package org.diffinv.diffusion;

/**
 * A progress hook called by {@code org.diffinv.sampling.Sampler} after every step (e.g. to drive a notebook progress bar or to
 * record intermediate {@code x0Hat} images).
 *
 * <p>The arrays in {@code result} belong to the step's sub-manager and are closed when the callback
 * returns: copy what you keep ({@code result.x0Hat().duplicate()} attached to your own manager, or
 * {@code toDoubleArray()}).
 */
@FunctionalInterface
public interface SamplerListener {

    /**
     * Called after step {@code index} ({@code 0 .. total-1}) of the grid, {@code step} being its
     * {@code (t, tPrev)} pair.
     */
    void onStep(int index, int total, TimeGrid.Step step, StepResult result);

    /** A listener that does nothing. */
    static SamplerListener none() {
        return (index, total, step, result) -> { };
    }
}
