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
 * The kit's feature network: a small convolutional classifier whose penultimate activations are the features of
 * the kit's Frechet distance ("FD-kit") and perceptual distance ("perceptual-kit").
 *
 * <p>Input {@code x (N, C, S, S)} in [-1, 1] ({@code S} divisible by 4). Layout: two 3x3 conv-GN-SiLU layers at
 * full resolution with {@code w} channels, a stride-2 conv to {@code 2w}, two layers at S/2, a stride-2 conv to
 * {@code 4w}, one layer at S/4, global average pooling, {@code Linear(4w -> featureDim)} + SiLU (the features
 * {@code phi(x) (N, featureDim)}), and {@code Linear(featureDim -> classes)} (the logits). Forward returns
 * {@code [logits (N, classes), phi (N, featureDim)]}; {@link #convFeatures} exposes the per-stage feature maps
 * for a perceptual distance.
 */
public final class FeatureClassifier extends KitBlock {
    private final int inChannels;
    private final int width;
    private final int featureDim;
    private final int classes;
    private final Conv2d[] convs;
    private final GroupNorm[] norms;
    private final int[] convIn;
    private final Linear fc;
    private final Linear head;

    /** A classifier over {@code inChannels}-channel images with base width {@code width}. */
    public FeatureClassifier(int inChannels, int width, int featureDim, int classes) {
        super((byte) 1);
        if (inChannels < 1 || width < 1 || featureDim < 1 || classes < 2) {
            throw new IllegalArgumentException("need inChannels, width, featureDim >= 1 and classes >= 2");
        }
        this.inChannels = inChannels;
        this.width = width;
        this.featureDim = featureDim;
        this.classes = classes;
        int w = width;
        // (in, out, stride) per conv layer
        int[][] spec = {{inChannels, w, 1}, {w, w, 1}, {w, 2 * w, 2}, {2 * w, 2 * w, 1}, {2 * w, 2 * w, 1},
            {2 * w, 4 * w, 2}, {4 * w, 4 * w, 1}};
        convs = new Conv2d[spec.length];
        norms = new GroupNorm[spec.length];
        convIn = new int[spec.length];
        for (int i = 0; i < spec.length; i++) {
            convIn[i] = spec[i][0];
            convs[i] = addChildBlock("conv" + i, Conv2d.builder().setKernelShape(new Shape(3, 3))
                    .optPadding(new Shape(1, 1)).optStride(new Shape(spec[i][2], spec[i][2]))
                    .setFilters(spec[i][1]).build());
            norms[i] = addChildBlock("norm" + i, new GroupNorm(ResBlock.groupsFor(8, spec[i][1]), spec[i][1]));
        }
        fc = addChildBlock("fc", Linear.builder().setUnits(featureDim).build());
        head = addChildBlock("head", Linear.builder().setUnits(classes).build());
    }

    /** The width of the penultimate features. */
    public int featureDim() {
        return featureDim;
    }

    @Override
    protected void initChildren(NDManager manager, DataType dataType) {
        for (int i = 0; i < convs.length; i++) {
            convs[i].initialize(manager, dataType, new Shape(1, convIn[i], 8, 8));
            norms[i].initialize(manager, dataType, new Shape(1, convs[i].getOutputShapes(
                    new Shape[] {new Shape(1, convIn[i], 8, 8)})[0].get(1), 8, 8));
        }
        fc.initialize(manager, dataType, new Shape(1, 4L * width));
        head.initialize(manager, dataType, new Shape(1, featureDim));
    }

    /**
     * The activations after each stage (after layers 1, 4 and 6: resolutions S, S/2, S/4), for a perceptual
     * distance; each {@code (N, C_k, H_k, W_k)}.
     */
    public NDList convFeatures(ParameterStore ps, NDArray x, boolean training) {
        NDList out = new NDList();
        NDArray h = x;
        for (int i = 0; i < convs.length; i++) {
            h = silu(run(norms[i], ps, run(convs[i], ps, h, training), training));
            if (i == 1 || i == 4 || i == 6) {
                out.add(h);
            }
        }
        return out;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        if (x.getShape().dimension() != 4 || x.getShape().get(1) != inChannels) {
            throw new IllegalArgumentException("classifier expects (N, " + inChannels + ", H, W), got "
                    + x.getShape());
        }
        NDList maps = convFeatures(ps, x, training);
        NDArray last = maps.get(maps.size() - 1);
        NDArray pooled = last.reshape(last.getShape().get(0), last.getShape().get(1), -1).mean(new int[] {2});
        NDArray phi = silu(run(fc, ps, pooled, training));
        NDArray logits = run(head, ps, phi, training);
        return new NDList(logits, phi);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        long n = inputShapes[0].get(0);
        return new Shape[] {new Shape(n, classes), new Shape(n, featureDim)};
    }
}
