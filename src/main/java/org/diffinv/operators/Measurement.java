package org.diffinv.operators;

import ai.djl.ndarray.NDArray;
import org.diffinv.diffusion.NoiseSource;

/**
 * Simulates a measurement {@code y = A(x) + n}, {@code n ~ N(0, sigma^2 I)} with {@code sigma} from a
 * {@link MeasurementNoise} in the [-1, 1] working range.
 */
public final class Measurement {

    private Measurement() {
    }

    /**
     * The noisy measurement {@code y = A(x) + sigma z}.
     *
     * @param op the forward operator
     * @param x the clean image batch {@code (N, C, H, W)} in [-1, 1]
     * @param noise the noise level
     * @param source the source of {@code z} (unused when the noise level is zero)
     * @return {@code y}, shaped {@code op.outputShape(x.getShape())}
     */
    public static NDArray measure(Operator op, NDArray x, MeasurementNoise noise, NoiseSource source) {
        if (op == null || noise == null) {
            throw new IllegalArgumentException("measure needs an operator and a noise level");
        }
        try (NDArray clean = op.apply(x)) {
            return noise.addTo(clean, source);
        }
    }
}
