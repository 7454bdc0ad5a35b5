package org.diffinv.operators;

import ai.djl.ndarray.NDArray;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.util.Scalars;

import java.util.Locale;

/**
 * Additive white Gaussian measurement noise, stated once in the units of [0, 1] images and converted
 * explicitly to the kit's [-1, 1] working range.
 *
 * <p>Two conventions meet in the papers (pixel-solvers spec section 0): DDRM, PiGDM and C-PiGDM state
 * {@code sigma_y} in [0, 1] units and add {@code 2 sigma_y z}; DPS and DCDP state sigma directly in [-1, 1]
 * units (DPS default 0.05). This class holds {@code sigma01} ([0, 1] units); {@link #sigma()} is the standard
 * deviation in the working range, {@code sigma = 2 sigma01}. Use {@link #ofWorkingRange(double)} for a
 * DPS-style value.
 *
 * @param sigma01 the noise standard deviation in [0, 1] image units, {@code >= 0}
 */
public record MeasurementNoise(double sigma01) {

    /** No noise. */
    public static final MeasurementNoise NONE = new MeasurementNoise(0);

    /** Validates {@code sigma01}. */
    public MeasurementNoise {
        if (!(sigma01 >= 0) || !Double.isFinite(sigma01)) {
            throw new IllegalArgumentException("measurement noise sigma01 must be finite and >= 0, got " + sigma01);
        }
    }

    /** Noise with standard deviation {@code sigma01} in [0, 1] image units (DDRM / PiGDM convention). */
    public static MeasurementNoise ofUnitRange(double sigma01) {
        return new MeasurementNoise(sigma01);
    }

    /** Noise with standard deviation {@code sigma} in [-1, 1] working units (DPS / DCDP convention). */
    public static MeasurementNoise ofWorkingRange(double sigma) {
        if (!(sigma >= 0) || !Double.isFinite(sigma)) {
            throw new IllegalArgumentException("measurement noise sigma must be finite and >= 0, got " + sigma);
        }
        return new MeasurementNoise(sigma / 2);
    }

    /** The standard deviation in the [-1, 1] working range, {@code sigma = 2 sigma01}. */
    public double sigma() {
        return 2 * sigma01;
    }

    /**
     * Returns {@code y + sigma z}, {@code z ~ N(0, I)} drawn from {@code noise} (a copy of {@code y} when sigma is 0;
     * no draws are consumed then).
     */
    public NDArray addTo(NDArray y, NoiseSource noise) {
        if (sigma01 == 0) {
            return y.duplicate();
        }
        if (noise == null) {
            throw new IllegalArgumentException("measurement noise with sigma01 = " + sigma01 + " needs a NoiseSource");
        }
        try (NDArray z = noise.normalLike(y)) {
            return y.add(Scalars.mul(z, sigma()));
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "MeasurementNoise[sigma01=%.4g, sigma=%.4g]", sigma01, sigma());
    }
}
