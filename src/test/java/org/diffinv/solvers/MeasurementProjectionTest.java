package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.linalg.CgOptions;
import org.diffinv.operators.MotionBlur;
import org.diffinv.operators.MotionKernels;
import org.diffinv.operators.SuperResolution;
import org.diffinv.operators.SvdOperator;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The projection fragment in FLOAT64: the projection lands on {A x = target} and moves x only in the row space (the
 * closest such point); the noised measurement is y itself at abar = 1, and otherwise its noise lies in range(A).
 */
class MeasurementProjectionTest {

    @Test
    void projectionIsTheClosestPointWithTheTargetMeasurement() {
        try (NDManager m = NDManager.newBaseManager()) {
            SvdOperator a = SuperResolution.averagePool(2);
            NDArray x = NoiseSource.seeded(1).normal(m, new Shape(2, 1, 8, 8), DataType.FLOAT64);
            NDArray target = NoiseSource.seeded(2).normal(m, a.outputShape(x.getShape()), DataType.FLOAT64);
            NDArray p = MeasurementProjection.project(a, x, target, CgOptions.EXACT);
            assertArrayEquals(target.toDoubleArray(), a.apply(p).toDoubleArray(), 1e-12);
            NDArray move = p.sub(x);
            assertArrayEquals(move.toDoubleArray(), a.project(move).toDoubleArray(), 1e-12, "moved outside the row space");

            // the linear tier (CG pseudo-inverse) reaches the same set to CG's accuracy
            MotionBlur blur = new MotionBlur(MotionKernels.generate(3, 0.5, NoiseSource.seeded(3)));
            NDArray t2 = NoiseSource.seeded(4).normal(m, blur.outputShape(x.getShape()), DataType.FLOAT64);
            NDArray q = MeasurementProjection.project(blur, x, t2, CgOptions.EXACT);
            double rel = blur.apply(q).sub(t2).norm().getDouble() / t2.norm().getDouble();
            assertTrue(rel < 1e-6, "relative residual " + rel);
        }
    }

    @Test
    void noisedMeasurementIsYAtTheEndAndNoisedInRangeBefore() {
        try (NDManager m = NDManager.newBaseManager()) {
            NoiseSchedule schedule = NoiseSchedule.ddpmLinear();
            SvdOperator a = SuperResolution.averagePool(2);
            NDArray like = m.zeros(new Shape(1, 1, 8, 8), DataType.FLOAT64);
            NDArray y = NoiseSource.seeded(5).normal(m, a.outputShape(like.getShape()), DataType.FLOAT64);
            assertArrayEquals(y.toDoubleArray(), MeasurementProjection.noisedMeasurement(a, y, schedule, -1, like,
                    NoiseSource.seeded(6)).toDoubleArray(), 0.0);
            int t = 500;
            NDArray yt = MeasurementProjection.noisedMeasurement(a, y, schedule, t, like, NoiseSource.seeded(6));
            NDArray expected = a.apply(NoiseSource.seeded(6).normalLike(like)).mul(Math.sqrt(1 - schedule.alphaBar(t)))
                    .add(y.mul(Math.sqrt(schedule.alphaBar(t))));
            assertArrayEquals(expected.toDoubleArray(), yt.toDoubleArray(), 1e-12);
            assertEquals(y.getShape(), yt.getShape());
        }
    }
}
