package org.diffinv.util;

import ai.djl.ndarray.NDArray;

/**
 * Tensor-by-number arithmetic that is safe inside a gradient recording.
 *
 * <p>DJL's PyTorch {@code NDArray.mul(Number)} (likewise {@code div}, {@code pow}, {@code maximum}, ...) wraps the
 * number in a 0-dim tensor made by {@code torch::from_blob} over a Java direct buffer and closes it right after the
 * op. Autograd keeps that tensor for the backward pass (MulBackward0 saves {@code other}), but its memory belongs
 * to the Java buffer, which the garbage collector may free (and malloc reuse) before {@code backward} runs: the
 * gradient then silently uses whatever lies there (a wrong value, NaN). These methods use an engine-owned copy of
 * the number instead (same dtype and value, so results are bitwise those of the plain DJL call). Use them for any
 * number operand of an op that is differentiated; {@code add}/{@code sub} of a number are safe (not saved).
 */
public final class Scalars {

    private Scalars() {
    }

    /** A 0-dim tensor holding {@code n} (dtype as DJL's {@code create(Number)}) whose storage the engine owns. */
    public static NDArray of(NDArray like, Number n) {
        try (NDArray blob = like.getManager().create(n)) {
            return blob.duplicate();
        }
    }

    /** {@code x * n}, safe to differentiate. */
    public static NDArray mul(NDArray x, Number n) {
        try (NDArray s = of(x, n)) {
            return x.mul(s);
        }
    }

    /** {@code x / n}, safe to differentiate. */
    public static NDArray div(NDArray x, Number n) {
        try (NDArray s = of(x, n)) {
            return x.div(s);
        }
    }

    /** {@code x ^ n}, safe to differentiate. */
    public static NDArray pow(NDArray x, Number n) {
        try (NDArray s = of(x, n)) {
            return x.pow(s);
        }
    }
}
