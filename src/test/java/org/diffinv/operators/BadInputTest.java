package org.diffinv.operators;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.linalg.CgOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.diffinv.operators.MotionKernelsTest.assertMessage;
import static org.diffinv.operators.TestSupport.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Bad input fails with an {@link IllegalArgumentException} whose message names the bad value. */
class BadInputTest {

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    static Stream<OperatorRegistry.Config> forward() {
        return OperatorRegistry.forward();
    }

    /** Every registered operator rejects a rank-3 input, naming its shape. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("forward")
    void rank3Rejected(OperatorRegistry.Config cfg) {
        Shape s = cfg.inputShape();
        NDArray x = randn(manager, new Shape(s.get(1), s.get(2), s.get(3)), 1);
        assertMessage(() -> cfg.create().apply(x), x.getShape().toString());
    }

    /** Every registered operator rejects NaN and Inf, naming the count. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("forward")
    void nonFiniteRejected(OperatorRegistry.Config cfg) {
        NDArray x = randn(manager, cfg.inputShape(), 2);
        double[] v = x.toDoubleArray();
        v[3] = Double.NaN;
        v[5] = Double.POSITIVE_INFINITY;
        NDArray bad = manager.create(v, cfg.inputShape());
        assertMessage(() -> cfg.create().apply(bad), "1 NaN and 1 infinite");
    }

    /**
     * Every registered operator's vector-Jacobian product refuses a cotangent {@code v} whose shape is not
     * {@code outputShape(x)}, naming both shapes (the linear tier's default {@code vjp = adjoint(v)} used to
     * return a result of the wrong shape).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("forward")
    void vjpRejectsWrongCotangentShape(OperatorRegistry.Config cfg) {
        Operator op = cfg.create();
        NDArray x = randn(manager, cfg.inputShape(), 12);
        Shape expected = op.outputShape(cfg.inputShape());
        NDArray v = randn(manager, new Shape(1, 1, 24, 40), 13);
        assertMessage(() -> op.vjp(x, v), op.name() + ": vjp vector v must have shape " + expected
                + ", got (1, 1, 24, 40)");
    }

    /** Every registered operator's vector-Jacobian product refuses a non-finite {@code v} and a rank-3 {@code x}. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("forward")
    void vjpRejectsNonFiniteCotangentAndNonImagePoint(OperatorRegistry.Config cfg) {
        Operator op = cfg.create();
        Shape in = cfg.inputShape();
        NDArray x = randn(manager, in, 14);
        Shape out = op.outputShape(in);
        double[] values = randn(manager, out, 15).toDoubleArray();
        values[1] = Double.NaN;
        NDArray badV = manager.create(values, out);
        assertMessage(() -> op.vjp(x, badV), "vjp vector v of shape " + out
                + " contains 1 NaN and 0 infinite values; expected finite values");
        NDArray rank3 = randn(manager, new Shape(in.get(1), in.get(2), in.get(3)), 16);
        NDArray v = randn(manager, out, 17);
        assertMessage(() -> op.vjp(rank3, v), "vjp point x must have rank 4 (N, C, H, W), got shape " + rank3.getShape());
    }

    static Stream<OperatorRegistry.Config> linear() {
        return OperatorRegistry.linear();
    }

    static Stream<OperatorRegistry.Config> nonlinear() {
        return OperatorRegistry.forward().filter(cfg -> !(cfg.create() instanceof LinearOperator));
    }

    /**
     * A linear operator's VJP is {@code A^T v} whatever {@code x} holds: its shape and type are checked, its values are
     * not read, so a NaN in {@code x} neither fails nor reaches the result (exactly {@code adjoint(v)}); an integer
     * {@code x} is refused by name.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("linear")
    void linearVjpChecksThePointsShapeAndTypeButNotItsValues(OperatorRegistry.Config cfg) {
        LinearOperator op = (LinearOperator) cfg.create();
        Shape in = cfg.inputShape();
        double[] values = randn(manager, in, 21).toDoubleArray();
        values[0] = Double.NaN;
        NDArray x = manager.create(values, in);
        NDArray v = randn(manager, op.outputShape(in), 22);
        try (NDArray g = op.vjp(x, v); NDArray adj = op.adjoint(v)) {
            assertEquals(0.0, g.sub(adj).abs().max().getDouble());
        }
        NDArray ints = randn(manager, in, 23).toType(DataType.INT32, false);
        assertMessage(() -> op.vjp(ints, v), op.name() + ": vjp point x must be FLOAT32 or FLOAT64, got INT32");
    }

    /** A nonlinear operator's VJP reads {@code x}, so it refuses a non-finite one, naming the count. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("nonlinear")
    void nonlinearVjpRefusesANonFinitePoint(OperatorRegistry.Config cfg) {
        Operator op = cfg.create();
        Shape in = cfg.inputShape();
        double[] values = randn(manager, in, 24).toDoubleArray();
        values[2] = Double.POSITIVE_INFINITY;
        NDArray x = manager.create(values, in);
        NDArray v = randn(manager, op.outputShape(in), 25);
        assertMessage(() -> op.vjp(x, v), "vjp point x of shape " + in + " contains 0 NaN and 1 infinite values");
    }

    /** The reported case: a motion blur's VJP with a (1, 1, 24, 40) v at a (3, 3, 19, 27) x. */
    @Test
    void motionBlurVjpChecksTheCotangentShape() {
        MotionBlur blur = new MotionBlur(MotionKernels.generate(5, 0.5, NoiseSource.seeded(1)));
        NDArray x = randn(manager, new Shape(3, 3, 19, 27), 18);
        NDArray v = randn(manager, new Shape(1, 1, 24, 40), 19);
        assertMessage(() -> blur.vjp(x, v), "vjp vector v must have shape (3, 3, 19, 27), got (1, 1, 24, 40)");
        NDArray ok = randn(manager, new Shape(3, 3, 19, 27), 20);
        try (NDArray g = blur.vjp(x, ok); NDArray adj = blur.adjoint(ok)) {
            assertEquals(0.0, g.sub(adj).abs().max().getDouble());
        }
    }

    /** The shared finiteness check names the caller, the argument, the counts and the expectation. */
    @Test
    void requireFiniteNamesCallerArgumentAndCounts() {
        NDArray x = manager.create(new double[] {0, Double.NaN, Double.NEGATIVE_INFINITY, Double.NaN, 1},
                new Shape(5));
        assertMessage(() -> Checks.requireFinite(x, "solver", "x0Hat"),
                "solver: x0Hat of shape (5) contains 2 NaN and 1 infinite values; expected finite values");
        assertMessage(() -> Checks.requireFinite(null, "solver", "y"), "solver: y is null");
        // finite values whose sum overflows are accepted
        Checks.requireFinite(manager.create(new float[] {3e38f, 3e38f}), "solver", "big");
        Checks.requireFinite(manager.create(new double[] {1, 2}), "solver", "small");
    }

    /** Every registered operator rejects an integer tensor, naming the dtype. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("forward")
    void wrongDtypeRejected(OperatorRegistry.Config cfg) {
        NDArray x = manager.zeros(cfg.inputShape(), DataType.INT32);
        assertMessage(() -> cfg.create().apply(x), "INT32");
    }

    @Test
    void channelAndSizeMismatch() {
        Mask threeChannels = Mask.of(new double[3 * 64], new Shape(1, 3, 8, 8));
        NDArray gray = randn(manager, new Shape(1, 1, 8, 8), 3);
        assertMessage(() -> new Inpainting(threeChannels).apply(gray), "mask has 3 channels but the input has 1");
        NDArray nine = randn(manager, new Shape(1, 1, 9, 9), 4);
        assertMessage(() -> new Inpainting(Masks.box(8, 8, 2, 2, 0, 0)).apply(nine),
                "mask size 8x8 does not match the image size 9x9");
        Mask perImage = Masks.randomPixels(3, 8, 8, 0.5, NoiseSource.seeded(1));
        NDArray batch2 = randn(manager, new Shape(2, 1, 8, 8), 5);
        assertMessage(() -> new Inpainting(perImage).apply(batch2), "mask batch 3 does not match the input batch 2");
    }

    @Test
    void kernelLargerThanImage() {
        NDArray x = randn(manager, new Shape(1, 1, 8, 8), 6);
        BlurKernel k9 = MotionKernels.generate(9, 0.5, NoiseSource.seeded(1));
        assertMessage(() -> new MotionBlur(k9).apply(x), "kernel 9x9 is larger than the image 8x8");
        assertMessage(() -> GaussianBlur.reflect(9, 1.0).apply(x), "kernel of length 9 is larger than the image side 8");
        assertMessage(() -> new NonlinearBlur(new MotionBlur(k9)).apply(x), "kernel 9x9 is larger than the image 8x8");
    }

    @Test
    void srFactorMustDivideTheSize() {
        NDArray x = randn(manager, new Shape(1, 1, 10, 12), 7);
        assertMessage(() -> SuperResolution.averagePool(4).apply(x), "image side 10 is not divisible by the factor 4");
        assertMessage(() -> SuperResolution.bicubic(3).apply(x), "image side 10 is not divisible by the factor 3");
    }

    @Test
    void measurementShapeChecked() {
        SeparableOperator blur = GaussianBlur.reflect(9, 1.0);
        NDArray y = randn(manager, new Shape(1, 1, 4, 4), 8);
        assertMessage(() -> blur.adjoint(y), "measurement of shape (1, 1, 4, 4)");
        NonlinearBlur nl = new NonlinearBlur(GaussianBlur.reflect(3, 1.0));
        NDArray x = randn(manager, new Shape(1, 1, 8, 8), 9);
        NDArray v = randn(manager, new Shape(1, 1, 8, 7), 10);
        assertMessage(() -> nl.vjp(x, v), "vjp vector v must have shape (1, 1, 8, 8), got (1, 1, 8, 7)");
    }

    @Test
    void wrongTierNamesOperatorAndTier() {
        MotionBlur motion = new MotionBlur(MotionKernels.generate(3, 0.5, NoiseSource.seeded(1)));
        assertMessage(() -> Operators.requireSvd(motion, "DDRM"), "DDRM needs an SVD-decomposable operator");
        assertMessage(() -> Operators.requireSvd(motion, "DDRM"), "'motion-blur(3x3");
        assertMessage(() -> Operators.requireSvd(motion, "DDRM"), "is only tier 'linear'");
        NonlinearBlur nl = new NonlinearBlur(motion);
        assertMessage(() -> Operators.requireLinear(nl, "PiGDM"), "PiGDM needs a linear operator");
        assertMessage(() -> Operators.requireLinear(nl, "PiGDM"), "is only tier 'forward'");
        assertMessage(() -> Operators.requireLinear(Composed.of(nl, motion), "MCG"), "compose(nonlinear-blur");
        assertMessage(() -> Operators.requireSvd(GaussianBlur.reflect(3, 1).then(SuperResolution.averagePool(2)), "DDRM"),
                "is only tier 'linear'");
    }

    @Test
    void badParameters() {
        assertMessage(() -> GaussianBlur.reflect(4, 1.0), "got 4");
        assertMessage(() -> GaussianBlur.reflect(5, -1.0), "got -1.0");
        assertMessage(() -> SuperResolution.averagePool(0), "got 0");
        assertMessage(() -> new NonlinearBlur(GaussianBlur.reflect(3, 1.0), 0.0), "a must be positive");
        assertMessage(() -> new MeasurementNoise(-0.1), "got -0.1");
        assertMessage(() -> new CgOptions(0, 1e-6), "got 0");
        NDArray z = randn(manager, new Shape(1, 1, 4, 4), 11);
        assertMessage(() -> new Denoising().proxL2(z, z, 0.0, CgOptions.DEFAULT), "gamma must be positive");
        assertMessage(() -> new MotionBlur(MotionKernels.generate(3, 0.5, NoiseSource.seeded(1))).proxL2(z, z, -1,
                CgOptions.DEFAULT), "gamma must be positive and finite, got -1.0");
    }
}
