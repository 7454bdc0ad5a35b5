package org.diffinv.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A residual block with embedding injection by FiLM (scale-shift normalisation, Dhariwal and Nichol 2021,
 * Section 3; Perez et al. 2018).
 *
 * <p>Inputs {@code x (N, Cin, H, W)} and an embedding {@code e (N, E)} (time, possibly plus conditioning; with
 * {@code embDim = 0} there is no embedding input and no FiLM, the plain residual block of the autoencoder):
 * {@code h = conv_1(silu(GN_1(x)))}, {@code (s, b) = W_e silu(e)}, {@code h = GN_2(h) (1 + s) + b},
 * {@code h = conv_2(silu(h))}, output {@code skip(x) + h} of shape {@code (N, Cout, H, W)}, where
 * {@code skip} is the identity when {@code Cin == Cout} and a 1x1 convolution otherwise.
 *
 * <p>The block's second input is the <em>activated</em> embedding {@code silu(e)}, not {@code e}: every residual
 * block of a UNet reads the same {@code silu(e)}, so the UNet computes it once per forward pass
 * ({@link UNet}) instead of once per block (issue 14: fewer engine calls, same result).
 */
public final class ResBlock extends KitBlock {
    private final int inChannels;
    private final int outChannels;
    private final int embDim;
    private final GroupNorm norm1;
    private final Conv2d conv1;
    private final Linear film;
    private final GroupNorm norm2;
    private final Conv2d conv2;
    private final Conv2d skip;

    /** A residual block {@code inChannels -> outChannels} with {@code groups} norm groups and embedding width. */
    public ResBlock(int inChannels, int outChannels, int embDim, int groups) {
        super((byte) 1);
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.embDim = embDim;
        this.norm1 = addChildBlock("norm1", new GroupNorm(groupsFor(groups, inChannels), inChannels));
        this.conv1 = addChildBlock("conv1", conv3x3(outChannels));
        this.film = embDim > 0 ? addChildBlock("film", Linear.builder().setUnits(2L * outChannels).build()) : null;
        this.norm2 = addChildBlock("norm2", new GroupNorm(groupsFor(groups, outChannels), outChannels));
        this.conv2 = addChildBlock("conv2", conv3x3(outChannels));
        this.skip = inChannels == outChannels ? null : addChildBlock("skip", Conv2d.builder()
                .setKernelShape(new Shape(1, 1)).setFilters(outChannels).build());
    }

    /** The largest divisor of {@code channels} that is at most {@code groups}. */
    static int groupsFor(int groups, int channels) {
        int g = Math.min(groups, channels);
        while (channels % g != 0) {
            g--;
        }
        return g;
    }

    static Conv2d conv3x3(int filters) {
        return Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(filters)
                .build();
    }

    @Override
    protected void initChildren(NDManager manager, DataType dataType) {
        norm1.initialize(manager, dataType, new Shape(1, inChannels, 4, 4));
        conv1.initialize(manager, dataType, new Shape(1, inChannels, 4, 4));
        if (film != null) {
            film.initialize(manager, dataType, new Shape(1, embDim));
        }
        norm2.initialize(manager, dataType, new Shape(1, outChannels, 4, 4));
        conv2.initialize(manager, dataType, new Shape(1, outChannels, 4, 4));
        if (skip != null) {
            skip.initialize(manager, dataType, new Shape(1, inChannels, 4, 4));
        }
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDArray h = run(conv1, ps, silu(run(norm1, ps, x, training)), training);
        h = run(norm2, ps, h, training);
        if (film != null) {
            NDArray siluE = inputs.get(1);
            NDArray sb = run(film, ps, siluE, training).reshape(-1, 2L * outChannels, 1, 1);
            NDList parts = sb.split(2, 1);
            NDArray scale = parts.get(0).add(1);
            h = recording() ? h.mul(scale).add(parts.get(1)) : h.muli(scale).addi(parts.get(1));
        }
        h = run(conv2, ps, silu(h), training);
        NDArray residual = skip == null ? x : run(skip, ps, x, training);
        return new NDList(addInto(h, residual));
    }

    /**
     * This block's forward pass written into a TorchScript module ({@link TorchScript}): the same operations in the
     * same order as {@link #forwardInternal}, with the fused group norm and SiLU. {@code x} and {@code siluE} name
     * the input and the activated embedding; returns the output's name.
     */
    String script(TorchScript.Writer w, String x, String siluE) {
        String h = w.conv2d(conv1, w.silu(norm1.script(w, x)));
        h = norm2.script(w, h);
        if (film != null) {
            String sb = w.let("torch.chunk(torch.reshape(" + w.linear(film, siluE) + ", [-1, " + 2L * outChannels
                    + ", 1, 1]), 2, 1)");
            h = w.let("torch.add(torch.mul(" + h + ", torch.add(" + sb + "[0], 1)), " + sb + "[1])");
        }
        h = w.conv2d(conv2, w.silu(h));
        String residual = skip == null ? x : w.conv2d(skip, x);
        return w.let("torch.add(" + h + ", " + residual + ")");
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        return new Shape[] {new Shape(s.get(0), outChannels, s.get(2), s.get(3))};
    }
}
