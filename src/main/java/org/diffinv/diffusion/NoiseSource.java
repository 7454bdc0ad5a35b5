package org.diffinv.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.util.HostArrays;

import java.util.SplittableRandom;

/**
 * An explicit, seeded source of randomness passed into every stochastic call of the kit.
 *
 * <p>Draws come from a Java {@link SplittableRandom}, not from the engine's global generator, so a run is
 * reproducible from its seed alone, independent of call order elsewhere, of the engine and of the device:
 * the same seed gives bit-identical noise on CPU and CUDA. A source is <em>not</em> thread-safe; use
 * {@link #fork(long)} to give a worker its own independent stream.
 */
public final class NoiseSource {
    private final long seed;
    private final SplittableRandom random;
    private double spareGaussian;
    private boolean hasSpare;

    private NoiseSource(long seed) {
        this.seed = seed;
        this.random = new SplittableRandom(seed);
    }

    /** A source seeded with {@code seed}: the same seed always gives the same sequence of draws. */
    public static NoiseSource seeded(long seed) {
        return new NoiseSource(seed);
    }

    /** The seed this source was created with. */
    public long seed() {
        return seed;
    }

    /**
     * An independent child stream identified by {@code stream}; forking does not consume draws from this
     * source, so adding a fork never changes the parent's sequence.
     */
    public NoiseSource fork(long stream) {
        long mixed = seed * 0x9E3779B97F4A7C15L + stream * 0xC2B2AE3D27D4EB4FL + 0x165667B19E3779F9L;
        return new NoiseSource(mixed ^ (mixed >>> 31));
    }

    /** One standard normal draw (Marsaglia polar method). */
    public double nextGaussian() {
        if (hasSpare) {
            hasSpare = false;
            return spareGaussian;
        }
        double u;
        double v;
        double s;
        do {
            u = random.nextDouble() * 2 - 1;
            v = random.nextDouble() * 2 - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double f = Math.sqrt(-2 * Math.log(s) / s);
        spareGaussian = v * f;
        hasSpare = true;
        return u * f;
    }

    /** One uniform draw in [0, 1). */
    public double nextDouble() {
        return random.nextDouble();
    }

    /** One uniform integer in [0, bound). */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive, got " + bound);
        }
        return random.nextInt(bound);
    }

    /** A tensor of i.i.d. standard normal draws of the given shape and type (FLOAT32 or FLOAT64). */
    public NDArray normal(NDManager manager, Shape shape, DataType dataType) {
        long n = shape.size();
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("shape " + shape + " is too large for one draw");
        }
        if (dataType == DataType.FLOAT64) {
            double[] d = new double[(int) n];
            for (int i = 0; i < d.length; i++) {
                d[i] = nextGaussian();
            }
            return HostArrays.of(manager, d, shape);
        }
        if (dataType == DataType.FLOAT32) {
            float[] f = new float[(int) n];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) nextGaussian();
            }
            return HostArrays.of(manager, f, shape);
        }
        throw new IllegalArgumentException("normal noise needs FLOAT32 or FLOAT64, got " + dataType);
    }

    /** Standard normal noise shaped and typed like {@code like}, on its manager. */
    public NDArray normalLike(NDArray like) {
        return normal(like.getManager(), like.getShape(), like.getDataType());
    }

    /** A tensor of i.i.d. uniform [0, 1) draws of the given shape and type. */
    public NDArray uniform(NDManager manager, Shape shape, DataType dataType) {
        double[] d = new double[Math.toIntExact(shape.size())];
        for (int i = 0; i < d.length; i++) {
            d[i] = random.nextDouble();
        }
        return HostArrays.of(manager, d, shape, dataType);
    }
}
