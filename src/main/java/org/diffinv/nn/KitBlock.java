package org.diffinv.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;

/**
 * The base of the kit's composite DJL blocks: every child's parameter shapes are fixed at construction (channel
 * counts are known), so {@link #initializeChildBlocks} initialises each child from a representative input shape
 * given by {@link #initChildren} rather than by propagating the caller's shapes.
 */
public abstract class KitBlock extends AbstractBlock {

    /** A block with DJL parameter-format version {@code version}. */
    protected KitBlock(byte version) {
        super(version);
    }

    /** Initialises every child block with a representative input shape (channels known at construction). */
    protected abstract void initChildren(NDManager manager, DataType dataType);

    @Override
    protected final void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        initChildren(manager, dataType);
    }

    /** Runs a single-input, single-output child block. */
    protected static NDArray run(Block child, ParameterStore ps, NDArray x, boolean training) {
        return child.forward(ps, new NDList(x), training).singletonOrThrow();
    }

    /** A parameter's current value on {@code x}'s device (recorded for gradients when training). */
    protected static NDArray value(ParameterStore ps, Parameter p, NDArray like, boolean training) {
        return ps.getValue(p, like.getDevice(), training);
    }

    /** The SiLU (swish) activation {@code x * sigmoid(x)}. */
    public static NDArray silu(NDArray x) {
        return x.mul(x.getNDArrayInternal().sigmoid());
    }
}
