package org.diffinv.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.priors.EpsPrior;
import org.diffinv.priors.UNetEpsPrior;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The PyTorch comparison's two halves that run without PyTorch: the pairing and the export. */
class TorchReferenceTest {

    @Test
    void pairsAlternateTheOrderAndTakeTheMedianRatio() {
        List<String> order = new ArrayList<>();
        long[] a = {100};
        // A takes 100 ns, B 300 ns, except one outlier pair where B takes 3,000
        PairedTiming.Result r = PairedTiming.measure(() -> {
            order.add("A");
            return a[0];
        }, () -> {
            order.add("B");
            return order.size() == 8 ? 3000 : 300;
        }, 1, 5);
        assertEquals(List.of("B", "A", "A", "B", "B", "A", "A", "B", "B", "A", "A", "B"), order,
                "one warm-up pair, then five, each alternating which runs first");
        assertEquals(3.0, r.medianRatio(), 1e-12, "the median ratio ignores the outlier pair");
        assertEquals(0.0, r.shareBFaster(), 0.0);
        assertEquals(100e-6, r.medianMsA(), 1e-15);
        assertEquals(300e-6, r.medianMsB(), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> PairedTiming.measure(() -> 1, () -> 1, 0, 0));
    }

    @Test
    void theTableComparesTheKitWithTheReferenceAtEveryCallBatchAndThreadCount() {
        EpsPrior doubling = EpsPrior.of(NoiseSchedule.ddpmLinear(), (x, t) -> x.mul(2));
        List<String> asked = new ArrayList<>();
        TorchReference.Reference fake = new TorchReference.Reference() {
            @Override
            public long time(NetworkBench.Call call, int batch, int threads) {
                asked.add(call + "/" + batch + "/" + threads);
                return 1; // 1 ns: the kit is always slower
            }

            @Override
            public void close() {
            }
        };
        int before = ai.djl.pytorch.jni.JniUtils.getNumThreads();
        try (NDManager m = NDManager.newBaseManager()) {
            Table t = TorchReference.pairs(doubling, new Shape(1, 4, 4), fake, new int[] {1, 2}, new int[] {1}, 0, 3, m);
            assertEquals(4, t.rowCount(), "two calls x two batch sizes x one thread count");
            assertEquals(12, asked.size(), "three pairs per row");
            assertTrue(asked.contains("FORWARD_BACKWARD/2/1"), asked.toString());
            for (int r = 0; r < t.rowCount(); r++) {
                assertTrue(t.doubleColumn("median ratio kit/PyTorch").getDouble(r) > 1);
                assertEquals("no", t.stringColumn("within 1.1x?").get(r));
                assertEquals(0.0, t.doubleColumn("share kit faster").getDouble(r), 0.0);
            }
        }
        assertEquals(before, ai.djl.pytorch.jni.JniUtils.getNumThreads(), "thread count restored");
    }

    @Test
    void aMissingPythonIsNamed(@TempDir Path dir) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TorchReference.python(dir.resolve("no-python"), dir, dir));
        assertTrue(e.getMessage().contains("no-python") && e.getMessage().contains("--python"), e.getMessage());
    }

    @Test
    void theExportHoldsEveryParameterInOrderAndTheKitsOutput(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            UNetEpsPrior prior = UNetEpsPrior.load(m);
            int n = TorchReference.export(prior, dir, m);
            List<Pair<String, Parameter>> params = prior.network().getParameters().stream().toList();
            assertEquals(params.size(), n);
            JsonObject meta = JsonParser.parseString(Files.readString(dir.resolve("params.json"))).getAsJsonObject();
            JsonArray index = meta.getAsJsonArray("parameters");
            assertEquals(n, index.size());
            ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("params.bin"))).order(ByteOrder.LITTLE_ENDIAN);
            long total = 0;
            for (int i = 0; i < n; i++) {
                JsonObject e = index.get(i).getAsJsonObject();
                assertEquals(params.get(i).getKey(), e.get("name").getAsString());
                float[] want = params.get(i).getValue().getArray().toFloatArray();
                long offset = e.get("offset").getAsLong();
                assertEquals(total, offset, "parameters are packed in order");
                float[] got = new float[want.length];
                all.position(Math.toIntExact(4 * offset));
                all.asFloatBuffer().get(got);
                assertArrayEquals(want, got, 0f, params.get(i).getKey());
                total += want.length;
            }
            assertEquals(4 * total, Files.size(dir.resolve("params.bin")));
            float[] x = floats(dir.resolve("input.bin"));
            float[] eps = floats(dir.resolve("eps.bin"));
            float[] again = prior.eps(m.create(x, new Shape(2, 1, 32, 32)), NetworkBench.T).toFloatArray();
            assertArrayEquals(again, eps, 1e-6f, "eps.bin is the kit's output on input.bin");
        }
    }

    private static float[] floats(Path file) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[b.remaining() / 4];
        b.asFloatBuffer().get(f);
        return f;
    }
}
