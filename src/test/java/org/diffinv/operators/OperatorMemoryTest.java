package org.diffinv.operators;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.diffinv.linalg.CgOptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.diffinv.operators.TestSupport.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * DJL memory discipline: every operator call leaves exactly its result on the caller's manager (no leaked
 * temporaries), so a solver loop with one sub-manager per step holds only what it carries.
 */
class OperatorMemoryTest {

    static Stream<OperatorRegistry.Config> forward() {
        return OperatorRegistry.forward();
    }

    private static int live(NDManager m) {
        return ((BaseNDManager) m).getManagedArrays().size();
    }

    private static void assertOneNewArray(NDManager m, Supplier<NDArray> call, String what) {
        int before = live(m);
        call.get();
        assertEquals(before + 1, live(m), what + " leaves only its result on the caller's manager");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("forward")
    void callsLeaveOnlyTheirResult(OperatorRegistry.Config cfg) {
        try (NDManager root = NDManager.newBaseManager(); NDManager m = root.newSubManager()) {
            Operator op = cfg.create();
            NDArray x = randn(m, cfg.inputShape(), 1).tanh().mul(0.5);
            NDArray v = randn(m, op.outputShape(cfg.inputShape()), 2);
            assertOneNewArray(m, () -> op.apply(x), "apply");
            assertOneNewArray(m, () -> op.vjp(x, v), "vjp");
            if (op instanceof LinearOperator lin) {
                assertOneNewArray(m, () -> lin.adjoint(v), "adjoint");
                assertOneNewArray(m, () -> lin.proxL2(x, v, 0.5, new CgOptions(5, 1e-6)), "proxL2");
            }
            if (op instanceof SvdOperator svd) {
                assertOneNewArray(m, () -> svd.pinv(v), "pinv");
                assertOneNewArray(m, () -> svd.project(x), "project");
                assertOneNewArray(m, () -> svd.vt(x), "vt");
                assertOneNewArray(m, () -> svd.ut(v), "ut");
                assertOneNewArray(m, () -> svd.singularValues(x), "singularValues");
            } else if (op instanceof LinearOperator lin) {
                assertOneNewArray(m, () -> lin.pinv(v, new CgOptions(5, 1e-6)), "CG pinv");
            }
        }
    }
}
