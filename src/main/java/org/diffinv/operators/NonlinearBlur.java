package org.diffinv.operators;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.diffinv.util.Scalars;

import java.util.Locale;

/**
 * A genuinely nonlinear blur: a linear blur applied in linear irradiance between an inverse and a forward
 * camera response curve. It stands in for the learned GOPRO blur network of the papers' "nonlinear deblur"
 * task (DCDP, Flash-Diffusion), whose weights cannot be obtained; it is the kit's own model, not theirs.
 *
 * <p>Forward model, elementwise except the blur {@code B} (e.g. {@link MotionBlur}):
 * <pre>
 *   u = clip((x + 1)/2, 0, 1)                         image in [0, 1] (clipping = sensor saturation)
 *   v = f^{-1}(u) = -ln(1 - u (1 - e^{-a})) / a         linear irradiance
 *   b = B v                                            blur in irradiance
 *   y = 2 f(b) - 1,  f(v) = (1 - e^{-a v}) / (1 - e^{-a})   camera response, back to [-1, 1]
 * </pre>
 * {@code f} is smooth, increasing and concave with {@code f(0) = 0}, {@code f(1) = 1}; {@code a > 0} sets how
 * strongly it compresses highlights (default {@link #DEFAULT_A} {@code = 3}: slope 3.16 at black, 0.16 at white).
 * As {@code a -> 0}, {@code f} tends to the identity and the model to the linear blur. Forward tier only: the
 * vector-Jacobian product is by automatic differentiation ({@link Autograd}).
 */
public final class NonlinearBlur implements Operator {

    /** The default response-curve strength {@code a}. */
    public static final double DEFAULT_A = 3.0;

    private final LinearOperator blur;
    private final double a;
    private final double norm;

    /**
     * A nonlinear blur.
     *
     * @param blur the linear blur applied in irradiance (same output size as input)
     * @param a response-curve strength, positive
     */
    public NonlinearBlur(LinearOperator blur, double a) {
        if (blur == null) {
            throw new IllegalArgumentException("nonlinear blur needs a linear blur, got null");
        }
        this.blur = blur;
        this.a = Checks.requirePositive(a, "camera response strength a");
        this.norm = -Math.expm1(-a); // 1 - e^{-a}
    }

    /** A nonlinear blur with the default response strength {@link #DEFAULT_A}. */
    public NonlinearBlur(LinearOperator blur) {
        this(blur, DEFAULT_A);
    }

    /** The linear blur in irradiance. */
    public LinearOperator blur() {
        return blur;
    }

    /** The response-curve strength {@code a}. */
    public double a() {
        return a;
    }

    /** The camera response {@code f(v) = (1 - e^{-a v}) / (1 - e^{-a})} on a scalar. */
    public double response(double v) {
        return -Math.expm1(-a * v) / norm;
    }

    /** The inverse response {@code f^{-1}(u) = -ln(1 - u (1 - e^{-a})) / a} on a scalar, {@code u} in [0, 1]. */
    public double inverseResponse(double u) {
        return -Math.log1p(-u * norm) / a;
    }

    @Override
    public String name() {
        return String.format(Locale.ROOT, "nonlinear-blur(a=%.3g, %s)", a, blur.name());
    }

    @Override
    public String toString() {
        return name();
    }

    @Override
    public Shape outputShape(Shape inputShape) {
        return blur.outputShape(inputShape);
    }

    @Override
    public NDArray apply(NDArray x) {
        Checks.requireImage(x, name(), "input");
        outputShape(x.getShape());
        NDManager parent = x.getManager();
        try (NDManager s = parent.newSubManager()) {
            x.tempAttach(s); // intermediates land in s and are freed with it; x returns to its manager
            // u = clip((x + 1)/2, 0, 1)
            NDArray u = Scalars.mul(Scalars.add(x, 1), 0.5).clip(0, 1);
            // v = -ln(1 - u (1 - e^{-a})) / a
            NDArray v = Scalars.mul(Scalars.add(Scalars.mul(u, -norm), 1).log(), -1.0 / a);
            NDArray b = blur.apply(v);
            b.attach(s);
            // y = 2 f(b) - 1 = 2 (1 - e^{-a b}) / (1 - e^{-a}) - 1
            NDArray y = Scalars.add(Scalars.mul(Scalars.mul(b, -a).exp(), -2.0 / norm), 2.0 / norm - 1);
            y.attach(parent);
            return y;
        }
    }

    @Override
    public NDArray vjp(NDArray x, NDArray v) {
        return Autograd.vjp(this, x, v);
    }
}
