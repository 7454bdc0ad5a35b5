package org.diffinv.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.JniUtils;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A kit network's forward pass as one TorchScript module, run by the engine's TorchScript interpreter in a
 * single engine call instead of one JNI call per operation (issue 14: the network at PyTorch-eager speed).
 *
 * <p>Why: DJL 0.32 exposes no fused {@code group_norm} or {@code silu}, so the block path spends five engine calls
 * per group norm and two per SiLU, and every call pays tens of microseconds of JNI and bookkeeping at batch 1. The
 * TorchScript interpreter calls the same ATen operations PyTorch eager does ({@code group_norm}, {@code silu},
 * {@code conv2d}, {@code linear}) from C++. The module is written by the kit itself at run time, from the block
 * structure ({@link Writer}: each block emits its own operations, next to its DJL forward), packed as a TorchScript
 * archive in memory and loaded by DJL's {@link JniUtils#loadModule(PtNDManager, java.io.InputStream, boolean,
 * boolean)}; nothing is downloaded and no Python is involved. The weights are not copied: the module takes them
 * as a list argument made once from the block's own parameter arrays, so it reads the same storage.
 *
 * <p>Gradients: the module runs with the engine's autograd enabled exactly when the caller records (inside a
 * gradient collector), so {@code d eps / d x_t} flows through it as through the blocks, and so do the weights'
 * gradients when the weights require them (training: the module reads the parameter arrays themselves, so their
 * gradients accumulate where DJL's optimisers read them). Values agree with the block path to float rounding (the
 * fused kernels sum in another order; the tests hold every shipped network to 1e-5).
 *
 * <p>The call goes through DJL's package-private {@code PyTorchLibrary.moduleRunMethod} (found by reflection when
 * this class loads, with an error naming it if a DJL version moved it), because DJL's public
 * {@code IValueUtils.runMethod} runs modules with autograd off.
 *
 * <p>The interpreter runs without graph optimisation ({@code ai.djl.pytorch.graph_optimizer=false}, the kit's
 * setting): each call executes the written graph as is, with no profiling runs or re-specialisation per shape.
 */
public final class TorchScript implements AutoCloseable {
    private static final MethodHandle RUN_METHOD;
    private static final Constructor<IValue> IVALUE;
    private static final Object LIB;

    static {
        try {
            Class<?> lib = Class.forName("ai.djl.pytorch.jni.PyTorchLibrary");
            java.lang.reflect.Field f = lib.getDeclaredField("LIB");
            f.setAccessible(true);
            LIB = f.get(null);
            Method run = lib.getDeclaredMethod("moduleRunMethod", long.class, String.class, long[].class,
                    boolean.class, boolean.class);
            run.setAccessible(true);
            RUN_METHOD = MethodHandles.lookup().unreflect(run);
            IVALUE = IValue.class.getDeclaredConstructor(long.class);
            IVALUE.setAccessible(true);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError("the DJL PyTorch engine's module call is not where DJL 0.32 "
                    + "keeps it (ai.djl.pytorch.jni.PyTorchLibrary.moduleRunMethod): " + e);
        }
    }

    private final PtSymbolBlock module;
    private final IValue weights;
    private final List<NDArray> weightArrays;
    private final String source;

    private TorchScript(PtSymbolBlock module, IValue weights, List<NDArray> weightArrays, String source) {
        this.module = module;
        this.weights = weights;
        this.weightArrays = weightArrays;
        this.source = source;
    }

    /** The TorchScript source of the module's {@code forward} (for inspection and the tests). */
    public String source() {
        return source;
    }

    /** How many weight arrays the module reads. */
    public int weightCount() {
        return weightArrays.size();
    }

    /**
     * Whether the module reads {@code array} and none of its weights was released: a block that replaces its
     * parameters replaces them all, so one of them tells.
     */
    boolean reads(NDArray array) {
        boolean found = false;
        for (NDArray a : weightArrays) {
            if (a.isReleased()) {
                return false;
            }
            found |= a == array;
        }
        return found;
    }

    /** Whether {@link #close} has run. */
    boolean isClosed() {
        return closed;
    }

    /**
     * Runs the module on {@code inputs} (tensors, in the order of the written {@code forward}'s arguments before
     * the weights) and returns its single tensor output on {@code out}'s manager. One engine call; autograd records
     * when the caller does.
     */
    public NDArray forward(NDManager out, NDArray... inputs) {
        return run(out, weights, inputs, r -> r.toTensor((PtNDManager) out));
    }

    private <T> T run(NDManager out, IValue list, NDArray[] inputs, java.util.function.Function<IValue, T> result) {
        IValue[] in = new IValue[inputs.length];
        long[] handles = new long[inputs.length + 1];
        try {
            for (int i = 0; i < inputs.length; i++) {
                in[i] = IValue.from((PtNDArray) inputs[i]);
                handles[i] = in[i].getHandle();
            }
            handles[inputs.length] = list.getHandle();
            long handle = (long) RUN_METHOD.invoke(LIB, module.getHandle().longValue(), "forward", handles, true,
                    false);
            try (IValue r = IVALUE.newInstance(handle)) {
                return result.apply(r);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("TorchScript module call failed: " + e, e);
        } finally {
            for (IValue v : in) {
                if (v != null) {
                    v.close();
                }
            }
        }
    }

    /**
     * Runs the module on {@code inputs} with {@code list} in place of the weights it was built with (a module written
     * without weights, whose list argument {@code w} carries per-call constants: an operator's matrices, a loop's
     * numbers as 0-dim tensors). Returns its single tensor output on {@code out}'s manager. One engine call.
     */
    public NDArray call(NDManager out, List<NDArray> list, NDArray... inputs) {
        try (IValue w = IValue.listFrom(list.stream().map(a -> (PtNDArray) a).toArray(PtNDArray[]::new))) {
            return run(out, w, inputs, r -> r.toTensor((PtNDManager) out));
        }
    }

    /**
     * {@link #call} for a module written with {@link Writer#buildList}: its list of tensor outputs, in order, on
     * {@code out}'s manager.
     */
    public NDArray[] callAll(NDManager out, List<NDArray> list, NDArray... inputs) {
        try (IValue w = IValue.listFrom(list.stream().map(a -> (PtNDArray) a).toArray(PtNDArray[]::new))) {
            return run(out, w, inputs, r -> r.toTensorArray((PtNDManager) out));
        }
    }

    private volatile boolean closed;

    /** Frees the module and its reference to the weights (idempotent; the weights themselves stay). */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            weights.close();
            module.close();
        }
    }

    /**
     * One block's module, written on first use from the block's current parameter arrays and written again if they
     * were replaced (a new {@code initialize} or {@code loadParameters}); the module lives on the parameters' manager
     * and is closed with it.
     */
    static final class Cache {
        private final java.util.function.Function<NDManager, TorchScript> writer;
        private TorchScript script;

        /** A cache of the module {@code writer} writes on a given manager. */
        Cache(java.util.function.Function<NDManager, TorchScript> writer) {
            this.writer = writer;
        }

        /** The module, current for the block whose parameter {@code anyWeight} is one of the module's weights. */
        synchronized TorchScript get(NDArray anyWeight) {
            TorchScript s = script;
            if (s != null && !s.isClosed() && s.reads(anyWeight)) {
                return s;
            }
            if (s != null) {
                s.close(); // written for arrays since replaced: drop its references to them now
            }
            NDManager m = anyWeight.getManager();
            s = writer.apply(m);
            m.attachInternal("torchscript-" + java.util.UUID.randomUUID(), s);
            script = s;
            return s;
        }
    }

    /**
     * Builds a module's {@code forward} from emitted statements. Blocks call {@link #conv2d}, {@link #linear},
     * {@link #groupNorm}, {@link #silu} and {@link #let}, each returning the name of the variable holding the
     * result; weights are registered in order with {@link #weight} and read from the module's last argument
     * {@code w}.
     */
    public static final class Writer {
        private final StringBuilder body = new StringBuilder();
        private final List<NDArray> weights = new ArrayList<>();
        private final List<String> arguments = new ArrayList<>();
        private int next;

        /** A writer for a {@code forward} taking the tensors {@code arguments} (then the weights list). */
        public Writer(String... arguments) {
            for (String a : arguments) {
                if (!a.matches("[a-z][a-z0-9_]*")) {
                    throw new IllegalArgumentException("argument name must be lower-case identifier, got " + a);
                }
                this.arguments.add(a);
            }
        }

        /** The expression reading {@code array} (registered as the next weight). */
        public String weight(NDArray array) {
            weights.add(array);
            return "w[" + (weights.size() - 1) + "]";
        }

        /** The expression reading parameter {@code p}'s array. */
        public String weight(Parameter p) {
            return weight(p.getArray());
        }

        /** Assigns {@code expression} to a fresh variable and returns its name. */
        public String let(String expression) {
            String v = "v" + next++;
            body.append("    ").append(v).append(" = ").append(expression).append('\n');
            return v;
        }

        /**
         * Appends the statement {@code line} to {@code forward}'s body, indented {@code depth} levels below it (loops
         * and branches: {@code line(0, "for s in range(10):")}, then {@code line(1, ...)}). Returns this.
         */
        public Writer line(int depth, String line) {
            if (depth < 0) {
                throw new IllegalArgumentException("indentation depth must be >= 0, got " + depth);
            }
            body.append("    ").append("    ".repeat(depth)).append(line).append('\n');
            return this;
        }

        /** A double literal TorchScript parses back to the same value. */
        public static String number(double d) {
            if (!Double.isFinite(d)) {
                throw new IllegalArgumentException("not a finite constant: " + d);
            }
            return String.format(Locale.ROOT, "%.17g", d);
        }

        /** DJL's {@link Conv2d} on {@code x}: {@code conv2d(x, W, b, stride, padding, dilation, groups)}. */
        public String conv2d(Conv2d conv, String x) {
            String w = weight(conv.getParameters().get("weight"));
            String b = conv.isIncludeBias() ? weight(conv.getParameters().get("bias")) : "None";
            return let("torch.conv2d(" + x + ", " + w + ", " + b + ", " + pair(conv.getStride()) + ", "
                    + pair(conv.getPadding()) + ", " + pair(conv.getDilation()) + ", " + conv.getGroups() + ")");
        }

        private static String pair(ai.djl.ndarray.types.Shape s) {
            return "[" + s.get(0) + ", " + s.get(1) + "]";
        }

        /** DJL's {@link Linear} on the last axis of {@code x}: {@code x W^T + b}. */
        public String linear(Linear linear, String x) {
            String w = weight(linear.getParameters().get("weight"));
            String b = weight(linear.getParameters().get("bias"));
            return let("torch.linear(" + x + ", " + w + ", " + b + ")");
        }

        /** The fused group norm over axis 1 with per-channel affine {@code gamma, beta}. */
        public String groupNorm(int groups, Parameter gamma, Parameter beta, float eps, String x) {
            return let("torch.group_norm(" + x + ", " + groups + ", " + weight(gamma) + ", " + weight(beta) + ", "
                    + number(eps) + ", False)");
        }

        /** The fused SiLU {@code x sigmoid(x)}. */
        public String silu(String x) {
            return let("torch.silu(" + x + ")");
        }

        /** {@link KitBlock#upsampleNearest}: every pixel of {@code (N, C, H, W)} becomes a 2x2 block. */
        public String upsampleNearest(String x) {
            return let("torch.upsample_nearest2d(" + x + ", [" + x + ".size(2) * 2, " + x + ".size(3) * 2])");
        }

        /** The source of the module class, returning {@code result}. */
        String source(String result) {
            return source(result, "Tensor");
        }

        private String source(String result, String returnType) {
            StringBuilder s = new StringBuilder();
            s.append("class KitModule(Module):\n  __parameters__ = []\n  __buffers__ = []\n  training : bool\n");
            s.append("  def forward(self: __torch__.KitModule");
            for (String a : arguments) {
                s.append(",\n    ").append(a).append(": Tensor");
            }
            s.append(",\n    w: List[Tensor]) -> ").append(returnType).append(":\n").append(body).append("    return ")
                    .append(result)
                    .append('\n');
            return s.toString();
        }

        /**
         * Loads the written module on {@code manager} (whose device the weights must be on) with {@code result} as
         * its output.
         */
        public TorchScript build(NDManager manager, String result) {
            return load(manager, source(result));
        }

        /**
         * Loads the written module on {@code manager} with the list of {@code results} (tensor variables) as its output,
         * for {@link TorchScript#callAll}.
         */
        public TorchScript buildList(NDManager manager, String... results) {
            if (results.length == 0) {
                throw new IllegalArgumentException("a list-valued module needs at least one result");
            }
            return load(manager, source("[" + String.join(", ", results) + "]", "List[Tensor]"));
        }

        private TorchScript load(NDManager manager, String src) {
            if (System.getProperty("ai.djl.pytorch.graph_optimizer") != null) {
                JniUtils.setGraphExecutorOptimize(Boolean.getBoolean("ai.djl.pytorch.graph_optimizer"));
            }
            PtSymbolBlock module;
            try {
                module = JniUtils.loadModule((PtNDManager) manager, new ByteArrayInputStream(archive(src)), false,
                        false);
            } catch (IOException e) {
                throw new UncheckedIOException("could not load the written TorchScript module", e);
            }
            PtNDArray[] w = weights.stream().map(a -> (PtNDArray) a).toArray(PtNDArray[]::new);
            return new TorchScript(module, IValue.listFrom(w), List.copyOf(weights), src);
        }
    }

    /**
     * A TorchScript archive (the zip layout {@code torch.jit.save} writes, format version 3) holding one module
     * class {@code __torch__.KitModule} with the given source, no parameters, no constants and the attribute
     * {@code training = False}.
     */
    static byte[] archive(String source) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            entry(zip, "kit/version", "3\n".getBytes(StandardCharsets.US_ASCII));
            entry(zip, "kit/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
            entry(zip, "kit/data.pkl", modulePickle());
            entry(zip, "kit/constants.pkl", new byte[] {(byte) 0x80, 2, 0x29, 0x2e}); // PROTO 2, (), STOP
            entry(zip, "kit/code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Pickle protocol 2 of {@code __torch__.KitModule} with state {@code {"training": False}}. */
    private static byte[] modulePickle() {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(0x80); // PROTO
        p.write(2);
        p.write('c'); // GLOBAL module \n name \n
        p.writeBytes("__torch__\nKitModule\n".getBytes(StandardCharsets.US_ASCII));
        p.write(0x29); // EMPTY_TUPLE
        p.write(0x81); // NEWOBJ
        p.write(0x7d); // EMPTY_DICT
        p.write(0x28); // MARK
        byte[] key = "training".getBytes(StandardCharsets.US_ASCII);
        p.write(0x58); // BINUNICODE, 4-byte little-endian length
        p.write(key.length);
        p.write(0);
        p.write(0);
        p.write(0);
        p.writeBytes(key);
        p.write(0x89); // NEWFALSE
        p.write(0x75); // SETITEMS
        p.write(0x62); // BUILD
        p.write(0x2e); // STOP
        return p.toByteArray();
    }

    private static void entry(ZipOutputStream zip, String name, byte[] content) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(content);
        zip.closeEntry();
    }
}
