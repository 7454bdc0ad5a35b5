package org.diffinv.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.Pair;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.nn.ModelFiles;
import org.diffinv.priors.UNetEpsPrior;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The pixel prior's network exported for an independent PyTorch-eager run ({@code environment/bench/torch_eager.py}),
 * which rebuilds the same UNet in plain PyTorch, checks that it gives the kit's output on the exported input, and
 * times forward and forward + backward at the kit's batch sizes and thread counts: the reference of the target
 * "network within 1.10x of PyTorch eager". PyTorch is never a dependency of the kit; the script runs in a scratch
 * virtual environment.
 *
 * <p>Files written into the directory: {@code params.bin} (every parameter as little-endian float32, in DJL's
 * parameter order), {@code params.json} ({@code name}, {@code shape}, {@code offset} in floats, per parameter;
 * the UNet config; the time index), {@code input.bin} and {@code eps.bin} (a seeded batch of 2 inputs of shape
 * (2, C, H, W) and the kit's float32 output at {@link NetworkBench#T}).
 *
 * <p>{@link #pairs} is the comparison itself: it drives the script as a server ({@code --serve}) and times one kit
 * call and one PyTorch call per pair, back to back in alternating order ({@link PairedTiming}), so the shared
 * machine's drift cancels within a pair; separate block-wise runs of the two disagreed by up to 1.7x between runs.
 */
public final class TorchReference {

    private TorchReference() {
    }

    /** Writes the export into {@code dir} (created if absent); returns the number of parameters written. */
    public static int export(UNetEpsPrior prior, Path dir, NDManager manager) {
        try {
            Files.createDirectories(dir);
            List<Map<String, Object>> index = new ArrayList<>();
            long offset = 0;
            List<float[]> values = new ArrayList<>();
            for (Pair<String, Parameter> p : prior.network().getParameters()) {
                NDArray a = p.getValue().getArray();
                float[] v = a.toType(DataType.FLOAT32, false).toFloatArray();
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("name", p.getKey());
                e.put("shape", a.getShape().getShape());
                e.put("offset", offset);
                index.add(e);
                values.add(v);
                offset += v.length;
            }
            write(dir.resolve("params.bin"), values);
            var cfg = prior.network().config();
            Shape shape = new Shape(2, cfg.inChannels(), cfg.imageSize(), cfg.imageSize());
            try (NDManager s = manager.newSubManager()) {
                NDArray x = NoiseSource.seeded(11).normal(s, shape, DataType.FLOAT32);
                NDArray eps = prior.eps(x, NetworkBench.T);
                write(dir.resolve("input.bin"), List.of(x.toFloatArray()));
                write(dir.resolve("eps.bin"), List.of(eps.toFloatArray()));
            }
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put("prior", prior.toString());
            meta.put("t", NetworkBench.T);
            meta.put("inputShape", shape.getShape());
            meta.put("config", cfg);
            meta.put("parameters", index);
            Files.writeString(dir.resolve("params.json"), ModelFiles.GSON.toJson(meta) + "\n");
            return index.size();
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the PyTorch export to " + dir, e);
        }
    }

    /** The target of issue 14: the kit's network within this factor of PyTorch eager. */
    public static final double TARGET = 1.10;

    /** The other side of a paired comparison: one timed call of the same network, in nanoseconds. */
    public interface Reference extends AutoCloseable {
        /** The nanoseconds of one {@code call} at {@code batch} on {@code threads} threads. */
        long time(NetworkBench.Call call, int batch, int threads);

        @Override
        void close();
    }

    /**
     * Starts {@code environment/bench/torch_eager.py --serve} on the export in {@code exportDir} with the given
     * Python (one that has torch; a scratch virtual environment, never a dependency of the kit) and waits until it has
     * checked its output against the kit's and is ready. Its report lines (torch version, agreement, aten operations
     * per forward) are echoed to standard output.
     *
     * @throws IllegalArgumentException if the Python, the script or the export is missing
     * @throws IllegalStateException if the script exits or fails before it is ready, with its output
     */
    public static Reference python(Path python, Path script, Path exportDir) {
        for (Path p : new Path[] {python, script, exportDir.resolve("params.json")}) {
            if (!Files.exists(p)) {
                throw new IllegalArgumentException("the PyTorch comparison needs " + p + ", which does not exist"
                        + (p == python ? " (give --python the interpreter of a virtual environment with torch)"
                        : p == script ? "" : " (run environment/kit bench --only torch-export first)"));
            }
        }
        try {
            Process proc = new ProcessBuilder(python.toString(), script.toString(), exportDir.toString(), "--serve")
                    .redirectErrorStream(true).start();
            BufferedReader in = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8));
            PrintWriter out = new PrintWriter(proc.getOutputStream(), true, StandardCharsets.UTF_8);
            StringBuilder log = new StringBuilder();
            for (String line = in.readLine(); ; line = in.readLine()) {
                if (line == null) {
                    throw new IllegalStateException("the PyTorch reference exited before it was ready (exit "
                            + proc.waitFor() + "):\n" + log);
                }
                if (line.equals("ready")) {
                    break;
                }
                log.append(line).append('\n');
                System.out.println("[torch] " + line);
            }
            return new Reference() {
                @Override
                public long time(NetworkBench.Call call, int batch, int threads) {
                    out.println((call == NetworkBench.Call.FORWARD ? "forward" : "backward") + " " + batch + " "
                            + threads);
                    try {
                        String reply = in.readLine();
                        if (reply == null) {
                            throw new IllegalStateException("the PyTorch reference exited mid-comparison");
                        }
                        return Long.parseLong(reply.trim());
                    } catch (IOException | NumberFormatException e) {
                        throw new IllegalStateException("the PyTorch reference gave no timing: " + e.getMessage(), e);
                    }
                }

                @Override
                public void close() {
                    out.println("quit");
                    try {
                        if (!proc.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                            proc.destroy();
                        }
                    } catch (InterruptedException e) {
                        proc.destroy();
                        Thread.currentThread().interrupt();
                    }
                }
            };
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + python + " " + script, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the PyTorch reference", e);
        }
    }

    /**
     * The paired comparison: for each call, batch and thread count, {@code pairs} pairs of one kit call
     * ({@link NetworkBench#once}: fresh seeded input, timed with the closing of its scope) and one call of
     * {@code reference}, after {@code warmup} untimed pairs. Columns: call, batch, threads, kit median ms,
     * PyTorch median ms, median ratio kit/PyTorch (per pair), share kit faster, pairs, within the target.
     */
    public static Table pairs(org.diffinv.priors.EpsPrior prior, Shape single, Reference reference, int[] batches,
                              int[] threads, int warmup, int pairs, NDManager manager) {
        Table t = Table.create("the kit against PyTorch eager, paired",
                StringColumn.create("call"), IntColumn.create("batch"), IntColumn.create("threads"),
                DoubleColumn.create("kit median ms"), DoubleColumn.create("PyTorch median ms"),
                DoubleColumn.create("median ratio kit/PyTorch"), DoubleColumn.create("share kit faster"),
                IntColumn.create("pairs"), StringColumn.create("within " + TARGET + "x?"));
        int before = JniUtils.getNumThreads();
        try {
            for (NetworkBench.Call call : NetworkBench.Call.values()) {
                for (int b : batches) {
                    for (int th : threads) {
                        NetworkBench.requireCounts(b, th, warmup, pairs);
                        Shape shape = new Shape(b).addAll(single);
                        NoiseSource noise = NoiseSource.seeded(7);
                        // A = PyTorch, B = the kit: the ratio B/A is kit/PyTorch
                        PairedTiming.Result r = PairedTiming.measure(() -> reference.time(call, b, th),
                                () -> NetworkBench.once(prior, call, shape, noise, th, manager), warmup, pairs);
                        t.stringColumn("call").append(call.label());
                        t.intColumn("batch").append(b);
                        t.intColumn("threads").append(th);
                        t.doubleColumn("kit median ms").append(r.medianMsB());
                        t.doubleColumn("PyTorch median ms").append(r.medianMsA());
                        t.doubleColumn("median ratio kit/PyTorch").append(r.medianRatio());
                        t.doubleColumn("share kit faster").append(r.shareBFaster());
                        t.intColumn("pairs").append(r.pairs());
                        t.stringColumn("within " + TARGET + "x?").append(r.medianRatio() <= TARGET ? "yes" : "no");
                    }
                }
            }
        } finally {
            JniUtils.setNumThreads(before);
        }
        return t;
    }

    private static void write(Path file, List<float[]> arrays) throws IOException {
        long n = arrays.stream().mapToLong(a -> a.length).sum();
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(4 * n)).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] a : arrays) {
            b.asFloatBuffer().put(a);
            b.position(b.position() + 4 * a.length);
        }
        Files.write(file, b.array());
    }
}
