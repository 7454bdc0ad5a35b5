package org.diffinv.operators;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.diffinv.bench.OpProfile;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.diffinv.operators.TestSupport.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The engine calls of the checks every operator call pays, counted by PyTorch's profiler ({@link OpProfile}): at
 * batch 1 each call costs microseconds of dispatch whatever its size, and the linear-tier solvers' inner loops (DCDP's
 * heavy-ball steps, DAPS's Langevin steps) make thousands of operator calls per network evaluation.
 */
class EngineCallsTest {

    /** A finiteness check is one reduction, read back without indexing (DJL's {@code getFloat} adds a clone). */
    @Test
    void aFinitenessCheckIsOneEngineCall() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = randn(manager, new Shape(1, 1, 32, 32), 1).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
            Checks.requireFinite(x, "test", "x"); // warm-up
            OpProfile p = OpProfile.of(() -> Checks.requireFinite(x, "test", "x"));
            assertEquals(Map.of("sum", 1), p.byName(), p.toString());
        }
    }

    /**
     * A linear operator's VJP scans only the cotangent, once: not the point (a linear VJP does not read it) and not
     * the cotangent a second time inside the adjoint. Its other calls are the adjoint's own.
     */
    @Test
    void aSeparableOperatorsVjpScansTheCotangentOnce() {
        try (NDManager manager = NDManager.newBaseManager()) {
            LinearOperator a = SuperResolution.averagePool(4);
            NDArray x = randn(manager, new Shape(1, 1, 32, 32), 2).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
            NDArray v = randn(manager, new Shape(1, 1, 8, 8), 3).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
            a.vjp(x, v).close(); // warm-up (the factor matrices are made once)
            OpProfile vjp = OpProfile.of(() -> a.vjp(x, v).close());
            OpProfile adjoint = OpProfile.of(() -> a.adjoint(v).close());
            assertEquals(1, vjp.byName().get("sum"), vjp.toString());
            assertNull(vjp.byName().get("clone"), vjp.toString());
            assertEquals(adjoint.byName(), vjp.byName(), "the VJP is the adjoint's calls exactly");
        }
    }
}
