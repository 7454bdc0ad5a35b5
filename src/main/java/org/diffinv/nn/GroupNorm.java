package org.diffinv.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;

/**
 * Group normalisation (Wu and He 2018, Eq. 1-3) as a DJL block, which DJL does not provide.
 *
 * <p>For an input {@code x} of shape {@code (N, C, ...)} the channels are split into {@code G} groups; with
 * {@code S_{n,g}} the set of {@code C/G * prod(spatial)} entries of sample n, group g:
 * {@code mu = mean_{S} x}, {@code sigma^2 = mean_{S} (x - mu)^2} (biased), {@code xhat = (x - mu) / sqrt(sigma^2 +
 * eps)}, {@code y = gamma_c xhat + beta_c}. On the block path, five or seven engine calls: reshape {@code (N, G, -1)},
 * the engine's layer norm along the last axis, reshape back, the per-channel affine ({@link #affine}: two in-place
 * calls outside a gradient recording, two reshapes and two calls inside); in a {@link TorchScript} module, one fused
 * {@code group_norm} ({@link #script}).
 * {@code gamma} starts at 1, {@code beta} at 0.
 */
public final class GroupNorm extends KitBlock {
    private final int groups;
    private final int channels;
    private final float eps;
    private final Parameter gamma;
    private final Parameter beta;

    /** A group norm over {@code channels} channels in {@code groups} groups ({@code channels % groups == 0}). */
    public GroupNorm(int groups, int channels, float eps) {
        super((byte) 1);
        if (groups < 1 || channels < 1 || channels % groups != 0) {
            throw new IllegalArgumentException("channels " + channels + " must be a positive multiple of groups "
                    + groups);
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException("eps must be > 0, got " + eps);
        }
        this.groups = groups;
        this.channels = channels;
        this.eps = eps;
        this.gamma = addParameter(Parameter.builder().setName("gamma").setType(Parameter.Type.GAMMA)
                .optShape(new Shape(channels)).optInitializer(Initializer.ONES).build());
        this.beta = addParameter(Parameter.builder().setName("beta").setType(Parameter.Type.BETA)
                .optShape(new Shape(channels)).optInitializer(Initializer.ZEROS).build());
    }

    /** A group norm with {@code eps = 1e-5} and {@code min(32, channels)}-compatible groups chosen by the caller. */
    public GroupNorm(int groups, int channels) {
        this(groups, channels, 1e-5f);
    }

    /** The number of groups G. */
    public int groups() {
        return groups;
    }

    @Override
    protected void initChildren(NDManager manager, DataType dataType) {
        // no children
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        Shape shape = x.getShape();
        if (shape.dimension() < 2 || shape.get(1) != channels) {
            throw new IllegalArgumentException("GroupNorm expects (N, " + channels + ", ...), got " + shape);
        }
        NDArray xHat = normalise(x.reshape(shape.get(0), groups, -1), eps).reshape(shape);
        return new NDList(affine(xHat, value(ps, gamma, x, training), value(ps, beta, x, training)));
    }

    /**
     * {@code gamma} and {@code beta} as {@code (C, 1, ..., 1)} views for the in-place affine: made once per parameter
     * array and input rank, not at every call (two engine calls fewer per group norm, 54 per pixel-UNet forward). The
     * views share the parameters' storage, so in-place parameter updates show through; a new parameter array or rank
     * makes a new pair. They live on the parameters' manager, as the parameters do.
     */
    private record AffineViews(NDArray gammaSource, NDArray betaSource, int rank, NDArray gamma, NDArray beta) {
        boolean fits(NDArray g, NDArray b, int r) {
            return gammaSource == g && betaSource == b && rank == r && !gamma.isReleased() && !beta.isReleased();
        }
    }

    private volatile AffineViews views;

    /**
     * {@code gamma_c xHat + beta_c} over axis 1. Outside a gradient recording, two in-place broadcast ops on the fresh
     * {@code xHat} (no new activation) with cached {@code (C, 1, ..., 1)} views of the parameters ({@link AffineViews});
     * inside one, the same product and sum out of place with views made in the recording (a view cached outside it
     * would carry no gradient back to {@code gamma} and {@code beta} when training).
     *
     * <p>Not the inference form of the engine's batch normalisation (running mean 0, variance 1, {@code eps = 0}),
     * which is the same affine in one call and was used inside recordings until it was found wrong: PyTorch 2.5.1's
     * CPU {@code batch_norm} backward in evaluation mode returns a wrong input gradient at batch size 1 when the
     * incoming gradient is not contiguous (the attention block's token transpose makes it so): errors of 0.35 on
     * entries of size 6.9 in the pixel UNet's {@code d |eps|^2 / d x_t} at batch 1, while batch 2 and float64 were
     * right ({@code NetworkGradientTest} pins it).
     */
    NDArray affine(NDArray xHat, NDArray g, NDArray b) {
        long c = xHat.getShape().get(1);
        int rank = xHat.getShape().dimension();
        long[] as = new long[rank];
        java.util.Arrays.fill(as, 1);
        as[1] = c;
        if (recording()) {
            // the views are made on the parameters' manager (an op's result goes to its operand's): move them to the
            // caller's scope, or every recorded step would leave two arrays per group norm behind
            NDArray gv = g.reshape(new Shape(as));
            NDArray bv = b.reshape(new Shape(as));
            gv.attach(xHat.getManager());
            bv.attach(xHat.getManager());
            return xHat.mul(gv).add(bv);
        }
        AffineViews v = views;
        if (v == null || !v.fits(g, b, rank)) {
            v = new AffineViews(g, b, rank, g.reshape(new Shape(as)), b.reshape(new Shape(as)));
            views = v;
        }
        return xHat.muli(v.gamma()).addi(v.beta());
    }

    /**
     * Normalises {@code grouped (N, G, M)} along its last axis: {@code (x - mu) / sqrt(sigma^2 + eps)} with the
     * biased variance. Uses the engine's fused layer norm with unit weight and zero bias ({@link EngineConstants}:
     * no constant is made per call); the result equals the two-pass formula in the class comment (checked by the
     * tests against a hand computation).
     */
    static NDArray normalise(NDArray grouped, float eps) {
        long m = grouped.getShape().get(2);
        return grouped.getNDArrayInternal().layerNorm(grouped, new Shape(m), EngineConstants.ones(m, grouped),
                EngineConstants.zeros(m, grouped), eps).get(0);
    }

    /** This group norm as one fused {@code group_norm} call in a TorchScript module (see {@link TorchScript}). */
    String script(TorchScript.Writer w, String x) {
        return w.groupNorm(groups, gamma, beta, eps, x);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
