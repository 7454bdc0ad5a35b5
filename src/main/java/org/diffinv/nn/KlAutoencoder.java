package org.diffinv.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A KL-regularised convolutional autoencoder with down-sampling factor 4 (the first stage of latent diffusion,
 * Rombach et al. 2022, Section 3 and Appendix G, scaled to 32x32): {@code x (N, C, 32, 32) -> z (N, L, 8, 8)}.
 *
 * <p>Encoder: 3x3 conv to {@code w}, ResBlock, stride-2 conv to {@code 2w}, ResBlock, stride-2 conv to
 * {@code 2w}, two ResBlocks, GN-SiLU-3x3 conv to {@code 2L} channels split into the posterior mean {@code mu} and
 * log-variance {@code log sigma^2} (clamped to [-30, 20]). Decoder: 3x3 conv {@code L -> 2w}, two ResBlocks,
 * nearest x2 + conv, ResBlock, nearest x2 + conv to {@code w}, ResBlock, GN-SiLU-3x3 conv to {@code C}.
 *
 * <p>Forward with {@code [x]} returns {@code [mu, logVar]}; use {@link #encode} and {@link #decode} directly.
 */
public final class KlAutoencoder extends KitBlock {
    private final int channels;
    private final int width;
    private final int latentChannels;
    private final Conv2d encIn;
    private final ResBlock encRes0;
    private final Conv2d encDown0;
    private final ResBlock encRes1;
    private final Conv2d encDown1;
    private final ResBlock encRes2;
    private final ResBlock encRes3;
    private final GroupNorm encNorm;
    private final Conv2d encOut;
    private final Conv2d decIn;
    private final ResBlock decRes0;
    private final ResBlock decRes1;
    private final Conv2d decUp0;
    private final ResBlock decRes2;
    private final Conv2d decUp1;
    private final ResBlock decRes3;
    private final GroupNorm decNorm;
    private final Conv2d decOut;

    /** An autoencoder for {@code channels}-channel images with base width {@code width} and L latent channels. */
    public KlAutoencoder(int channels, int width, int latentChannels) {
        super((byte) 1);
        if (channels < 1 || width < 1 || latentChannels < 1) {
            throw new IllegalArgumentException("channels, width and latentChannels must be >= 1");
        }
        this.channels = channels;
        this.width = width;
        this.latentChannels = latentChannels;
        int w = width;
        int w2 = 2 * width;
        encIn = addChildBlock("encIn", ResBlock.conv3x3(w));
        encRes0 = addChildBlock("encRes0", new ResBlock(w, w, 0, 8));
        encDown0 = addChildBlock("encDown0", stride2(w2));
        encRes1 = addChildBlock("encRes1", new ResBlock(w2, w2, 0, 8));
        encDown1 = addChildBlock("encDown1", stride2(w2));
        encRes2 = addChildBlock("encRes2", new ResBlock(w2, w2, 0, 8));
        encRes3 = addChildBlock("encRes3", new ResBlock(w2, w2, 0, 8));
        encNorm = addChildBlock("encNorm", new GroupNorm(ResBlock.groupsFor(8, w2), w2));
        encOut = addChildBlock("encOut", ResBlock.conv3x3(2 * latentChannels));
        decIn = addChildBlock("decIn", ResBlock.conv3x3(w2));
        decRes0 = addChildBlock("decRes0", new ResBlock(w2, w2, 0, 8));
        decRes1 = addChildBlock("decRes1", new ResBlock(w2, w2, 0, 8));
        decUp0 = addChildBlock("decUp0", ResBlock.conv3x3(w2));
        decRes2 = addChildBlock("decRes2", new ResBlock(w2, w2, 0, 8));
        decUp1 = addChildBlock("decUp1", ResBlock.conv3x3(w));
        decRes3 = addChildBlock("decRes3", new ResBlock(w, w, 0, 8));
        decNorm = addChildBlock("decNorm", new GroupNorm(ResBlock.groupsFor(8, w), w));
        decOut = addChildBlock("decOut", ResBlock.conv3x3(channels));
    }

    private static Conv2d stride2(int filters) {
        return Conv2d.builder().setKernelShape(new Shape(3, 3)).optStride(new Shape(2, 2))
                .optPadding(new Shape(1, 1)).setFilters(filters).build();
    }

    /** Latent channels L. */
    public int latentChannels() {
        return latentChannels;
    }

    /** Image channels C. */
    public int channels() {
        return channels;
    }

    @Override
    protected void initChildren(NDManager manager, DataType dataType) {
        int w = width;
        int w2 = 2 * width;
        encIn.initialize(manager, dataType, new Shape(1, channels, 8, 8));
        encRes0.initialize(manager, dataType, new Shape(1, w, 8, 8));
        encDown0.initialize(manager, dataType, new Shape(1, w, 8, 8));
        encRes1.initialize(manager, dataType, new Shape(1, w2, 8, 8));
        encDown1.initialize(manager, dataType, new Shape(1, w2, 8, 8));
        encRes2.initialize(manager, dataType, new Shape(1, w2, 8, 8));
        encRes3.initialize(manager, dataType, new Shape(1, w2, 8, 8));
        encNorm.initialize(manager, dataType, new Shape(1, w2, 8, 8));
        encOut.initialize(manager, dataType, new Shape(1, w2, 8, 8));
        decIn.initialize(manager, dataType, new Shape(1, latentChannels, 8, 8));
        decRes0.initialize(manager, dataType, new Shape(1, w2, 8, 8));
        decRes1.initialize(manager, dataType, new Shape(1, w2, 8, 8));
        decUp0.initialize(manager, dataType, new Shape(1, w2, 8, 8));
        decRes2.initialize(manager, dataType, new Shape(1, w2, 8, 8));
        decUp1.initialize(manager, dataType, new Shape(1, w2, 8, 8));
        decRes3.initialize(manager, dataType, new Shape(1, w, 8, 8));
        decNorm.initialize(manager, dataType, new Shape(1, w, 8, 8));
        decOut.initialize(manager, dataType, new Shape(1, w, 8, 8));
    }

    /**
     * The posterior {@code q(z|x) = N(mu, diag(sigma^2))}: returns {@code [mu, logVar]}, each
     * {@code (N, L, S/4, S/4)}, for {@code x (N, C, S, S)} with {@code S} divisible by 4.
     */
    public NDList encode(ParameterStore ps, NDArray x, boolean training) {
        Shape s = x.getShape();
        if (s.dimension() != 4 || s.get(1) != channels || s.get(2) % 4 != 0 || s.get(3) % 4 != 0) {
            throw new IllegalArgumentException("encoder expects (N, " + channels + ", S, S) with S divisible by 4, "
                    + "got " + s);
        }
        if (NetworkEngine.current() == NetworkEngine.TORCHSCRIPT) {
            NDList parts = encodeScript.get(weightOf(encIn)).forward(x.getManager(), x).split(2, 1);
            return new NDList(parts.get(0), parts.get(1).clip(-30, 20));
        }
        NDArray h = run(encIn, ps, x, training);
        h = res(encRes0, ps, h, training);
        h = res(encRes1, ps, run(encDown0, ps, h, training), training);
        h = run(encDown1, ps, h, training);
        h = res(encRes3, ps, res(encRes2, ps, h, training), training);
        NDArray out = run(encOut, ps, silu(run(encNorm, ps, h, training)), training);
        NDList parts = out.split(2, 1);
        return new NDList(parts.get(0), parts.get(1).clip(-30, 20));
    }

    /** The decoder {@code D(z)}: {@code z (N, L, s, s) -> x (N, C, 4s, 4s)}. */
    public NDArray decode(ParameterStore ps, NDArray z, boolean training) {
        if (z.getShape().dimension() != 4 || z.getShape().get(1) != latentChannels) {
            throw new IllegalArgumentException("decoder expects (N, " + latentChannels + ", s, s), got "
                    + z.getShape());
        }
        if (NetworkEngine.current() == NetworkEngine.TORCHSCRIPT) {
            return decodeScript.get(weightOf(decIn)).forward(z.getManager(), z);
        }
        NDArray h = run(decIn, ps, z, training);
        h = res(decRes1, ps, res(decRes0, ps, h, training), training);
        h = run(decUp0, ps, upsampleNearest(h), training);
        h = res(decRes2, ps, h, training);
        h = run(decUp1, ps, upsampleNearest(h), training);
        h = res(decRes3, ps, h, training);
        return run(decOut, ps, silu(run(decNorm, ps, h, training)), training);
    }

    private final TorchScript.Cache encodeScript = new TorchScript.Cache(this::writeEncoder);
    private final TorchScript.Cache decodeScript = new TorchScript.Cache(this::writeDecoder);

    /**
     * {@link #encode} up to the split as a TorchScript module ({@link TorchScript}): returns the {@code 2L} channels
     * of {@code mu} and {@code log sigma^2}, which the caller splits and clamps.
     */
    TorchScript writeEncoder(NDManager manager) {
        TorchScript.Writer w = new TorchScript.Writer("x");
        String h = w.conv2d(encIn, "x");
        h = encRes0.script(w, h, null);
        h = encRes1.script(w, w.conv2d(encDown0, h), null);
        h = w.conv2d(encDown1, h);
        h = encRes3.script(w, encRes2.script(w, h, null), null);
        return w.build(manager, w.conv2d(encOut, w.silu(encNorm.script(w, h))));
    }

    /** {@link #decode} as a TorchScript module ({@link TorchScript}). */
    TorchScript writeDecoder(NDManager manager) {
        TorchScript.Writer w = new TorchScript.Writer("z");
        String h = w.conv2d(decIn, "z");
        h = decRes1.script(w, decRes0.script(w, h, null), null);
        h = w.conv2d(decUp0, w.upsampleNearest(h));
        h = decRes2.script(w, h, null);
        h = w.conv2d(decUp1, w.upsampleNearest(h));
        h = decRes3.script(w, h, null);
        return w.build(manager, w.conv2d(decOut, w.silu(decNorm.script(w, h))));
    }

    private static NDArray res(ResBlock b, ParameterStore ps, NDArray h, boolean training) {
        return b.forward(ps, new NDList(h), training).singletonOrThrow();
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        return encode(ps, inputs.singletonOrThrow(), training);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        Shape z = new Shape(s.get(0), latentChannels, s.get(2) / 4, s.get(3) / 4);
        return new Shape[] {z, z};
    }
}
