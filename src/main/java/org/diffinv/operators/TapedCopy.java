package org.diffinv.operators;

import ai.djl.ndarray.NDArray;
import org.diffinv.util.GradientRecording;

/**
 * A copy of a tensor that stays on the gradient tape: the identity maps of the operators ({@code A = I} of
 * denoising, {@code V = U = I} of inpainting). DJL's {@code duplicate()} is a detached clone, so an identity written
 * as {@code x.duplicate()} cuts the gradient: a solver differentiating {@code ||y - A(x0)||} through
 * {@link Denoising} got "does not require grad" from the engine. Where the copy could be differentiated (inside a
 * gradient recording, or for a tensor on the tape) it is {@code -(-x)}, exact and differentiable; elsewhere the
 * plain clone.
 */
final class TapedCopy {

    private TapedCopy() {
    }

    /** {@code x}, copied: on the tape where {@code x} is, a plain clone elsewhere. */
    static NDArray of(NDArray x) {
        if (GradientRecording.active() || x.hasGradient()) {
            try (NDArray negated = x.neg()) {
                return negated.neg();
            }
        }
        return x.duplicate();
    }
}
