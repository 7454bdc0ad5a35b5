package org.diffinv.operators;

import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSource;

import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The one registry of operator configurations the property tests run over: every operator of the package,
 * several parameter settings, channel counts 1 and 3, odd and even and non-square sizes, shared and per-image
 * masks, and compositions. Each entry is a named supplier plus the input shape {@code (N, C, H, W)} it is
 * tested on.
 */
final class OperatorRegistry {

    private OperatorRegistry() {
    }

    /**
     * One configuration.
     *
     * @param name display name of the test case
     * @param factory builds the operator (fresh each time; operators are immutable)
     * @param inputShape the input batch shape the properties are checked on
     * @param cg whether the CG pseudo-inverse properties are checked (a linear operator whose condition number is
     *     small enough, at most about 10^3, for CG on the normal equations to reach a 1e-13 relative residual
     *     within {@link #CG_ITERATIONS} iterations; see {@link OperatorPropertiesTest})
     */
    record Config(String name, Supplier<Operator> factory, Shape inputShape, boolean cg) {
        Operator create() {
            return factory.get();
        }

        @Override
        public String toString() {
            return name + " @ " + inputShape;
        }
    }

    /** The CG iteration budget of the CG pseudo-inverse properties. */
    static final int CG_ITERATIONS = 600;

    /** A configuration whose CG pseudo-inverse is checked (when linear). */
    private static Config c(String name, Supplier<Operator> f, long... shape) {
        return new Config(name, f, new Shape(shape), true);
    }

    /** A configuration too ill-conditioned for the CG pseudo-inverse properties. */
    private static Config illConditioned(String name, Supplier<Operator> f, long... shape) {
        return new Config(name, f, new Shape(shape), false);
    }

    private static BlurKernel motion(int size, double intensity, long seed) {
        return MotionKernels.generate(size, intensity, NoiseSource.seeded(seed));
    }

    /** Every configuration. */
    static List<Config> all() {
        return List.of(
                c("denoising", Denoising::new, 2, 1, 8, 8),
                c("denoising-odd-c3", Denoising::new, 1, 3, 7, 9),
                c("inpaint-box-fixed", () -> new Inpainting(Masks.box(8, 8, 4, 3, 2, 1), "box"), 2, 1, 8, 8),
                c("inpaint-box-random-per-image",
                        () -> new Inpainting(Masks.randomBox(2, 10, 10, 5, 5, NoiseSource.seeded(1)), "random-box"),
                        2, 3, 10, 10),
                c("inpaint-random-shared", () -> new Inpainting(
                        Masks.randomPixelsUniformKeep(1, 9, 11, 0.3, 0.7, NoiseSource.seeded(2)), "random"), 2, 1, 9, 11),
                c("inpaint-freeform-per-image", () -> new Inpainting(
                        Masks.freeForm(2, 16, 16, 0.1, 0.2, NoiseSource.seeded(3)), "free-form"), 2, 3, 16, 16),
                c("inpaint-per-channel", () -> new Inpainting(
                        Mask.of(Masks.randomPixels(3, 8, 8, 0.5, NoiseSource.seeded(4)).values(), new Shape(1, 3, 8, 8)), "per-channel"),
                        2, 3, 8, 8),
                c("sr-avgpool-k2", () -> SuperResolution.averagePool(2), 2, 1, 8, 8),
                c("sr-avgpool-k4-c3", () -> SuperResolution.averagePool(4), 2, 3, 16, 16),
                c("sr-avgpool-k3-nonsquare", () -> SuperResolution.averagePool(3), 1, 1, 9, 12),
                c("sr-bicubic-k2", () -> SuperResolution.bicubic(2), 2, 1, 8, 10),
                c("sr-bicubic-k4-c3", () -> SuperResolution.bicubic(4), 2, 3, 16, 16),
                c("sr-bicubic-k3-odd", () -> SuperResolution.bicubic(3), 1, 1, 12, 9),
                c("sr-bicubic-k4-32px", () -> SuperResolution.bicubic(4), 1, 1, 32, 32),
                c("gauss-reflect-5", () -> GaussianBlur.reflect(5, 0.8), 2, 1, 8, 8),
                illConditioned("gauss-reflect-9-c3", () -> GaussianBlur.reflect(9, 1.5), 2, 3, 16, 16),
                illConditioned("gauss-reflect-7-odd", () -> GaussianBlur.reflect(7, 1.0), 1, 1, 9, 13),
                illConditioned("gauss-reflect-11-32px", () -> GaussianBlur.reflect(11, 1.2), 1, 1, 32, 32),
                c("gauss-ddrm-9-c3", () -> GaussianBlur.ddrm(9, 1.5), 2, 3, 16, 16),
                c("gauss-ddrm-5-odd", () -> GaussianBlur.ddrm(5, 1.0), 1, 1, 11, 11),
                c("gauss-zero-nocut-5", () -> GaussianBlur.of(5, 0.7, Padding.ZERO, 0.0), 1, 1, 8, 8),
                c("motion-5", () -> new MotionBlur(motion(5, 0.5, 10)), 2, 1, 8, 8),
                c("motion-7-c3-nonsquare", () -> new MotionBlur(motion(7, 1.0, 11)), 2, 3, 13, 16),
                illConditioned("motion-9-32px", () -> new MotionBlur(motion(9, 0.5, 12)), 1, 1, 32, 32),
                c("nonlinear-motion-5", () -> new NonlinearBlur(new MotionBlur(motion(5, 0.5, 13))), 2, 1, 8, 8),
                c("nonlinear-gauss-c3", () -> new NonlinearBlur(GaussianBlur.reflect(5, 1.0), 1.5), 1, 3, 10, 10),
                c("compose-gauss-avgpool", () -> Composed.of(GaussianBlur.reflect(5, 1.0), SuperResolution.averagePool(2)),
                        2, 3, 16, 16),
                c("compose-inpaint-motion", () -> Composed.of(
                        new Inpainting(Masks.centeredBox(12, 12, 4, 4), "box"), new MotionBlur(motion(5, 0.5, 14))),
                        1, 1, 12, 12),
                c("compose-motion-bicubic", () -> Composed.of(new MotionBlur(motion(3, 0.3, 15)), SuperResolution.bicubic(2)),
                        2, 1, 10, 10),
                c("compose-denoise-ddrm", () -> new Denoising().then(GaussianBlur.ddrm(5, 1.0)), 1, 1, 8, 8),
                c("finite-difference", FiniteDifference::new, 2, 1, 8, 8),
                c("finite-difference-c3-nonsquare", FiniteDifference::new, 1, 3, 7, 9),
                c("compose-nonlinear-avgpool", () -> new NonlinearBlur(new MotionBlur(motion(3, 0.5, 16)))
                        .then(SuperResolution.averagePool(2)), 1, 1, 8, 8));
    }

    /** The configurations whose operator is linear (or SVD) tier. */
    static Stream<Config> linear() {
        return all().stream().filter(cfg -> cfg.create() instanceof LinearOperator);
    }

    /** The configurations whose operator is SVD tier. */
    static Stream<Config> svd() {
        return all().stream().filter(cfg -> cfg.create() instanceof SvdOperator);
    }

    /** The linear configurations on which the CG pseudo-inverse properties are checked. */
    static Stream<Config> cg() {
        return linear().filter(Config::cg);
    }

    /** Every configuration as a stream. */
    static Stream<Config> forward() {
        return all().stream();
    }
}
