package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.diffinv.metrics.ProcessMemory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * DCDP's data-consistency half ({@link DcdpRounds#dataConsistency}) against the heavy-ball recurrence on plain
 * doubles, in double precision: on {@code f(x) = 1/2 ||x - a||^2} (gradient {@code x - a}), {@code tau} steps of
 * {@code b <- mu b + grad f(x)}, {@code x <- x - lr b} from a zero buffer, with DCDP's momentum 0.9.
 */
class DcdpRoundsTest {

    @Test
    void dataConsistencyIsTauHeavyBallStepsWithAFreshBuffer() {
        double[] a = {0.3, -1.2, 2.0};
        double[] start = {1.0, 0.0, -0.5};
        double lr = 0.05;
        int tau = 7;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray target = m.create(a);
            NDArray x = m.create(start);
            int before = ProcessMemory.liveArrays(m);
            NDArray out = DcdpRounds.dataConsistency(x, xs -> xs.sub(target), tau, lr);
            assertEquals(before + 1, ProcessMemory.liveArrays(m), "only the result survives (buffer released)");
            assertArrayEquals(start, x.toDoubleArray(), 0.0, "the input is not modified");
            double[] expected = new double[a.length];
            for (int i = 0; i < a.length; i++) {
                double xi = start[i];
                double b = 0;
                for (int s = 0; s < tau; s++) {
                    b = DcdpRounds.MOMENTUM * b + (xi - a[i]);
                    xi -= lr * b;
                }
                expected[i] = xi;
            }
            assertArrayEquals(expected, out.toDoubleArray(), 1e-13);
            // a second round starts from a fresh buffer: the same call gives the same answer
            NDArray again = DcdpRounds.dataConsistency(x, xs -> xs.sub(target), tau, lr);
            assertArrayEquals(expected, again.toDoubleArray(), 1e-13, "no momentum carried between rounds");
        }
    }
}
