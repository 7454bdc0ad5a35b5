package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.diffinv.diffusion.SamplingInterruptedException;
import org.diffinv.metrics.ProcessMemory;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ScaledAdmm} on a problem with a closed-form answer, in double precision:
 * {@code min_x 1/2 ||x - a||^2 + lambda/2 ||C x||^2} with {@code C = c I}, whose minimiser is
 * {@code a / (1 + lambda c^2)}. The x-update is {@code (a + rho c v) / (1 + rho c^2)}, the z-update (the prox of
 * {@code lambda/2 ||z||^2} at {@code 1/rho}) is {@code rho w / (lambda + rho)}.
 */
class ScaledAdmmTest {

    private static final double LAMBDA = 0.7;
    private static final double RHO = 1.3;
    private static final double C = 2.0;
    private static final double[] A = {1.0, -2.0, 0.5, 3.0};

    private static ScaledAdmm.Steps quadratic(NDArray a) {
        return new ScaledAdmm.Steps() {
            @Override
            public NDArray xUpdate(NDArray xPrev, NDArray v, int k) {
                // v first: DJL puts a result on its first operand's manager, and v lives in the iteration's scope
                return v.mul(RHO * C).add(a).div(1 + RHO * C * C);
            }

            @Override
            public NDArray split(NDArray x) {
                return x.mul(C);
            }

            @Override
            public NDArray zUpdate(NDArray w, int k) {
                return w.mul(RHO / (LAMBDA + RHO));
            }
        };
    }

    /** The same iteration on plain doubles, one coordinate. */
    private static double reference(double a, double x0, int iterations) {
        double x = x0;
        double z = C * x0;
        double u = 0;
        for (int k = 0; k < iterations; k++) {
            x = (a + RHO * C * (z - u)) / (1 + RHO * C * C);
            double w = C * x + u;
            z = RHO * w / (LAMBDA + RHO);
            u = w - z;
        }
        return x;
    }

    @Test
    void iteratesAsTheScaledFormAndConvergesToTheMinimiser() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(A);
            NDArray x0 = m.zeros(a.getShape(), a.getDataType());
            int before = ProcessMemory.liveArrays(m);
            List<Integer> seen = new ArrayList<>();
            NDArray x5 = ScaledAdmm.run(x0, quadratic(a), 5, seen::add);
            assertEquals(List.of(0, 1, 2, 3, 4), seen, "afterIteration sees every k in order");
            assertEquals(before + 1, ProcessMemory.liveArrays(m), "only the result survives the run");
            double[] expected5 = new double[A.length];
            double[] minimiser = new double[A.length];
            for (int i = 0; i < A.length; i++) {
                expected5[i] = reference(A[i], 0, 5);
                minimiser[i] = A[i] / (1 + LAMBDA * C * C);
            }
            assertArrayEquals(expected5, x5.toDoubleArray(), 1e-13, "five iterations of the scaled form");
            assertTrue(Math.abs(expected5[0] - minimiser[0]) > 1e-3, "five iterations have not converged yet");
            NDArray x300 = ScaledAdmm.run(x0, quadratic(a), 300, k -> { });
            assertArrayEquals(minimiser, x300.toDoubleArray(), 1e-10, "ADMM's fixed point is the minimiser");
        }
    }

    @Test
    void rejectsZeroIterationsAndStopsWhenInterrupted() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(A);
            IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                    () -> ScaledAdmm.run(a, quadratic(a), 0, k -> { }));
            assertTrue(none.getMessage().contains("got 0"), none.getMessage());
            int before = ProcessMemory.liveArrays(m);
            SamplingInterruptedException stopped = assertThrows(SamplingInterruptedException.class,
                    () -> ScaledAdmm.run(a, quadratic(a), 10, k -> {
                        if (k == 2) {
                            Thread.currentThread().interrupt();
                        }
                    }));
            assertTrue(Thread.interrupted(), "the interrupt flag is left set for the caller");
            assertEquals(3, stopped.completedSteps());
            assertEquals(before, ProcessMemory.liveArrays(m), "an interrupted run releases its state");
        }
    }
}
