package org.diffinv.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * A time-conditioned UNet noise predictor {@code eps_theta(x_t, t[, c])} (Ronneberger et al. 2015; the DDPM
 * variant of Ho et al. 2020, Appendix B, with FiLM scale-shift injection of Dhariwal and Nichol 2021 and
 * optional cross-attention conditioning of Rombach et al. 2022).
 *
 * <p>Inputs: {@code x (N, C_in, S, S)}, {@code t (N)} (float time indices in [0, T-1]) and, when conditioned,
 * {@code c (N, L, D_c)}. Output {@code (N, C_out, S, S)}. Layout: 3x3 input convolution; per level
 * {@code blocksPerLevel} {@link ResBlock}s (plus an {@link AttentionBlock} where the side is listed in
 * {@code attentionResolutions}) and a stride-2 3x3 convolution to go down; a middle of ResBlock, attention,
 * ResBlock; on the way up {@code blocksPerLevel + 1} ResBlocks per level, each taking the concatenated skip
 * activation, and nearest-neighbour x2 upsampling (repeat) followed by a 3x3 convolution; GroupNorm, SiLU, 3x3
 * output convolution. FiLM conditioning adds {@code W_c mean_L(c)} to the time embedding.
 *
 * <p>Engines: on {@link NetworkEngine#TORCHSCRIPT} (the default) the forward pass runs as one TorchScript module the
 * blocks write themselves ({@link #writeScript}, {@link TorchScript}); on {@link NetworkEngine#BLOCKS} it runs the
 * DJL blocks below operation by operation. Both compute the same function, are differentiable in the inputs and the
 * weights, and check their inputs here first.
 */
public final class UNet extends KitBlock {
    private final UNetConfig config;
    private final int embDim;
    private final Conv2d inConv;
    private final TimeEmbedding timeEmbedding;
    private final Linear condProj;
    private final List<Stage> down = new ArrayList<>();
    private final List<Stage> middle = new ArrayList<>();
    private final List<Stage> up = new ArrayList<>();
    private final GroupNorm outNorm;
    private final Conv2d outConv;
    private final int lastChannels;

    private enum Kind { RES, ATTN, DOWN, UP }

    /** One child in the forward order, with the channels of its input. */
    private record Stage(Kind kind, Block block, int inChannels, boolean pushSkip, boolean popSkip) {
    }

    /** A UNet with the given configuration (parameters uninitialised: call {@link #initialize}). */
    public UNet(UNetConfig config) {
        super((byte) 1);
        this.config = config;
        int base = config.baseChannels();
        this.embDim = 4 * base;
        int g = config.groups();
        int ctx = config.conditioning().equals("cross") ? config.contextDim() : 0;
        this.inConv = addChildBlock("inConv", ResBlock.conv3x3(base));
        this.timeEmbedding = addChildBlock("time", new TimeEmbedding(base, embDim));
        this.condProj = config.conditioning().equals("film")
                ? addChildBlock("condProj", Linear.builder().setUnits(embDim).build()) : null;
        int[] mults = config.channelMults();
        int[] attnRes = config.attentionResolutions();
        Deque<Integer> skips = new ArrayDeque<>();
        skips.push(base);
        int ch = base;
        int res = config.imageSize();
        for (int i = 0; i < mults.length; i++) {
            int out = base * mults[i];
            for (int b = 0; b < config.blocksPerLevel(); b++) {
                down.add(new Stage(Kind.RES, addChildBlock("down" + i + "_res" + b, new ResBlock(ch, out, embDim, g)),
                        ch, !contains(attnRes, res), false));
                ch = out;
                if (contains(attnRes, res)) {
                    down.add(new Stage(Kind.ATTN, addChildBlock("down" + i + "_attn" + b,
                            new AttentionBlock(ch, config.heads(), g, ctx)), ch, true, false));
                }
                skips.push(ch);
            }
            if (i < mults.length - 1) {
                down.add(new Stage(Kind.DOWN, addChildBlock("down" + i + "_ds", Conv2d.builder()
                        .setKernelShape(new Shape(3, 3)).optStride(new Shape(2, 2)).optPadding(new Shape(1, 1))
                        .setFilters(ch).build()), ch, true, false));
                skips.push(ch);
                res /= 2;
            }
        }
        middle.add(new Stage(Kind.RES, addChildBlock("mid_res0", new ResBlock(ch, ch, embDim, g)), ch, false, false));
        middle.add(new Stage(Kind.ATTN, addChildBlock("mid_attn", new AttentionBlock(ch, config.heads(), g, ctx)),
                ch, false, false));
        middle.add(new Stage(Kind.RES, addChildBlock("mid_res1", new ResBlock(ch, ch, embDim, g)), ch, false, false));
        for (int i = mults.length - 1; i >= 0; i--) {
            int out = base * mults[i];
            for (int b = 0; b < config.blocksPerLevel() + 1; b++) {
                int in = ch + skips.pop();
                up.add(new Stage(Kind.RES, addChildBlock("up" + i + "_res" + b, new ResBlock(in, out, embDim, g)),
                        in, false, true));
                ch = out;
                if (contains(attnRes, res)) {
                    up.add(new Stage(Kind.ATTN, addChildBlock("up" + i + "_attn" + b,
                            new AttentionBlock(ch, config.heads(), g, ctx)), ch, false, false));
                }
            }
            if (i > 0) {
                up.add(new Stage(Kind.UP, addChildBlock("up" + i + "_us", ResBlock.conv3x3(ch)), ch, false, false));
                res *= 2;
            }
        }
        this.lastChannels = ch;
        this.outNorm = addChildBlock("outNorm", new GroupNorm(ResBlock.groupsFor(g, ch), ch));
        this.outConv = addChildBlock("outConv", ResBlock.conv3x3(config.outChannels()));
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    /** The configuration. */
    public UNetConfig config() {
        return config;
    }

    @Override
    protected void initChildren(NDManager manager, DataType dataType) {
        inConv.initialize(manager, dataType, new Shape(1, config.inChannels(), 8, 8));
        timeEmbedding.initialize(manager, dataType, new Shape(1));
        if (condProj != null) {
            condProj.initialize(manager, dataType, new Shape(1, config.contextDim()));
        }
        for (List<Stage> list : List.of(down, middle, up)) {
            for (Stage s : list) {
                if (s.kind() == Kind.RES || s.kind() == Kind.ATTN) {
                    s.block().initialize(manager, dataType, new Shape(1, s.inChannels(), 8, 8));
                } else {
                    s.block().initialize(manager, dataType, new Shape(1, s.inChannels(), 8, 8));
                }
            }
        }
        outNorm.initialize(manager, dataType, new Shape(1, lastChannels, 8, 8));
        outConv.initialize(manager, dataType, new Shape(1, lastChannels, 8, 8));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        Shape xs = x.getShape();
        if (xs.dimension() != 4 || xs.get(1) != config.inChannels() || xs.get(2) != config.imageSize()
                || xs.get(3) != config.imageSize()) {
            throw new IllegalArgumentException("UNet expects x of shape (N, " + config.inChannels() + ", "
                    + config.imageSize() + ", " + config.imageSize() + "), got " + xs);
        }
        if (inputs.size() < 2) {
            throw new IllegalArgumentException("UNet needs inputs (x, t" + (config.conditioned() ? ", c)" : ")"));
        }
        NDArray t = inputs.get(1).toType(x.getDataType(), false);
        if (t.getShape().size() != xs.get(0)) {
            throw new IllegalArgumentException("t must have one entry per sample (" + xs.get(0) + "), got shape "
                    + t.getShape());
        }
        NDArray c = null;
        if (config.conditioned()) {
            if (inputs.size() < 3) {
                throw new IllegalArgumentException("this UNet is conditioned (" + config.conditioning()
                        + "): inputs must be (x, t, c) with c of shape (N, L, " + config.contextDim() + ")");
            }
            c = inputs.get(2);
            if (c.getShape().dimension() != 3 || c.getShape().get(0) != xs.get(0)
                    || c.getShape().get(2) != config.contextDim()) {
                throw new IllegalArgumentException("c must be (" + xs.get(0) + ", L, " + config.contextDim()
                        + "), got " + c.getShape());
            }
        }
        if (NetworkEngine.current() == NetworkEngine.TORCHSCRIPT) {
            TorchScript script = scripted();
            return new NDList(c == null ? script.forward(x.getManager(), x, t) : script.forward(x.getManager(), x, t, c));
        }
        NDArray emb = run(timeEmbedding, ps, t.reshape(-1), training);
        if (condProj != null) {
            emb = emb.add(run(condProj, ps, c.mean(new int[] {1}), training));
        }
        NDArray siluEmb = silu(emb); // read by every residual block (ResBlock takes the activated embedding)
        NDArray context = config.conditioning().equals("cross") ? c : null;
        Deque<NDArray> skips = new ArrayDeque<>();
        NDArray h = run(inConv, ps, x, training);
        skips.push(h);
        for (Stage s : down) {
            h = apply(s, ps, h, siluEmb, context, training);
            if (s.pushSkip()) {
                skips.push(h);
            }
        }
        for (Stage s : middle) {
            h = apply(s, ps, h, siluEmb, context, training);
        }
        for (Stage s : up) {
            if (s.popSkip()) {
                h = h.concat(skips.pop(), 1);
            }
            h = apply(s, ps, h, siluEmb, context, training);
        }
        h = run(outConv, ps, silu(run(outNorm, ps, h, training)), training);
        return new NDList(h);
    }

    private final TorchScript.Cache script = new TorchScript.Cache(this::writeScript);

    /** The TorchScript module of this network's forward pass ({@link TorchScript.Cache}). */
    private TorchScript scripted() {
        return script.get(weightOf(inConv));
    }

    /**
     * This network's forward pass as a TorchScript module on {@code manager} (see {@link TorchScript}): the stages of
     * {@link #forwardInternal} in order, each written by its block. Arguments {@code x, t[, c]}.
     */
    TorchScript writeScript(NDManager manager) {
        boolean cond = config.conditioned();
        TorchScript.Writer w = cond ? new TorchScript.Writer("x", "t", "c") : new TorchScript.Writer("x", "t");
        String emb = timeEmbedding.script(w, "t", weightOf(inConv));
        if (condProj != null) {
            emb = w.let("torch.add(" + emb + ", " + w.linear(condProj, "torch.mean(c, [1])") + ")");
        }
        String siluEmb = w.silu(emb);
        String context = config.conditioning().equals("cross") ? "c" : null;
        Deque<String> skips = new ArrayDeque<>();
        String h = w.conv2d(inConv, "x");
        skips.push(h);
        for (Stage s : down) {
            h = scriptStage(w, s, h, siluEmb, context);
            if (s.pushSkip()) {
                skips.push(h);
            }
        }
        for (Stage s : middle) {
            h = scriptStage(w, s, h, siluEmb, context);
        }
        for (Stage s : up) {
            if (s.popSkip()) {
                h = w.let("torch.cat([" + h + ", " + skips.pop() + "], 1)");
            }
            h = scriptStage(w, s, h, siluEmb, context);
        }
        h = w.conv2d(outConv, w.silu(outNorm.script(w, h)));
        return w.build(manager, h);
    }

    private static String scriptStage(TorchScript.Writer w, Stage s, String h, String siluEmb, String context) {
        return switch (s.kind()) {
            case RES -> ((ResBlock) s.block()).script(w, h, siluEmb);
            case ATTN -> ((AttentionBlock) s.block()).script(w, h, context);
            case DOWN -> w.conv2d((Conv2d) s.block(), h);
            case UP -> w.conv2d((Conv2d) s.block(), w.upsampleNearest(h));
        };
    }

    private NDArray apply(Stage s, ParameterStore ps, NDArray h, NDArray siluEmb, NDArray context,
                          boolean training) {
        return switch (s.kind()) {
            case RES -> s.block().forward(ps, new NDList(h, siluEmb), training).singletonOrThrow();
            case ATTN -> s.block().forward(ps, context == null ? new NDList(h) : new NDList(h, context), training)
                    .singletonOrThrow();
            case DOWN -> run(s.block(), ps, h, training);
            case UP -> run(s.block(), ps, upsampleNearest(h), training);
        };
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        return new Shape[] {new Shape(s.get(0), config.outChannels(), s.get(2), s.get(3))};
    }
}
