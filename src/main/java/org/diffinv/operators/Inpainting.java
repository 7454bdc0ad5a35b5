package org.diffinv.operators;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Inpainting: {@code A x = m * x} with a binary {@link Mask} {@code m} (1 observed, 0 missing); the measurement
 * has the image's shape with zeros where pixels are missing (DPS, DCDP, MCG, P2L, PSLD; pixel-solvers spec
 * section 4).
 *
 * <p>SVD tier with {@code U = V = I} and singular values {@code s = m}: {@code A = A^T = A^+ = P = m *}.
 * The mask is shared ({@code (1, K, H, W)}) or per image ({@code (N, K, H, W)}), per channel or shared by the
 * channels; see {@link Mask}. Mask generators (box, random pixels, free-form strokes) are in {@link Masks}.
 */
public final class Inpainting implements SvdOperator {

    private final Mask mask;
    private final String label;

    /** Inpainting with the given mask. */
    public Inpainting(Mask mask) {
        this(mask, "mask");
    }

    /**
     * Inpainting with the given mask and a label naming how it was made (for {@link #name()}).
     */
    public Inpainting(Mask mask, String label) {
        if (mask == null) {
            throw new IllegalArgumentException("inpainting needs a mask, got null");
        }
        this.mask = mask;
        this.label = label;
    }

    /** The mask. */
    public Mask mask() {
        return mask;
    }

    @Override
    public String name() {
        return String.format(java.util.Locale.ROOT, "inpainting(%s, %s, hole=%.2f)", label, mask.shape(), mask.holeRatio());
    }

    @Override
    public Shape outputShape(Shape inputShape) {
        mask.requireCompatible(inputShape, name());
        return inputShape;
    }

    private NDArray multiply(NDArray x, String what) {
        Checks.requireImage(x, name(), what);
        return masked(x);
    }

    private NDArray masked(NDArray x) {
        mask.requireCompatible(x.getShape(), name());
        try (NDArray m = mask.toTensor(x.getManager(), x.getDataType())) {
            return x.mul(m);
        }
    }

    /** {@code M x} and {@code M v} as one product with the mask, made once on {@code scope}. */
    @Override
    public java.util.Optional<ScriptForm> script(NDArray x, ai.djl.ndarray.NDManager scope) {
        Checks.requireImage(x, name(), "input");
        mask.requireCompatible(x.getShape(), name());
        NDArray m = mask.toTensor(scope, x.getDataType());
        return java.util.Optional.of(new ScriptForm(name(), (v, k) -> "torch.mul(" + v + ", " + k.apply(0) + ")",
                (v, k) -> "torch.mul(" + v + ", " + k.apply(0) + ")", java.util.List.of(m)));
    }

    @Override
    public NDArray apply(NDArray x) {
        return multiply(x, "input");
    }

    @Override
    public NDArray adjoint(NDArray y) {
        return multiply(y, "measurement");
    }

    /** {@code A^T v} without the adjoint's scan of {@code v}, for the linear VJP (which has checked it). */
    @Override
    public NDArray adjointOfChecked(NDArray v) {
        return masked(v);
    }

    @Override
    public NDArray vt(NDArray x) {
        Checks.requireImage(x, name(), "input");
        mask.requireCompatible(x.getShape(), name());
        return TapedCopy.of(x);
    }

    @Override
    public NDArray v(NDArray c) {
        return vt(c);
    }

    @Override
    public NDArray ut(NDArray y) {
        return vt(y);
    }

    @Override
    public NDArray u(NDArray c) {
        return vt(c);
    }

    @Override
    public NDArray singularValues(NDArray like) {
        mask.requireCompatible(like.getShape(), name());
        try (NDArray m = mask.toTensor(like.getManager(), like.getDataType())) {
            NDArray zeros = like.zerosLike();
            NDArray s = zeros.add(m);
            zeros.close();
            return s;
        }
    }

    @Override
    public NDArray pinv(NDArray y) {
        return multiply(y, "measurement");
    }

    @Override
    public NDArray project(NDArray x) {
        return multiply(x, "input");
    }

    @Override
    public String toString() {
        return name();
    }
}
