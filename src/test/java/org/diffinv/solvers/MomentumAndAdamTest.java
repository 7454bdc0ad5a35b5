package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Heavy-ball and Adam state against hand-computed steps (the recurrences of their Javadoc, in FLOAT64). */
class MomentumAndAdamTest {

    @Test
    void heavyBallFollowsPytorchSgdMomentum() {
        try (NDManager m = NDManager.newBaseManager(); HeavyBall hb = new HeavyBall(0.1, 0.9)) {
            NDArray x = m.create(new double[] {1, -2});
            NDArray g1 = m.create(new double[] {0.5, 1});
            NDArray g2 = m.create(new double[] {-1, 2});
            NDArray x1 = hb.step(x, g1);                       // b = g1
            assertArrayEquals(new double[] {1 - 0.05, -2 - 0.1}, x1.toDoubleArray(), 1e-15);
            NDArray x2 = hb.step(x1, g2);                      // b = 0.9 g1 + g2 = (-0.55, 2.9)
            assertArrayEquals(new double[] {0.95 + 0.055, -2.1 - 0.29}, x2.toDoubleArray(), 1e-15);
            assertThrows(IllegalArgumentException.class, () -> new HeavyBall(0.1, 1.0));
        }
    }

    @Test
    void adamMatchesAlgorithmOne() {
        try (NDManager m = NDManager.newBaseManager(); TensorAdam adam = new TensorAdam(0.01)) {
            NDArray x = m.create(new double[] {1, 2}).reshape(new Shape(1, 2));
            double[] g1 = {0.3, -4};
            double[] g2 = {-1, 2};
            NDArray x1 = adam.step(x, m.create(g1).reshape(1, 2));
            // step 1: mHat = g, vHat = g^2: x - lr g / (|g| + eps)
            double[] e1 = {1 - 0.01 * 0.3 / (0.3 + 1e-8), 2 + 0.01 * 4 / (4 + 1e-8)};
            assertArrayEquals(e1, x1.toDoubleArray(), 1e-12);
            NDArray x2 = adam.step(x1, m.create(g2).reshape(1, 2));
            double[] e2 = new double[2];
            for (int i = 0; i < 2; i++) {
                double mk = 0.9 * 0.1 * g1[i] + 0.1 * g2[i];
                double vk = 0.999 * 0.001 * g1[i] * g1[i] + 0.001 * g2[i] * g2[i];
                double mHat = mk / (1 - 0.81);
                double vHat = vk / (1 - 0.999 * 0.999);
                e2[i] = e1[i] - 0.01 * mHat / (Math.sqrt(vHat) + 1e-8);
            }
            assertArrayEquals(e2, x2.toDoubleArray(), 1e-12);
            assertThrows(IllegalArgumentException.class, () -> adam.step(x, m.zeros(new Shape(2), DataType.FLOAT64)));
        }
    }
}
