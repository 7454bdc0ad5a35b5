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

    /** The weight array of {@code conv} (what a {@link TorchScript.Cache} checks its module against). */
    static NDArray weightOf(ai.djl.nn.convolutional.Conv2d conv) {
        return conv.getParameters().get("weight").getArray();
    }

    /** A parameter's current value on {@code x}'s device (recorded for gradients when training). */
    protected static NDArray value(ParameterStore ps, Parameter p, NDArray like, boolean training) {
        return ps.getValue(p, like.getDevice(), training);
    }

    /**
     * Nearest-neighbour upsampling by 2 of {@code (N, C, H, W)}: every pixel becomes a 2x2 block, output
     * {@code (N, C, 2H, 2W)}. One engine call (nearest interpolation); equal to repeating each row and column twice.
     */
    public static NDArray upsampleNearest(NDArray x) {
        Shape s = x.getShape();
        if (s.dimension() != 4) {
            throw new IllegalArgumentException("upsampleNearest expects (N, C, H, W), got " + s);
        }
        return x.getNDArrayInternal().interpolation(new long[] {2 * s.get(2), 2 * s.get(3)}, 0, false);
    }

    /**
     * Whether the engine records operations for a backward pass now (inside a gradient collector). When it does not,
     * the blocks write into the fresh temporaries they own (in place) instead of allocating one more activation per
     * operation: same values, fewer allocations (issue 14).
     */
    protected static boolean recording() {
        return ai.djl.pytorch.jni.JniUtils.isGradMode();
    }

    /** The SiLU (swish) activation {@code x * sigmoid(x)}; {@code x} itself is never changed. */
    public static NDArray silu(NDArray x) {
        NDArray s = x.getNDArrayInternal().sigmoid();
        return recording() ? x.mul(s) : s.muli(x);
    }

    /**
     * {@code fresh + other}, written into {@code fresh} when nothing is being recorded: {@code fresh} must be a
     * temporary the caller owns and no longer needs (never a block input).
     */
    protected static NDArray addInto(NDArray fresh, NDArray other) {
        return recording() ? fresh.add(other) : fresh.addi(other);
    }
}
