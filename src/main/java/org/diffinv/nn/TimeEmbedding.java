package org.diffinv.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The diffusion time embedding: Transformer sinusoids of the step index followed by a two-layer SiLU MLP
 * (Ho et al. 2020, Appendix B; Vaswani et al. 2017, Section 3.5).
 *
 * <p>Input {@code t} of shape {@code (N)} (float time indices). With {@code h = dim / 2} and
 * {@code f_i = exp(-ln(10000) i / h)}, {@code e(t) = [sin(t f_0..f_{h-1}), cos(t f_0..f_{h-1})]}, then
 * {@code out = W_2 silu(W_1 e(t))} of shape {@code (N, outDim)}.
 */
public final class TimeEmbedding extends KitBlock {
    private final int dim;
    private final int outDim;
    private final Linear fc1;
    private final Linear fc2;

    /** A time embedding with {@code dim} sinusoid features (even) and an MLP to {@code outDim}. */
    public TimeEmbedding(int dim, int outDim) {
        super((byte) 1);
        if (dim < 2 || dim % 2 != 0 || outDim < 1) {
            throw new IllegalArgumentException("dim must be even and >= 2 and outDim >= 1, got " + dim + ", "
                    + outDim);
        }
        this.dim = dim;
        this.outDim = outDim;
        this.fc1 = addChildBlock("fc1", Linear.builder().setUnits(outDim).build());
        this.fc2 = addChildBlock("fc2", Linear.builder().setUnits(outDim).build());
    }

    /** The sinusoidal features {@code e(t)} of shape {@code (N, dim)} for {@code t} of shape {@code (N)}. */
    public static NDArray sinusoids(NDArray t, int dim) {
        NDArray arg = t.reshape(-1, 1).mul(frequencies(t, dim));
        return arg.sin().concat(arg.cos(), 1);
    }

    /**
     * The frequencies {@code f_i = exp(-i ln(10000) / h)} as {@code (1, h)}, {@code h = dim / 2}, of {@code like}'s
     * type and device, made once per type and device ({@link EngineConstants}).
     */
    static NDArray frequencies(NDArray like, int dim) {
        int h = dim / 2;
        return EngineConstants.get("sinusoid-frequencies/" + dim, like,
                (m, type) -> m.arange(0, h, 1, DataType.FLOAT32).toType(type, false).mul(-Math.log(10000.0) / h).exp()
                        .reshape(1, h));
    }

    /**
     * This block's forward pass written into a TorchScript module ({@link TorchScript}); {@code t} names the
     * {@code (N)} time input, {@code like} gives the type and device of the frequency constant.
     */
    String script(TorchScript.Writer w, String t, NDArray like) {
        String arg = w.let("torch.mul(torch.reshape(" + t + ", [-1, 1]), " + w.weight(frequencies(like, dim)) + ")");
        String e = w.let("torch.cat([torch.sin(" + arg + "), torch.cos(" + arg + ")], 1)");
        return w.linear(fc2, w.silu(w.linear(fc1, e)));
    }

    @Override
    protected void initChildren(NDManager manager, DataType dataType) {
        fc1.initialize(manager, dataType, new Shape(1, dim));
        fc2.initialize(manager, dataType, new Shape(1, outDim));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDArray t = inputs.singletonOrThrow();
        NDArray e = sinusoids(t, dim);
        return new NDList(run(fc2, ps, silu(run(fc1, ps, e, training)), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), outDim)};
    }
}
