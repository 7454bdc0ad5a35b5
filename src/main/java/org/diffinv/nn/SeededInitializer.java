package org.diffinv.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.initializer.Initializer;
import org.diffinv.diffusion.NoiseSource;

/**
 * A weight initialiser driven by an explicit {@link NoiseSource} (never the engine's RNG): PyTorch's default for
 * convolutions and linear layers, {@code W ~ U(-b, b)} with {@code b = gain / sqrt(fanIn)}, where
 * {@code fanIn = shape.size() / shape[0]} (in-channels times kernel area, or in-features).
 *
 * <p>Parameters are initialised in the block's deterministic parameter order, so the same seed gives the same
 * network.
 */
public final class SeededInitializer implements Initializer {
    private final NoiseSource noise;
    private final double gain;

    /** An initialiser drawing from {@code noise} with bound {@code gain / sqrt(fanIn)}. */
    public SeededInitializer(NoiseSource noise, double gain) {
        if (!(gain >= 0)) {
            throw new IllegalArgumentException("gain must be >= 0, got " + gain);
        }
        this.noise = noise;
        this.gain = gain;
    }

    @Override
    public NDArray initialize(NDManager manager, Shape shape, DataType dataType) {
        long fanIn = shape.dimension() > 1 ? shape.size() / shape.get(0) : shape.size();
        double b = gain / Math.sqrt(Math.max(1, fanIn));
        NDArray u = noise.uniform(manager, shape, DataType.FLOAT64);
        return u.mul(2 * b).sub(b).toType(dataType, false);
    }
}
