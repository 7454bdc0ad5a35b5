package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.linalg.CgOptions;
import org.diffinv.operators.LinearOperator;
import org.diffinv.util.Scalars;

/**
 * The projection fragment of the projection-type samplers (Score-SDE's inpainting, MCG): the noised measurement
 * {@code y_i} at a time index and the projection of an iterate onto {@code {x : A x = y_i}}.
 * <pre>
 *   y_i = sqrt(abar_i) y + sqrt(1 - abar_i) A z            (noise drawn in image space and measured, so it lies in
 *                                                          range(A) like the noise of x_i)
 *   x  <- x + A^+ (y_i - A x)                              (for a mask: (1 - M) x + M y_i)
 * </pre>
 * {@code A^+} is the SVD tier's closed form, or CG on the normal equations for a linear operator (per call options).
 */
public final class MeasurementProjection {

    private MeasurementProjection() {
    }

    /** {@code y_i = sqrt(abar_i) y + sqrt(1 - abar_i) A z}, {@code z} of {@code like}'s shape drawn from {@code noise}. */
    public static NDArray noisedMeasurement(LinearOperator a, NDArray y, NoiseSchedule schedule, int i, NDArray like,
            NoiseSource noise) {
        double abar = i < 0 ? 1.0 : schedule.alphaBar(i);
        if (abar == 1.0) {
            return y.duplicate();
        }
        NDArray az = a.apply(noise.normalLike(like));
        return Scalars.mul(az, Math.sqrt(1 - abar)).add(Scalars.mul(y, Math.sqrt(abar)));
    }

    /** {@code x + A^+ (target - A x)}: the closest point to {@code x} (for the SVD tier exactly) with {@code A x = target}. */
    public static NDArray project(LinearOperator a, NDArray x, NDArray target, CgOptions options) {
        NDArray residual = a.apply(x).neg().add(target);
        return x.add(a.pinv(residual, options));
    }
}
