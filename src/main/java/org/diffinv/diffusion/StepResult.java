package org.diffinv.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * The outcome of one reverse-diffusion step: the next iterate {@code x_{tPrev}} and the denoised estimate
 * {@code x0Hat} the step was built from (returned together, as diffusers' schedulers do, so guidance and
 * progress displays never recompute Tweedie).
 *
 * <p>Both arrays have the input's shape {@code (N, C, H, W)} and type and live on the input's manager.
 *
 * @param xPrev the next iterate {@code x_{tPrev}} ({@code x_0} itself when {@code tPrev = -1})
 * @param x0Hat the Tweedie estimate {@code x0Hat(x_t)} used by the step
 */
public record StepResult(NDArray xPrev, NDArray x0Hat) {
    /** Checks that both arrays are present. */
    public StepResult {
        if (xPrev == null || x0Hat == null) {
            throw new IllegalArgumentException("a step result needs both xPrev and x0Hat, got "
                    + (xPrev == null ? "xPrev = null" : "x0Hat = null"));
        }
    }
}
