package org.diffinv.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.nn.NetworkEngine;
import org.diffinv.priors.EpsPrior;
import org.diffinv.solvers.Guidance;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.util.function.Function;


/**
 * How fast a noise-prediction network runs: the median wall time of one evaluation, for
 * <ul>
 *   <li>{@link Call#FORWARD}: {@code eps(x_t, t)}, what a DDIM-type step costs;</li>
 *   <li>{@link Call#FORWARD_BACKWARD}: {@code grad_x <eps(x, t), v>} through the kit's one gradient fragment
 *   ({@link Guidance#gradient}), what a DPS-type step costs (one VJP to {@code x_t}).</li>
 * </ul>
 * Each repeat runs in a fresh sub-manager that is closed inside the timed region (freeing the temporaries is part of
 * what a solver step pays); inputs are made outside it. Times are medians over {@code repeat} runs after
 * {@code warmup} untimed ones, at the torch intra-op thread count given (set with {@code JniUtils.setNumThreads} and
 * restored afterwards).
 */
public final class NetworkBench {

    /** What is timed. */
    public enum Call {
        /** One forward pass. */
        FORWARD("forward"),
        /** One forward pass and the backward pass to the input (one VJP). */
        FORWARD_BACKWARD("forward + backward to x_t");

        private final String label;

        Call(String label) {
            this.label = label;
        }

        /** The call in words, as in the tables. */
        public String label() {
            return label;
        }
    }

    /**
     * One measurement.
     *
     * @param call what was timed
     * @param batch the batch size N of {@code x_t (N, C, H, W)}
     * @param threads torch intra-op threads
     * @param medianMs median milliseconds per call
     * @param minMs fastest call, milliseconds
     * @param repeats timed calls
     */
    public record Timing(Call call, int batch, int threads, double medianMs, double minMs, int repeats) {
    }

    /** The time index the networks are evaluated at (mid-trajectory; the cost does not depend on it). */
    public static final int T = 500;

    private NetworkBench() {
    }

    /** Median time of {@code call} on {@code prior} for a batch of {@code batch} inputs of shape {@code single}. */
    public static Timing time(EpsPrior prior, Shape single, Call call, int batch, int threads, int warmup, int repeat,
                              NDManager manager) {
        requireCounts(batch, threads, warmup, repeat);
        int before = JniUtils.getNumThreads();
        JniUtils.setNumThreads(threads);
        try {
            Shape shape = new Shape(batch).addAll(single);
            NoiseSource noise = NoiseSource.seeded(7);
            long[] nanos = Timer.nanos(warmup, repeat, manager, s -> {
                NDArray x = noise.normal(s, shape, DataType.FLOAT32);
                NDArray v = call == Call.FORWARD ? null : noise.normal(s, shape, DataType.FLOAT32);
                return () -> evaluate(prior, call, x, v);
            });
            return new Timing(call, batch, threads, Timer.median(nanos) / 1e6, nanos[0] / 1e6, repeat);
        } finally {
            JniUtils.setNumThreads(before);
        }
    }

    /** One evaluation of {@code call}; the result is read back (as a solver step would) and dropped. */
    static void evaluate(EpsPrior prior, Call call, NDArray x, NDArray v) {
        evaluate(leaf -> prior.eps(leaf, T), call, x, v);
    }

    /** The engine operations of one {@code call} at batch {@code batch} (after one untimed warm-up call). */
    public static OpProfile profile(EpsPrior prior, Shape single, Call call, int batch, NDManager manager) {
        Shape shape = new Shape(batch).addAll(single);
        NoiseSource noise = NoiseSource.seeded(7);
        try (NDManager s = manager.newSubManager()) {
            NDArray x = noise.normal(s, shape, DataType.FLOAT32);
            NDArray v = noise.normal(s, shape, DataType.FLOAT32);
            evaluate(prior, call, x, v);
            return OpProfile.of(() -> evaluate(prior, call, x, v));
        }
    }

    /**
     * The network table: every (call, batch, threads) combination, with the top-level engine operations of one
     * call at each batch size (columns: call, batch, threads, median ms, min ms, repeats, engine ops).
     */
    public static Table table(EpsPrior prior, Shape single, int[] batches, int[] threads, int warmup, int repeat,
                              NDManager manager) {
        Table t = Table.create("network: " + prior,
                StringColumn.create("call"), IntColumn.create("batch"), IntColumn.create("threads"),
                DoubleColumn.create("median ms"), DoubleColumn.create("min ms"), IntColumn.create("repeats"),
                IntColumn.create("engine ops"));
        for (Call call : Call.values()) {
            for (int b : batches) {
                int ops = profile(prior, single, call, b, manager).topLevel();
                for (int th : threads) {
                    Timing tm = time(prior, single, call, b, th, warmup, repeat, manager);
                    t.stringColumn("call").append(call.label());
                    t.intColumn("batch").append(b);
                    t.intColumn("threads").append(th);
                    t.doubleColumn("median ms").append(tm.medianMs());
                    t.doubleColumn("min ms").append(tm.minMs());
                    t.intColumn("repeats").append(tm.repeats());
                    t.intColumn("engine ops").append(ops);
                }
            }
        }
        return t;
    }

    /**
     * A paired comparison of two torch thread counts on one call and batch size, for choosing a thread policy on a
     * shared machine whose speed drifts by 10-40% over minutes: each of {@code pairs} pairs times one call at
     * {@code threadsA} and one at {@code threadsB} back to back (in alternating order, so neither always runs second),
     * so drift cancels within a pair. After {@code warmup} untimed pairs.
     *
     * @return the medians at each count, the median of the per-pair ratios {@code t_B / t_A}, and the share of pairs
     *     in which {@code threadsB} was faster
     */
    public static ThreadPair threadPair(EpsPrior prior, Shape single, Call call, int batch, int threadsA,
                                        int threadsB, int warmup, int pairs, NDManager manager) {
        requireCounts(batch, threadsA, warmup, pairs);
        requireCounts(batch, threadsB, warmup, pairs);
        int before = JniUtils.getNumThreads();
        Shape shape = new Shape(batch).addAll(single);
        NoiseSource noise = NoiseSource.seeded(7);
        try {
            PairedTiming.Result r = PairedTiming.measure(() -> once(prior, call, shape, noise, threadsA, manager),
                    () -> once(prior, call, shape, noise, threadsB, manager), warmup, pairs);
            return new ThreadPair(call, batch, threadsA, threadsB, r.medianMsA(), r.medianMsB(), r.medianRatio(),
                    r.shareBFaster(), r.pairs());
        } finally {
            JniUtils.setNumThreads(before);
        }
    }

    /**
     * The outcome of {@link #threadPair}.
     *
     * @param medianRatio the median over pairs of {@code t_B / t_A} (below 1: {@code threadsB} is faster)
     * @param shareBFaster the share of pairs in which {@code threadsB} was faster
     */
    public record ThreadPair(Call call, int batch, int threadsA, int threadsB, double medianMsA, double medianMsB,
                             double medianRatio, double shareBFaster, int pairs) {
    }

    /** One timed call at {@code threads} in a fresh sub-manager closed inside the timed region; nanoseconds. */
    static long once(EpsPrior prior, Call call, Shape shape, NoiseSource noise, int threads, NDManager manager) {
        return once(x -> prior.eps(x, T), call, shape, shape, noise, threads, NetworkEngine.current(), manager);
    }

    /**
     * The thread-policy table: {@link #threadPair} for every call and batch size, 1 thread against
     * {@code threads} (columns: call, batch, threads A, threads B, median ms A, median ms B, median ratio B/A,
     * share B faster, pairs).
     */
    public static Table threadTable(EpsPrior prior, Shape single, int[] batches, int threads, int warmup, int pairs,
                                    NDManager manager) {
        Table t = Table.create("threads: 1 against " + threads + ", paired",
                StringColumn.create("call"), IntColumn.create("batch"), IntColumn.create("threads A"),
                IntColumn.create("threads B"), DoubleColumn.create("median ms A"), DoubleColumn.create("median ms B"),
                DoubleColumn.create("median ratio B/A"), DoubleColumn.create("share B faster"),
                IntColumn.create("pairs"));
        for (Call call : Call.values()) {
            for (int b : batches) {
                ThreadPair r = threadPair(prior, single, call, b, 1, threads, warmup, pairs, manager);
                t.stringColumn("call").append(call.label());
                t.intColumn("batch").append(b);
                t.intColumn("threads A").append(r.threadsA());
                t.intColumn("threads B").append(r.threadsB());
                t.doubleColumn("median ms A").append(r.medianMsA());
                t.doubleColumn("median ms B").append(r.medianMsB());
                t.doubleColumn("median ratio B/A").append(r.medianRatio());
                t.doubleColumn("share B faster").append(r.shareBFaster());
                t.intColumn("pairs").append(r.pairs());
            }
        }
        return t;
    }

    /**
     * A network compared in the engine table: its name, the shape of one input sample (without the batch axis) and
     * the function {@code x -> network(x)} (time index, prompt and so on fixed).
     */
    public record Network(String name, Shape single, Function<NDArray, NDArray> f) {
    }

    /**
     * The engine table: each network's {@link NetworkEngine#TORCHSCRIPT} module against DJL's
     * {@link NetworkEngine#BLOCKS}, forward and forward + backward to the input, timed in pairs back to back in
     * alternating order ({@link PairedTiming}) at every batch size and thread count, with the top-level engine
     * operations of one call on each engine (columns: network, call, batch, threads, blocks ms, torchscript ms,
     * median ratio torchscript/blocks, share torchscript faster, pairs, engine ops blocks, engine ops torchscript).
     */
    public static Table engineTable(java.util.List<Network> networks, int[] batches, int[] threads, int warmup,
                                    int pairs, NDManager manager) {
        Table t = Table.create("network engines: TorchScript module against DJL blocks, paired",
                StringColumn.create("network"), StringColumn.create("call"), IntColumn.create("batch"),
                IntColumn.create("threads"), DoubleColumn.create("blocks ms"), DoubleColumn.create("torchscript ms"),
                DoubleColumn.create("median ratio torchscript/blocks"), DoubleColumn.create("share torchscript faster"),
                IntColumn.create("pairs"), IntColumn.create("engine ops blocks"),
                IntColumn.create("engine ops torchscript"));
        int before = JniUtils.getNumThreads();
        try {
            for (Network net : networks) {
                for (Call call : Call.values()) {
                    for (int b : batches) {
                        Shape shape = new Shape(b).addAll(net.single());
                        Shape outShape;
                        try (NDManager s = manager.newSubManager()) {
                            outShape = net.f().apply(s.zeros(shape)).getShape();
                        }
                        int[] ops = new int[2];
                        for (NetworkEngine e : NetworkEngine.values()) {
                            try (NetworkEngine.Restore r = NetworkEngine.use(e); NDManager s = manager.newSubManager()) {
                                NoiseSource noise = NoiseSource.seeded(7);
                                NDArray x = noise.normal(s, shape, DataType.FLOAT32);
                                NDArray v = call == Call.FORWARD ? null : noise.normal(s, outShape, DataType.FLOAT32);
                                evaluate(net.f(), call, x, v);
                                ops[e.ordinal()] = OpProfile.of(() -> evaluate(net.f(), call, x, v)).topLevel();
                            }
                        }
                        for (int th : threads) {
                            requireCounts(b, th, warmup, pairs);
                            NoiseSource noise = NoiseSource.seeded(7);
                            PairedTiming.Result r = PairedTiming.measure(
                                    () -> once(net.f(), call, shape, outShape, noise, th, NetworkEngine.BLOCKS,
                                            manager),
                                    () -> once(net.f(), call, shape, outShape, noise, th, NetworkEngine.TORCHSCRIPT,
                                            manager),
                                    warmup, pairs);
                            t.stringColumn("network").append(net.name());
                            t.stringColumn("call").append(call.label());
                            t.intColumn("batch").append(b);
                            t.intColumn("threads").append(th);
                            t.doubleColumn("blocks ms").append(r.medianMsA());
                            t.doubleColumn("torchscript ms").append(r.medianMsB());
                            t.doubleColumn("median ratio torchscript/blocks").append(r.medianRatio());
                            t.doubleColumn("share torchscript faster").append(r.shareBFaster());
                            t.intColumn("pairs").append(r.pairs());
                            t.intColumn("engine ops blocks").append(ops[NetworkEngine.BLOCKS.ordinal()]);
                            t.intColumn("engine ops torchscript").append(ops[NetworkEngine.TORCHSCRIPT.ordinal()]);
                        }
                    }
                }
            }
        } finally {
            JniUtils.setNumThreads(before);
        }
        return t;
    }

    /** {@link #evaluate} for a network function: {@code f(x)}, or {@code grad_x <f(x), v>}. */
    static void evaluate(Function<NDArray, NDArray> f, Call call, NDArray x, NDArray v) {
        if (call == Call.FORWARD) {
            f.apply(x);
        } else {
            Guidance.gradient(x, leaf -> f.apply(leaf).mul(v).sum());
        }
    }

    /**
     * One timed call of {@code f} on {@code engine} at {@code threads}; the input (and, for a VJP, the cotangent of
     * shape {@code outShape}) made outside the timed region; nanoseconds.
     */
    static long once(Function<NDArray, NDArray> f, Call call, Shape shape, Shape outShape, NoiseSource noise,
                     int threads, NetworkEngine engine, NDManager manager) {
        JniUtils.setNumThreads(threads);
        try (NetworkEngine.Restore r = NetworkEngine.use(engine)) {
            NDManager s = manager.newSubManager();
            NDArray x = noise.normal(s, shape, DataType.FLOAT32);
            NDArray v = call == Call.FORWARD ? null : noise.normal(s, outShape, DataType.FLOAT32);
            long t0 = System.nanoTime();
            evaluate(f, call, x, v);
            s.close();
            return System.nanoTime() - t0;
        }
    }

    static void requireCounts(int batch, int threads, int warmup, int repeat) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        if (warmup < 0) {
            throw new IllegalArgumentException("warmup must be >= 0, got " + warmup);
        }
        if (repeat < 1) {
            throw new IllegalArgumentException("repeat must be >= 1, got " + repeat);
        }
    }
}
