package org.diffinv.util;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.metrics.ProcessMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sub-manager-per-step helpers: what survives a step, what is freed, and misuse. */
class ScopesTest {
    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void stepKeepsOnlyTheResultAndFreesTheInputAndTemporaries() {
        NDArray x = manager.create(new double[] {1, 2, 3});
        int live = ProcessMemory.liveArrays(manager);
        for (int i = 0; i < 5; i++) {
            NDArray previous = x;
            x = Scopes.step(x, v -> v.mul(2).add(1).sub(1)); // three temporaries, one kept
            assertTrue(previous.isReleased(), "previous carried tensor freed");
            assertSame(manager, x.getManager());
            assertEquals(live, ProcessMemory.liveArrays(manager));
        }
        assertArrayEquals(new double[] {32, 64, 96}, x.toDoubleArray(), 0);
    }

    @Test
    void stepKeepingLeavesTheInputAlive() {
        NDArray x0 = manager.ones(new Shape(2), DataType.FLOAT64);
        NDArray x1 = Scopes.stepKeeping(x0, v -> v.add(1));
        assertFalse(x0.isReleased());
        assertSame(manager, x0.getManager());
        assertArrayEquals(new double[] {1, 1}, x0.toDoubleArray(), 0);
        assertArrayEquals(new double[] {2, 2}, x1.toDoubleArray(), 0);
        assertSame(x0, Scopes.stepKeeping(x0, v -> v));
        assertFalse(x0.isReleased());
        assertSame(x0, Scopes.step(x0, v -> v));
        assertFalse(x0.isReleased());
    }

    @Test
    void listStepCarriesSeveralTensors() {
        NDList state = new NDList(manager.ones(new Shape(2), DataType.FLOAT64), manager.zeros(new Shape(2),
                DataType.FLOAT64));
        int live = ProcessMemory.liveArrays(manager);
        for (int i = 0; i < 3; i++) {
            state = Scopes.step(state, s -> new NDList(s.get(0).mul(3), s.get(1).add(s.get(0))));
            assertEquals(live, ProcessMemory.liveArrays(manager));
        }
        assertArrayEquals(new double[] {27, 27}, state.get(0).toDoubleArray(), 0);
        assertArrayEquals(new double[] {13, 13}, state.get(1).toDoubleArray(), 0); // 1 + 3 + 9
    }

    @Test
    void computeClosesItsScratchManager() {
        int live = ProcessMemory.liveArrays(manager);
        double sum = Scopes.compute(manager, s -> s.arange(10).toType(DataType.FLOAT64, false).sum().getDouble());
        assertEquals(45, sum, 0);
        assertEquals(live, ProcessMemory.liveArrays(manager));
    }

    @Test
    void misuseIsRejected() {
        NDArray x = manager.ones(new Shape(2));
        assertThrows(IllegalArgumentException.class, () -> Scopes.step(x, v -> null));
        assertThrows(IllegalArgumentException.class, () -> Scopes.step((NDArray) null, v -> v));
        assertThrows(IllegalArgumentException.class, () -> Scopes.step(new NDList(), l -> l));
        try (NDManager other = NDManager.newBaseManager()) {
            NDList mixed = new NDList(manager.ones(new Shape(1)), other.ones(new Shape(1)));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> Scopes.step(mixed, l -> l)).getMessage()
                    .contains("share one manager"));
        }
        NDManager closed = NDManager.newBaseManager();
        NDArray orphan = closed.ones(new Shape(1));
        closed.close();
        assertThrows(IllegalArgumentException.class, () -> Scopes.step(orphan, v -> v));
    }
}
