package org.diffinv.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.util.Scalars;
import org.diffinv.util.ThreadPolicy;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.util.function.BiFunction;

/**
 * What one tensor-by-number op costs: DJL's own {@code x.mul(0.9)} (a fresh 0-dim FLOAT64 wrapper per call and a
 * mixed-type op) against {@link Scalars#mul} (a cached engine-owned 0-dim tensor of {@code x}'s type), likewise
 * {@code add}, on an image batch of {@code (batch, 1, 32, 32)} at the thread count a solve of that batch runs at
 * ({@link ThreadPolicy#threadsFor} applied to the configured count). Solvers' inner loops make
 * several such ops per step, so at batch 1 their cost is of the order of the arithmetic around them
 * ({@code environment/kit bench --only scalars}).
 */
final class ScalarBench {

    /** Ops per timed run: a single op is too short for the clock. */
    static final int OPS = 200;

    private ScalarBench() {
    }

    /**
     * One row per (op, batch): microseconds per op, DJL and kit, and their ratio, each batch at the thread count the
     * policy gives it from {@code configured}; the engine's thread count is restored afterwards.
     */
    static Table table(int[] batches, int configured, int warmup, int repeat, NDManager manager) {
        Table t = Table.create("tensor-by-number ops (us per op, " + OPS + " ops per timed run)",
                StringColumn.create("op"), IntColumn.create("batch"), IntColumn.create("threads"),
                DoubleColumn.create("djl us"), DoubleColumn.create("kit us"), DoubleColumn.create("djl / kit"));
        int before = JniUtils.getNumThreads();
        try (ThreadPolicy.Scope explicit = ThreadPolicy.suspend()) {
            for (int b : batches) {
                int threads = ThreadPolicy.enabled() ? ThreadPolicy.threadsFor(b, configured) : configured;
                JniUtils.setNumThreads(threads);
                row(t, "mul 0.9", b, threads, warmup, repeat, manager, NDArray::mul, Scalars::mul);
                row(t, "add 0.9", b, threads, warmup, repeat, manager, NDArray::add, Scalars::add);
            }
        } finally {
            JniUtils.setNumThreads(before);
        }
        return t;
    }

    private static void row(Table t, String name, int batch, int threads, int warmup, int repeat, NDManager manager,
                            BiFunction<NDArray, Number, NDArray> djl, BiFunction<NDArray, Number, NDArray> kit) {
        double djlUs = time(batch, warmup, repeat, manager, djl);
        double kitUs = time(batch, warmup, repeat, manager, kit);
        t.stringColumn("op").append(name);
        t.intColumn("batch").append(batch);
        t.intColumn("threads").append(threads);
        t.doubleColumn("djl us").append(djlUs);
        t.doubleColumn("kit us").append(kitUs);
        t.doubleColumn("djl / kit").append(djlUs / kitUs);
    }

    private static double time(int batch, int warmup, int repeat, NDManager manager,
                               BiFunction<NDArray, Number, NDArray> op) {
        return Timer.medianMs(warmup, repeat, manager, s -> {
            NDArray x = NoiseSource.seeded(batch).normal(s, new Shape(batch, 1, 32, 32), DataType.FLOAT32);
            return () -> {
                for (int i = 0; i < OPS; i++) {
                    op.apply(x, 0.9).close();
                }
            };
        }) * 1e3 / OPS;
    }
}
