package org.diffinv.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.diffinv.util.Scalars;

/**
 * Multi-head spatial self-attention with optional cross-attention on a conditioning sequence, both residual
 * (Vaswani et al. 2017, Eq. 1; the UNet attention of Ho et al. 2020 and the cross-attention of Rombach et al.
 * 2022, Eq. 3).
 *
 * <p>Input {@code x (N, C, H, W)} and, when {@code contextDim > 0}, {@code c (N, L, D_c)}. The pixels are tokens
 * {@code u = GN(x)} reshaped to {@code (N, HW, C)}; per head of width {@code d = C / heads},
 * {@code Attn(Q, K, V) = softmax(Q K^T / sqrt(d)) V}. Self-attention: {@code Q, K, V = u W_q, u W_k, u W_v};
 * cross-attention: {@code Q = u' W_q'}, {@code K, V = c W_k', c W_v'} with {@code u'} the re-normalised result.
 * Output shape {@code (N, C, H, W)}.
 */
public final class AttentionBlock extends KitBlock {
    private final int channels;
    private final int heads;
    private final int contextDim;
    private final GroupNorm norm;
    private final Linear qkv;
    private final Linear proj;
    private final GroupNorm crossNorm;
    private final Linear crossQ;
    private final Linear crossKv;
    private final Linear crossProj;

    /** Attention over {@code channels} with {@code heads} heads; cross-attention when {@code contextDim > 0}. */
    public AttentionBlock(int channels, int heads, int groups, int contextDim) {
        super((byte) 1);
        if (heads < 1 || channels % heads != 0) {
            throw new IllegalArgumentException("channels " + channels + " must be a multiple of heads " + heads);
        }
        this.channels = channels;
        this.heads = heads;
        this.contextDim = contextDim;
        this.norm = addChildBlock("norm", new GroupNorm(ResBlock.groupsFor(groups, channels), channels));
        this.qkv = addChildBlock("qkv", Linear.builder().setUnits(3L * channels).build());
        this.proj = addChildBlock("proj", Linear.builder().setUnits(channels).build());
        if (contextDim > 0) {
            this.crossNorm = addChildBlock("crossNorm",
                    new GroupNorm(ResBlock.groupsFor(groups, channels), channels));
            this.crossQ = addChildBlock("crossQ", Linear.builder().setUnits(channels).build());
            this.crossKv = addChildBlock("crossKv", Linear.builder().setUnits(2L * channels).build());
            this.crossProj = addChildBlock("crossProj", Linear.builder().setUnits(channels).build());
        } else {
            this.crossNorm = null;
            this.crossQ = null;
            this.crossKv = null;
            this.crossProj = null;
        }
    }

    @Override
    protected void initChildren(NDManager manager, DataType dataType) {
        norm.initialize(manager, dataType, new Shape(1, channels, 4, 4));
        qkv.initialize(manager, dataType, new Shape(1, channels));
        proj.initialize(manager, dataType, new Shape(1, channels));
        if (contextDim > 0) {
            crossNorm.initialize(manager, dataType, new Shape(1, channels, 4, 4));
            crossQ.initialize(manager, dataType, new Shape(1, channels));
            crossKv.initialize(manager, dataType, new Shape(1, contextDim));
            crossProj.initialize(manager, dataType, new Shape(1, channels));
        }
    }

    /** {@code (N, T, C) -> (N, heads, T, d)}. */
    private NDArray splitHeads(NDArray a) {
        Shape s = a.getShape();
        return a.reshape(s.get(0), s.get(1), heads, channels / heads).transpose(0, 2, 1, 3);
    }

    /**
     * {@code softmax(Q K^T / sqrt(d)) V} per head, {@code d = channels / heads}, on tokens {@code (N, L, channels)}.
     * With one head the tokens are the head: batched 3-D products, without the four head reshapes and transposes
     * (8 engine calls fewer per block, the same products).
     */
    private NDArray attend(NDArray q, NDArray k, NDArray v) {
        double scale = 1.0 / Math.sqrt((double) channels / heads);
        if (heads == 1) {
            return Scalars.mul(q.matMul(k.transpose(0, 2, 1)), scale).softmax(-1).matMul(v);
        }
        NDArray w = Scalars.mul(splitHeads(q).matMul(splitHeads(k).transpose(0, 1, 3, 2)), scale).softmax(-1);
        NDArray o = w.matMul(splitHeads(v)).transpose(0, 2, 1, 3);
        Shape s = o.getShape();
        return o.reshape(s.get(0), s.get(1), channels);
    }

    private static NDArray tokens(NDArray x) {
        Shape s = x.getShape();
        return x.reshape(s.get(0), s.get(1), s.get(2) * s.get(3)).transpose(0, 2, 1);
    }

    private static NDArray image(NDArray t, Shape like) {
        return t.transpose(0, 2, 1).reshape(like);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        Shape shape = x.getShape();
        if (shape.get(1) != channels) {
            throw new IllegalArgumentException("AttentionBlock expects (N, " + channels + ", H, W), got " + shape);
        }
        NDArray u = tokens(run(norm, ps, x, training));
        NDList qkvParts = run(qkv, ps, u, training).split(3, 2);
        NDArray a = attend(qkvParts.get(0), qkvParts.get(1), qkvParts.get(2));
        NDArray out = addInto(image(run(proj, ps, a, training), shape), x);
        if (contextDim > 0) {
            if (inputs.size() < 2) {
                throw new IllegalArgumentException("this AttentionBlock needs a context (N, L, " + contextDim + ")");
            }
            NDArray c = inputs.get(1);
            if (c.getShape().dimension() != 3 || c.getShape().get(2) != contextDim
                    || c.getShape().get(0) != shape.get(0)) {
                throw new IllegalArgumentException("context must be (" + shape.get(0) + ", L, " + contextDim
                        + "), got " + c.getShape());
            }
            NDArray uq = tokens(run(crossNorm, ps, out, training));
            NDList kv = run(crossKv, ps, c, training).split(2, 2);
            NDArray ca = attend(run(crossQ, ps, uq, training), kv.get(0), kv.get(1));
            out = addInto(image(run(crossProj, ps, ca, training), shape), out);
        }
        return new NDList(out);
    }

    /**
     * This block's forward pass written into a TorchScript module ({@link TorchScript}): the operations of
     * {@link #forwardInternal} in the same order. {@code x} names the input, {@code c} the context (null without
     * cross-attention); returns the output's name.
     */
    String script(TorchScript.Writer w, String x, String c) {
        String u = w.let("torch.transpose(torch.flatten(" + norm.script(w, x) + ", 2), 1, 2)");
        String parts = w.let("torch.chunk(" + w.linear(qkv, u) + ", 3, 2)");
        String a = attendScript(w, parts + "[0]", parts + "[1]", parts + "[2]");
        String out = w.let("torch.add(" + imageScript(w.linear(proj, a), x) + ", " + x + ")");
        if (contextDim > 0) {
            if (c == null) {
                throw new IllegalArgumentException("this AttentionBlock needs a context (N, L, " + contextDim + ")");
            }
            String uq = w.let("torch.transpose(torch.flatten(" + crossNorm.script(w, out) + ", 2), 1, 2)");
            String kv = w.let("torch.chunk(" + w.linear(crossKv, c) + ", 2, 2)");
            String ca = attendScript(w, w.linear(crossQ, uq), kv + "[0]", kv + "[1]");
            out = w.let("torch.add(" + imageScript(w.linear(crossProj, ca), out) + ", " + out + ")");
        }
        return out;
    }

    /** {@link #attend} written into a TorchScript module. */
    private String attendScript(TorchScript.Writer w, String q, String k, String v) {
        String scale = TorchScript.Writer.number(1.0 / Math.sqrt((double) channels / heads));
        if (heads == 1) {
            return w.let("torch.matmul(torch.softmax(torch.mul(torch.matmul(" + q + ", torch.transpose(" + k
                    + ", 1, 2)), " + scale + "), -1), " + v + ")");
        }
        String qs = splitHeadsScript(w, q);
        String ks = splitHeadsScript(w, k);
        String vs = splitHeadsScript(w, v);
        String p = w.let("torch.softmax(torch.mul(torch.matmul(" + qs + ", torch.transpose(" + ks + ", 2, 3)), "
                + scale + "), -1)");
        String o = w.let("torch.transpose(torch.matmul(" + p + ", " + vs + "), 1, 2)");
        return w.let("torch.reshape(" + o + ", [" + o + ".size(0), " + o + ".size(1), " + channels + "])");
    }

    private String splitHeadsScript(TorchScript.Writer w, String a) {
        String t = w.let(a);
        return w.let("torch.transpose(torch.reshape(" + t + ", [" + t + ".size(0), " + t + ".size(1), " + heads
                + ", " + channels / heads + "]), 1, 2)");
    }

    private static String imageScript(String tokens, String like) {
        return "torch.transpose(" + tokens + ", 1, 2).reshape_as(" + like + ")";
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
