package org.diffinv.operators;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import org.diffinv.util.HostArrays;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Non-separable blur by a 2-D kernel (camera-shake motion blur of DPS, DCDP, P2L, PSLD): per channel the
 * cross-correlation {@code y[i, j] = sum_{a,b} k[a, b] x[refl(i + a - p), refl(j + b - p)]}, {@code p = (K-1)/2},
 * with reflect padding ({@link Padding#REFLECT}, PyTorch {@code 'reflect'}); same output size as input.
 * Linear tier with an exact adjoint.
 *
 * <p>Route: pad as separable matrices {@code X_p = P_r X P_c^T} ({@link Kernels#paddingMatrix}, {@code (H+2p) x
 * H} and {@code (W+2p) x W}), then a valid single-channel {@code conv2d} on the {@code (N C, 1, H+2p, W+2p)}
 * reshape. Adjoint: the adjoint of a valid correlation is the full correlation with the flipped kernel
 * ({@code conv2d} with zero padding {@code K-1}), then the padding is folded back, {@code P_r^T Z P_c}.
 * The kernel must not be larger than the image ({@code K <= H, W}); the CG pseudo-inverse and prox come from
 * {@link LinearOperator}. Any batch and channel count; works in the input's dtype.
 */
public final class MotionBlur implements LinearOperator {

    private final BlurKernel kernel;
    private final Map<Long, double[][]> paddings = new ConcurrentHashMap<>();

    /** Motion blur with the given kernel (e.g. from {@link MotionKernels#generate} or {@link BlurKernel#load}). */
    public MotionBlur(BlurKernel kernel) {
        if (kernel == null) {
            throw new IllegalArgumentException("motion blur needs a kernel, got null");
        }
        this.kernel = kernel;
    }

    /** The kernel. */
    public BlurKernel kernel() {
        return kernel;
    }

    @Override
    public String name() {
        return "motion-blur(" + kernel.size() + "x" + kernel.size() + ", " + kernel.origin() + ")";
    }

    @Override
    public String toString() {
        return name();
    }

    @Override
    public Shape outputShape(Shape inputShape) {
        Checks.requireRank4(inputShape, name(), "input");
        int k = kernel.size();
        if (k > inputShape.get(2) || k > inputShape.get(3)) {
            throw new IllegalArgumentException(name() + ": kernel " + k + "x" + k + " is larger than the image "
                    + inputShape.get(2) + "x" + inputShape.get(3) + " of input " + inputShape
                    + "; expected a kernel no larger than the image");
        }
        return inputShape;
    }

    /** Flat padding matrices {P_r (H+2p x H), P_c^T (W x W+2p)} for an image size. */
    private double[][] padding(int h, int w) {
        long key = ((long) h << 32) | (w & 0xffffffffL);
        return paddings.computeIfAbsent(key, k -> {
            int p = (kernel.size() - 1) / 2;
            double[][] pr = Kernels.paddingMatrix(h, p, Padding.REFLECT);
            double[][] pc = Kernels.paddingMatrix(w, p, Padding.REFLECT);
            double[] prFlat = new double[(h + 2 * p) * h];
            double[] pctFlat = new double[w * (w + 2 * p)];
            for (int i = 0; i < h + 2 * p; i++) {
                System.arraycopy(pr[i], 0, prFlat, i * h, h);
            }
            for (int i = 0; i < w + 2 * p; i++) {
                for (int j = 0; j < w; j++) {
                    pctFlat[j * (w + 2 * p) + i] = pc[i][j];
                }
            }
            return new double[][] {prFlat, pctFlat};
        });
    }

    private NDArray weight(NDManager s, DataType t, boolean flipped) {
        int k = kernel.size();
        double[] f = kernel.flat();
        if (flipped) {
            double[] r = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                r[i] = f[f.length - 1 - i];
            }
            f = r;
        }
        return HostArrays.of(s, f, new Shape(1, 1, k, k), t);
    }

    @Override
    public NDArray apply(NDArray x) {
        Shape shape = Checks.requireImage(x, name(), "input");
        outputShape(shape);
        int n = (int) shape.get(0);
        int c = (int) shape.get(1);
        int h = (int) shape.get(2);
        int w = (int) shape.get(3);
        int p = (kernel.size() - 1) / 2;
        double[][] pad = padding(h, w);
        NDManager mgr = x.getManager();
        DataType t = x.getDataType();
        try (NDManager s = mgr.newSubManager()) {
            NDArray pr = HostArrays.of(s, pad[0], new Shape(h + 2 * p, h), t);
            NDArray pct = HostArrays.of(s, pad[1], new Shape(w, w + 2 * p), t);
            NDArray xp = pr.matMul(x).matMul(pct).reshape(n * c, 1, h + 2 * p, w + 2 * p);
            NDArray y = Conv2d.conv2d(xp, weight(s, t, false)).singletonOrThrow().reshape(n, c, h, w);
            y.attach(mgr);
            return y;
        }
    }

    /**
     * The reflect padding, the valid correlation and their adjoints as in {@link #apply} and {@link #adjointOfChecked}:
     * the same products, convolutions and reshapes on the same matrices and kernels, made once on {@code scope}.
     */
    @Override
    public java.util.Optional<ScriptForm> script(NDArray x, NDManager scope) {
        Shape shape = Checks.requireImage(x, name(), "input");
        outputShape(shape);
        long n = shape.get(0);
        long c = shape.get(1);
        int h = (int) shape.get(2);
        int w = (int) shape.get(3);
        int k = kernel.size();
        int p = (k - 1) / 2;
        double[][] pad = padding(h, w);
        DataType t = x.getDataType();
        java.util.List<NDArray> constants = java.util.List.of(
                HostArrays.of(scope, pad[0], new Shape(h + 2 * p, h), t),
                HostArrays.of(scope, pad[1], new Shape(w, w + 2 * p), t),
                weight(scope, t, false),
                HostArrays.of(scope, pad[0], new Shape(h + 2 * p, h), t).transpose(),
                HostArrays.of(scope, pad[1], new Shape(w, w + 2 * p), t).transpose(),
                weight(scope, t, true));
        String padded = "[" + n * c + ", 1, " + (h + 2 * p) + ", " + (w + 2 * p) + "]";
        String image = "[" + n + ", " + c + ", " + h + ", " + w + "]";
        return java.util.Optional.of(new ScriptForm(name(),
                (v, q) -> "torch.reshape(torch.conv2d(torch.reshape(torch.matmul(torch.matmul(" + q.apply(0) + ", " + v
                        + "), " + q.apply(1) + "), " + padded + "), " + q.apply(2) + ", None, [1, 1], [0, 0], [1, 1], 1), "
                        + image + ")",
                (v, q) -> "torch.matmul(torch.matmul(" + q.apply(3) + ", torch.reshape(torch.conv2d(torch.reshape(" + v
                        + ", [" + n * c + ", 1, " + h + ", " + w + "]), " + q.apply(5) + ", None, [1, 1], [" + (k - 1)
                        + ", " + (k - 1) + "], [1, 1], 1), [" + n + ", " + c + ", " + (h + 2 * p) + ", " + (w + 2 * p)
                        + "])), " + q.apply(4) + ")",
                constants));
    }

    @Override
    public NDArray adjoint(NDArray y) {
        Checks.requireImage(y, name(), "measurement");
        return adjointOfChecked(y);
    }

    /** {@code A^T v} without the adjoint's scan of {@code v}, for the linear VJP (which has checked it). */
    @Override
    public NDArray adjointOfChecked(NDArray y) {
        Shape shape = y.getShape();
        outputShape(shape);
        int n = (int) shape.get(0);
        int c = (int) shape.get(1);
        int h = (int) shape.get(2);
        int w = (int) shape.get(3);
        int k = kernel.size();
        int p = (k - 1) / 2;
        double[][] pad = padding(h, w);
        NDManager mgr = y.getManager();
        DataType t = y.getDataType();
        try (NDManager s = mgr.newSubManager()) {
            NDArray prT = HostArrays.of(s, pad[0], new Shape(h + 2 * p, h), t).transpose();
            NDArray pc = HostArrays.of(s, pad[1], new Shape(w, w + 2 * p), t).transpose();
            NDArray y4 = y.reshape(n * c, 1, h, w);
            y4.attach(s);
            NDArray z = Conv2d.conv2d(y4, weight(s, t, true), null, new Shape(1, 1), new Shape(k - 1, k - 1),
                    new Shape(1, 1), 1).singletonOrThrow().reshape(n, c, h + 2 * p, w + 2 * p);
            NDArray x = prT.matMul(z).matMul(pc);
            x.attach(mgr);
            return x;
        }
    }
}
