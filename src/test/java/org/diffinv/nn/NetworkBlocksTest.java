package org.diffinv.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import org.diffinv.diffusion.NoiseSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tests of the network building blocks against hand computations. */
class NetworkBlocksTest {

    /** A tiny UNet config: 2 levels, attention at 8x8 on a 16x16 input. */
    static UNetConfig tiny(String conditioning, int contextDim) {
        return new UNetConfig(1, 1, 16, 8, new int[] {1, 2}, 1, new int[] {8}, 2, 4, conditioning, contextDim);
    }

    static UNet build(UNetConfig cfg, NDManager m, long seed) {
        UNet net = new UNet(cfg);
        net.setInitializer(new SeededInitializer(NoiseSource.seeded(seed), 1.0), Parameter.Type.WEIGHT);
        if (cfg.conditioned()) {
            net.initialize(m, DataType.FLOAT32, new Shape(1, 1, 16, 16), new Shape(1), new Shape(1, 3, cfg.contextDim()));
        } else {
            net.initialize(m, DataType.FLOAT32, new Shape(1, 1, 16, 16), new Shape(1));
        }
        return net;
    }

    @Test
    void groupNormMatchesHandComputationInDoublePrecision() {
        try (NDManager m = NDManager.newBaseManager()) {
            int n = 2;
            int c = 4;
            int g = 2;
            int hw = 3;
            double[] x = new double[n * c * hw];
            NoiseSource rng = NoiseSource.seeded(3);
            for (int i = 0; i < x.length; i++) {
                x[i] = 3 * rng.nextGaussian() + 1;
            }
            GroupNorm gn = new GroupNorm(g, c, 1e-5f);
            gn.initialize(m, DataType.FLOAT64, new Shape(n, c, hw));
            double[] gamma = {1.5, -0.5, 2.0, 0.25};
            double[] beta = {0.1, 0.2, -0.3, 0.4};
            gn.getParameters().get("gamma").getArray().set(gamma);
            gn.getParameters().get("beta").getArray().set(beta);
            double[] y = gn.forward(new ParameterStore(m, false), new NDList(m.create(x, new Shape(n, c, hw))),
                    false).singletonOrThrow().toDoubleArray();
            int per = c / g * hw;
            for (int s = 0; s < n; s++) {
                for (int grp = 0; grp < g; grp++) {
                    int off = s * c * hw + grp * per;
                    double mu = 0;
                    for (int k = 0; k < per; k++) {
                        mu += x[off + k];
                    }
                    mu /= per;
                    double var = 0;
                    for (int k = 0; k < per; k++) {
                        var += (x[off + k] - mu) * (x[off + k] - mu);
                    }
                    var /= per;
                    for (int k = 0; k < per; k++) {
                        int ch = grp * (c / g) + k / hw;
                        double expected = gamma[ch] * (x[off + k] - mu) / Math.sqrt(var + 1e-5) + beta[ch];
                        // double precision throughout: only rounding error, ~1e-15 relative
                        assertEquals(expected, y[off + k], 1e-12, "sample " + s + " group " + grp + " entry " + k);
                    }
                }
            }
        }
    }

    /**
     * Inside a gradient recording the group norm's affine is one batch-norm call (eval form, mean 0, variance 1,
     * eps 0): its value and its gradients with respect to x, gamma and beta equal those of the explicit
     * {@code xHat * gamma + beta}, in double precision.
     */
    @Test
    void groupNormGradientsMatchTheExplicitAffine() {
        try (NDManager m = NDManager.newBaseManager()) {
            GroupNorm gn = new GroupNorm(2, 4, 1e-5f);
            gn.initialize(m, DataType.FLOAT64, new Shape(2, 4, 3, 3));
            NDArray gamma = gn.getParameters().get("gamma").getArray();
            NDArray beta = gn.getParameters().get("beta").getArray();
            gamma.set(new double[] {1.5, -0.5, 2.0, 0.25});
            beta.set(new double[] {0.1, 0.2, -0.3, 0.4});
            NDArray x0 = NoiseSource.seeded(9).normal(m, new Shape(2, 4, 3, 3), DataType.FLOAT64);
            NDArray w = NoiseSource.seeded(10).normal(m, new Shape(2, 4, 3, 3), DataType.FLOAT64);
            double[][] viaBlock = gradients(m, x0, w, gamma, beta, x -> gn.forward(new ParameterStore(m, false),
                    new NDList(x), false).singletonOrThrow());
            double[][] explicit = gradients(m, x0, w, gamma, beta, x -> GroupNorm.normalise(x.reshape(2, 2, -1), 1e-5f)
                    .reshape(2, 4, 3, 3).mul(gamma.reshape(1, 4, 1, 1)).add(beta.reshape(1, 4, 1, 1)));
            String[] what = {"value", "d/dx", "d/dgamma", "d/dbeta"};
            for (int k = 0; k < what.length; k++) {
                assertArrayEquals(explicit[k], viaBlock[k], 1e-12, what[k]);
            }
        }
    }

    private static double[][] gradients(NDManager m, NDArray x0, NDArray w, NDArray gamma, NDArray beta,
                                        java.util.function.UnaryOperator<NDArray> f) {
        NDArray x = x0.duplicate();
        x.setRequiresGradient(true);
        gamma.setRequiresGradient(true);
        beta.setRequiresGradient(true);
        double[] value;
        try (ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
            NDArray y = f.apply(x);
            value = y.toDoubleArray();
            gc.backward(y.mul(w).sum());
        }
        double[][] out = {value, x.getGradient().toDoubleArray(), gamma.getGradient().toDoubleArray(),
            beta.getGradient().toDoubleArray()};
        gamma.getGradient().muli(0); // gradients accumulate across recordings: start the next one from zero
        beta.getGradient().muli(0);
        gamma.setRequiresGradient(false);
        beta.setRequiresGradient(false);
        return out;
    }

    @Test
    void upsampleNearestRepeatsEveryPixelTwice() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = NoiseSource.seeded(4).normal(m, new Shape(2, 3, 4, 5), DataType.FLOAT32);
            NDArray expected = x.repeat(2, 2).repeat(3, 2);
            NDArray got = KitBlock.upsampleNearest(x);
            assertEquals(new Shape(2, 3, 8, 10), got.getShape());
            assertArrayEquals(expected.toFloatArray(), got.toFloatArray(), 0f);
        }
    }

    @Test
    void inPlaceShortcutsNeverChangeABlockInput() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = NoiseSource.seeded(6).normal(m, new Shape(2, 3), DataType.FLOAT32);
            float[] before = x.toFloatArray();
            NDArray y = KitBlock.silu(x);
            assertArrayEquals(before, x.toFloatArray(), 0f, "silu left its input alone");
            float[] v = y.toFloatArray();
            for (int i = 0; i < v.length; i++) {
                assertEquals(before[i] / (1 + Math.exp(-before[i])), v[i], 1e-6, "silu entry " + i);
            }
        }
    }

    @Test
    void sinusoidsMatchTheFormula() {
        try (NDManager m = NDManager.newBaseManager()) {
            double[] e = TimeEmbedding.sinusoids(m.create(new double[] {0, 7}), 4).toDoubleArray();
            // h = 2, f = (1, 1e-2); e(t) = [sin t, sin t/100, cos t, cos t/100]
            assertArrayEquals(new double[] {0, 0, 1, 1, Math.sin(7), Math.sin(0.07), Math.cos(7), Math.cos(0.07)},
                    e, 1e-12);
        }
    }

    @Test
    void unetKeepsTheShapeAndDependsOnTime() {
        try (NDManager m = NDManager.newBaseManager()) {
            UNet net = build(tiny("none", 0), m, 11);
            ParameterStore ps = new ParameterStore(m, false);
            NDArray x = NoiseSource.seeded(5).normal(m, new Shape(2, 1, 16, 16), DataType.FLOAT32);
            NDArray e1 = net.forward(ps, new NDList(x, m.create(new float[] {10, 10})), false).singletonOrThrow();
            NDArray e2 = net.forward(ps, new NDList(x, m.create(new float[] {900, 900})), false).singletonOrThrow();
            assertEquals(new Shape(2, 1, 16, 16), e1.getShape());
            double diff = e1.sub(e2).abs().max().getFloat();
            assertTrue(diff > 1e-3, "output must change with t, max difference " + diff);
            NDArray again = net.forward(ps, new NDList(x, m.create(new float[] {10, 10})), false).singletonOrThrow();
            assertEquals(0.0, e1.sub(again).abs().max().getFloat(), 0.0, "deterministic forward");
            assertThrows(IllegalArgumentException.class, () -> net.forward(ps,
                    new NDList(m.zeros(new Shape(1, 2, 16, 16)), m.create(new float[] {1})), false));
        }
    }

    @Test
    void sameSeedGivesTheSameWeights() {
        try (NDManager m = NDManager.newBaseManager()) {
            UNet a = build(tiny("none", 0), m, 4);
            UNet b = build(tiny("none", 0), m, 4);
            var pa = a.getParameters();
            var pb = b.getParameters();
            assertEquals(pa.size(), pb.size());
            for (int i = 0; i < pa.size(); i++) {
                assertArrayEquals(pa.get(i).getValue().getArray().toFloatArray(),
                        pb.get(i).getValue().getArray().toFloatArray(), 0f);
            }
        }
    }

    @Test
    void conditionedUNetsDependOnTheContext() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (String mode : new String[] {"film", "cross"}) {
                UNet net = build(tiny(mode, 6), m, 12);
                ParameterStore ps = new ParameterStore(m, false);
                NoiseSource rng = NoiseSource.seeded(8);
                NDArray x = rng.normal(m, new Shape(1, 1, 16, 16), DataType.FLOAT32);
                NDArray t = m.create(new float[] {100});
                NDArray c1 = rng.normal(m, new Shape(1, 3, 6), DataType.FLOAT32);
                NDArray c2 = rng.normal(m, new Shape(1, 3, 6), DataType.FLOAT32);
                NDArray y1 = net.forward(ps, new NDList(x, t, c1), false).singletonOrThrow();
                NDArray y2 = net.forward(ps, new NDList(x, t, c2), false).singletonOrThrow();
                assertTrue(y1.sub(y2).abs().max().getFloat() > 1e-4, mode + " output must depend on the context");
                assertThrows(IllegalArgumentException.class, () -> net.forward(ps, new NDList(x, t), false),
                        mode + " needs a context");
            }
        }
    }

    @Test
    void upsamplingByRepeatIsNearestNeighbour() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new float[] {1, 2, 3, 4}, new Shape(1, 1, 2, 2));
            float[] up = a.repeat(2, 2).repeat(3, 2).toFloatArray();
            assertArrayEquals(new float[] {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, up, 0f);
        }
    }
}
