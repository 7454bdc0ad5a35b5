package org.diffinv.util;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Tensor-by-number arithmetic: safe inside a gradient recording, and several times cheaper than DJL's own.
 *
 * <p>DJL's PyTorch {@code NDArray.mul(Number)} (likewise {@code add}, {@code sub}, {@code div}, {@code pow}, ...)
 * wraps the number in a fresh 0-dim tensor made by {@code torch::from_blob} over a Java direct buffer of the number's
 * own type (FLOAT64 for a {@code double}), runs a mixed-type op and closes the wrapper. Two faults follow:
 * <ul>
 *   <li><b>Gradients.</b> Autograd keeps that tensor for the backward pass (MulBackward0 saves {@code other}), but
 *       its memory belongs to the Java buffer, which the garbage collector may free (and malloc reuse) before
 *       {@code backward} runs: the gradient then silently uses whatever lies there (a wrong value, NaN).</li>
 *   <li><b>Cost.</b> At batch 1 the wrapper and the mixed-type dispatch cost more than the arithmetic: {@code
 *       x.mul(0.9)} on a (1, 1, 32, 32) image took 7.4 us against 1.5 us for this class's {@link #mul}, one thread
 *       ({@code environment/kit bench --only scalars}, notebooks/08-cost section 2). Solvers' inner loops (heavy-ball
 *       steps, Langevin steps, DDIM coefficients) make several such ops per step.</li>
 * </ul>
 * These methods use an engine-owned 0-dim tensor of the operand's own floating type and device holding the number
 * (rounded to that type, exactly as PyTorch rounds a wrapped scalar in a mixed-type op, so results are bitwise those
 * of the plain DJL call: {@code ScalarsTest} checks it), taken from a process-wide cache of at most
 * {@value #CAPACITY} such tensors, which are never closed (a few hundred bytes each). Once the cache is full, new
 * numbers, and operands that are not FLOAT32 or FLOAT64, get a fresh engine-owned copy of the number per call
 * (still safe, no longer cheaper). Results live on the operand's manager, as DJL's. The cache is for numbers that
 * recur (schedule coefficients, hyperparameters); a number that changes at every call (a gradient-clipping scale,
 * Adam's bias corrections in training) gains nothing from it and would fill it: outside a gradient recording use
 * DJL's own op for such a number.
 */
public final class Scalars {

    /** The most cached 0-dim tensors. */
    public static final int CAPACITY = 8192;

    private record Key(long bits, DataType type, Device device) {
    }

    private static final ConcurrentHashMap<Key, NDArray> CACHE = new ConcurrentHashMap<>();
    private static volatile NDManager home;

    private Scalars() {
    }

    private static NDManager home() {
        NDManager h = home;
        if (h == null) {
            synchronized (Scalars.class) {
                h = home;
                if (h == null) {
                    h = NDManager.newBaseManager();
                    h.setName("diffinv-scalars");
                    home = h;
                }
            }
        }
        return h;
    }

    private static boolean floating(NDArray x) {
        DataType t = x.getDataType();
        return t == DataType.FLOAT32 || t == DataType.FLOAT64;
    }

    /**
     * A cached 0-dim tensor holding {@code n} in {@code like}'s floating type on its device, or {@code null} when the
     * cache is full (the caller then makes its own). Never close it.
     */
    private static NDArray cached(NDArray like, double n) {
        DataType type = like.getDataType();
        double value = type == DataType.FLOAT32 ? (float) n : n;
        Key key = new Key(Double.doubleToRawLongBits(value), type, like.getDevice());
        NDArray c = CACHE.get(key);
        if (c != null) {
            return c;
        }
        if (CACHE.size() >= CAPACITY) {
            return null;
        }
        synchronized (CACHE) {
            c = CACHE.get(key);
            if (c == null) {
                if (type == DataType.FLOAT32) {
                    c = home().full(new Shape(), (float) value, type, like.getDevice());
                } else { // full() takes a float: copy the double from a wrapped one instead
                    try (NDArray blob = like.getManager().create(value)) {
                        c = blob.duplicate();
                    }
                }
                c.attach(home());
                CACHE.put(key, c);
            }
            return c;
        }
    }

    /**
     * The cached 0-dim tensor holding {@code n} in {@code like}'s floating type on its device (never close it), or
     * {@code null} when {@code like} is not FLOAT32/FLOAT64 or the cache is full: for engine calls that take the
     * number as a tensor operand (the fused solver loops), as the ops of this class do.
     */
    public static NDArray cachedOrNull(NDArray like, double n) {
        return floating(like) ? cached(like, n) : null;
    }

    /** The number of cached 0-dim tensors (for tests and the bench). */
    public static int cachedCount() {
        return CACHE.size();
    }

    /** A 0-dim tensor holding {@code n} (dtype as DJL's {@code create(Number)}) whose storage the engine owns. */
    public static NDArray of(NDArray like, Number n) {
        try (NDArray blob = like.getManager().create(n)) {
            return blob.duplicate();
        }
    }

    private interface Op {
        NDArray apply(NDArray x, NDArray s);
    }

    private static NDArray apply(NDArray x, Number n, Op op) {
        NDArray s = floating(x) ? cached(x, n.doubleValue()) : null;
        if (s != null) {
            return op.apply(x, s);
        }
        try (NDArray fresh = of(x, n)) {
            return op.apply(x, fresh);
        }
    }

    /** {@code x * n}, safe to differentiate. */
    public static NDArray mul(NDArray x, Number n) {
        return apply(x, n, NDArray::mul);
    }

    /** {@code x / n}, safe to differentiate. */
    public static NDArray div(NDArray x, Number n) {
        return apply(x, n, NDArray::div);
    }

    /** {@code x ^ n}, safe to differentiate. */
    public static NDArray pow(NDArray x, Number n) {
        return apply(x, n, NDArray::pow);
    }

    /** {@code x + n}. */
    public static NDArray add(NDArray x, Number n) {
        return apply(x, n, NDArray::add);
    }

    /** {@code x - n}. */
    public static NDArray sub(NDArray x, Number n) {
        return apply(x, n, NDArray::sub);
    }
}
