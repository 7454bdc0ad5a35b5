package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.operators.Checks;
import org.diffinv.operators.Measurement;
import org.diffinv.operators.MeasurementNoise;
import org.diffinv.operators.Operator;

/**
 * An inverse problem {@code y = A(x) + n}: the operator, the measurement, the noise level it carries and the shape
 * of the unknown image batch. Validated when made: {@code y} must have exactly the shape {@code A} produces for
 * {@code xShape} and hold only finite values, so a solver never starts on a malformed problem.
 *
 * @param a the measurement operator; its type {@code O} is the tier a solver can ask for
 * @param y the measurement, shape {@code a.outputShape(xShape)}, in the [-1, 1] working range
 * @param noise the measurement noise in {@code y} ({@link MeasurementNoise#NONE} when noiseless)
 * @param xShape the shape {@code (N, C, H, W)} of the unknown image batch
 * @param <O> the operator's static type (forward, linear or SVD tier)
 */
public record Problem<O extends Operator>(O a, NDArray y, MeasurementNoise noise, Shape xShape) {

    /** Validates the problem (see the class comment). */
    public Problem {
        if (a == null) {
            throw new IllegalArgumentException("a problem needs an operator A, got null");
        }
        if (y == null) {
            throw new IllegalArgumentException("a problem needs a measurement y, got null");
        }
        if (noise == null) {
            throw new IllegalArgumentException("a problem needs a noise level; use MeasurementNoise.NONE for none");
        }
        if (xShape == null || xShape.dimension() != 4) {
            throw new IllegalArgumentException("the image shape must be (N, C, H, W), got " + xShape);
        }
        Shape expected = a.outputShape(xShape);
        if (!y.getShape().equals(expected)) {
            throw new IllegalArgumentException("y has shape " + y.getShape() + " but " + a.name()
                    + " maps images of shape " + xShape + " to measurements of shape " + expected);
        }
        Checks.requireFloat(y, a.name(), "measurement y");
        Checks.requireFinite(y, a.name(), "measurement y");
    }

    /** A problem with measurement {@code y} of an image batch of shape {@code xShape}. */
    public static <O extends Operator> Problem<O> of(O a, NDArray y, MeasurementNoise noise, Shape xShape) {
        return new Problem<>(a, y, noise, xShape);
    }

    /**
     * Simulates a problem from a ground truth: {@code y = A(x) + sigma z}, {@code z} from {@code source}; the
     * measurement lives on {@code x}'s manager.
     */
    public static <O extends Operator> Problem<O> measure(O a, NDArray x, MeasurementNoise noise, NoiseSource source) {
        Checks.requireImage(x, a.name(), "ground truth x");
        return new Problem<>(a, Measurement.measure(a, x, noise, source), noise, x.getShape());
    }

    /** The measurement noise standard deviation in the [-1, 1] working range, {@code sigma_y = 2 sigma01}. */
    public double sigmaY() {
        return noise.sigma();
    }

    /** The same measurement seen through another (e.g. counting) view {@code view} of the operator. */
    public <P extends Operator> Problem<P> withOperator(P view) {
        return new Problem<>(view, y, noise, xShape);
    }
}
