package org.diffinv.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The TorchScript writer and module on their own: a hand-written module, its weights by reference, bad input. */
class TorchScriptTest {

    @Test
    void aWrittenModuleComputesWhatItSaysAndReadsItsWeightsByReference() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.create(new float[] {2f, -1f, 0.5f});
            TorchScript.Writer writer = new TorchScript.Writer("x");
            String y = writer.let("torch.mul(" + writer.silu("x") + ", " + writer.weight(w) + ")");
            try (TorchScript module = writer.build(m, y)) {
                assertEquals(1, module.weightCount());
                assertTrue(module.source().contains("torch.silu(x)"), module.source());
                NDArray x = m.create(new float[] {-1f, 0f, 3f});
                NDArray expected = x.mul(x.getNDArrayInternal().sigmoid()).mul(w);
                assertEquals(0, module.forward(m, x).sub(expected).abs().max().getFloat(), 1e-6);
                w.muli(2); // the module reads the weight's storage, not a copy
                assertEquals(0, module.forward(m, x).sub(expected.mul(2)).abs().max().getFloat(), 1e-6);
                assertTrue(module.reads(w));
                assertTrue(!module.reads(x));
            }
        }
    }

    @Test
    void badArgumentsAreRefusedByName() {
        IllegalArgumentException name = assertThrows(IllegalArgumentException.class,
                () -> new TorchScript.Writer("X-ray"));
        assertTrue(name.getMessage().contains("X-ray"), name.getMessage());
        IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                () -> TorchScript.Writer.number(Double.NaN));
        assertTrue(nan.getMessage().contains("NaN"), nan.getMessage());
        try (NDManager m = NDManager.newBaseManager()) {
            TorchScript.Writer writer = new TorchScript.Writer("x");
            try (TorchScript module = writer.build(m, writer.silu("x"))) {
                // the wrong number of inputs is the engine's error, with the module's declared signature in it
                RuntimeException e = assertThrows(RuntimeException.class,
                        () -> module.forward(m, m.zeros(new Shape(2)), m.zeros(new Shape(2))));
                assertTrue(e.getMessage().contains("forward"), e.getMessage());
            }
        }
    }

    @Test
    void theEngineSettingIsParsedStrictlyAndRestored() {
        assertEquals(NetworkEngine.BLOCKS, NetworkEngine.parse(" Blocks ", "test"));
        assertEquals(NetworkEngine.TORCHSCRIPT, NetworkEngine.parse("torchscript", "test"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NetworkEngine.parse("fast", "DIFFINV_NETWORK"));
        assertTrue(e.getMessage().contains("DIFFINV_NETWORK") && e.getMessage().contains("'fast'"), e.getMessage());
        NetworkEngine before = NetworkEngine.current();
        try (NetworkEngine.Restore r = NetworkEngine.use(NetworkEngine.BLOCKS)) {
            assertEquals(NetworkEngine.BLOCKS, NetworkEngine.current());
        }
        assertEquals(before, NetworkEngine.current());
        assertThrows(IllegalArgumentException.class, () -> NetworkEngine.use(null));
    }
}
