package org.diffinv.operators;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.RealMatrix;
import org.diffinv.linalg.Dense;
import org.diffinv.util.HostArrays;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A separable linear operator acting on every channel as {@code X -> R X C^T}, with dense 1-D matrices
 * {@code R} ({@code m x H}) and {@code C} ({@code n x W}) that include the boundary handling; SVD tier.
 *
 * <p>This one class gives average-pooling and bicubic super-resolution ({@link SuperResolution}) and both
 * Gaussian blurs ({@link GaussianBlur}) exactly, at the kit's image sizes (up to a few dozen pixels a side the
 * matrices are tiny). Adjoint: {@code Y -> R^T Y C}.
 *
 * <p><b>SVD (Kronecker form).</b> With 1-D SVDs {@code R = U_r diag(s_r) V_r1^T}, {@code C = U_c diag(s_c)
 * V_c1^T} ({@link Dense#fullSvd}, {@code V_r}, {@code V_c} completed to orthogonal {@code H x H}, {@code W x W}),
 * {@code A = (U_r (x) U_c) (S_r (x) S_c) (V_r (x) V_c)^T}: spectral coefficients are {@code V_r^T X V_c}
 * ({@code H x W}), the 2-D singular value at {@code (i, j)} is {@code s_r[i] s_c[j]} (zero for {@code i >= m} or
 * {@code j >= n}, the null space), and left coefficients {@code U_r^T Y U_c} ({@code m x n}) sit in the top-left
 * corner of the input-shaped coefficient tensor.
 *
 * <p><b>Truncation.</b> 1-D singular values below {@code cutoff}, or below the numerical-rank floor
 * {@code max(m, H) eps s_max}, are set to zero (DDRM zeroes {@code s < 3e-2} for its separable deblurring).
 * When anything is zeroed, the forward and adjoint use the truncated matrices {@code U_r diag(s_r') V_r1^T}
 * so that every SVD-tier identity ({@code A = U S V^T}, {@code A A^+ A = A}, the closed-form prox) holds to
 * rounding for the operator actually applied; when nothing is zeroed, {@code R} and {@code C} are used as
 * given.
 *
 * <p>The measurement of an {@code H x W} input is {@code (H/k) x (W/k)} for the operator's factor {@code k}
 * (1 for blurs), so the adjoint and {@code U^T} infer the input size from the measurement.
 *
 * <p>The matrices and SVDs depend on the image size; they are built on first use for each {@code (H, W)} and
 * cached in a {@link ConcurrentHashMap} (immutable per size, so the operator stays thread-safe). Works in the
 * input's dtype; any batch and channel count.
 */
public final class SeparableOperator implements SvdOperator {

    /**
     * The 1-D matrices of a separable operator for one image size.
     *
     * @param r the row-axis matrix {@code R}, {@code m x H}
     * @param c the column-axis matrix {@code C}, {@code n x W}
     */
    public record Factors(double[][] r, double[][] c) {
    }

    /**
     * Builds the 1-D matrices for an image of {@code height x width}, or throws {@link IllegalArgumentException}
     * naming the size when the operator cannot act on it (e.g. not divisible by an SR factor, kernel larger than
     * the image).
     */
    @FunctionalInterface
    public interface FactorSource {
        /** The factors {@code R} ({@code m x height}) and {@code C} ({@code n x width}). */
        Factors at(int height, int width);
    }

    private final String name;
    private final FactorSource source;
    private final double cutoff;
    private final int factor;
    private final Map<Long, Plan> plans = new ConcurrentHashMap<>();

    /**
     * A separable operator.
     *
     * @param name the display name with parameters
     * @param source builds {@code R} and {@code C} per image size
     * @param factor the downsampling factor {@code k}: the measurement is {@code (H/k) x (W/k)} (1 for blurs)
     * @param cutoff 1-D singular values below this are zeroed (0 for none beyond the numerical-rank floor)
     */
    public SeparableOperator(String name, FactorSource source, int factor, double cutoff) {
        if (name == null || source == null) {
            throw new IllegalArgumentException("separable operator needs a name and a factor source");
        }
        if (!(cutoff >= 0) || !Double.isFinite(cutoff)) {
            throw new IllegalArgumentException("singular value cutoff must be finite and >= 0, got " + cutoff);
        }
        this.name = name;
        this.source = source;
        this.cutoff = cutoff;
        this.factor = Checks.requireAtLeast(factor, 1, "downsampling factor");
    }

    /** The downsampling factor {@code k} ({@code m = H/k}, {@code n = W/k}). */
    public int factor() {
        return factor;
    }

    /** The 1-D singular value cutoff. */
    public double cutoff() {
        return cutoff;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String toString() {
        return name;
    }

    /** The plan (matrices and SVD) for an image size; built once per size. */
    private Plan plan(int height, int width) {
        long key = ((long) height << 32) | (width & 0xffffffffL);
        Plan p = plans.get(key);
        if (p == null) {
            p = plans.computeIfAbsent(key, k -> new Plan(height, width));
        }
        return p;
    }

    private Plan planFor(Shape shape, String what) {
        Checks.requireRank4(shape, name, what);
        try {
            return plan((int) shape.get(2), (int) shape.get(3));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": cannot act on " + what + " of shape " + shape + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public Shape outputShape(Shape inputShape) {
        Plan p = planFor(inputShape, "input");
        return new Shape(inputShape.get(0), inputShape.get(1), p.m, p.n);
    }

    /** The effective (possibly truncated) 1-D matrix {@code R} for an image of the given size. */
    public RealMatrix rowMatrix(int height, int width) {
        return new Array2DRowRealMatrix(plan(height, width).r, true);
    }

    /** The effective (possibly truncated) 1-D matrix {@code C} for an image of the given size. */
    public RealMatrix columnMatrix(int height, int width) {
        return new Array2DRowRealMatrix(plan(height, width).c, true);
    }

    /** The 2-D singular values laid out as an {@code H x W} array (zero on the null space). */
    public double[][] singularValueGrid(int height, int width) {
        Plan p = plan(height, width);
        double[][] s = new double[height][width];
        for (int i = 0; i < height; i++) {
            System.arraycopy(p.s2d, i * width, s[i], 0, width);
        }
        return s;
    }

    private Plan requireInput(NDArray x) {
        Checks.requireImage(x, name, "input");
        return planFor(x.getShape(), "input");
    }

    /**
     * {@code L X Rt} with {@code L} ({@code a x b}) and {@code Rt} ({@code c x d}) given row-major. The two factors come
     * from {@link #constant}, so a solver's thousands of applications do not copy them from Java and convert them
     * each time; the temporary {@code L X} is moved into the call's scope, since it is created on the constants'
     * manager (DJL gives a result its first operand's manager).
     */
    private static NDArray sandwich(NDArray x, double[] left, int a, int b, double[] right, int c, int d) {
        NDManager mgr = x.getManager();
        try (NDManager s = mgr.newSubManager()) {
            NDArray l = constant(left, a, b, x.getDataType(), x.getDevice());
            NDArray r = constant(right, c, d, x.getDataType(), x.getDevice());
            NDArray lx = l.matMul(x);
            lx.attach(s);
            NDArray out = lx.matMul(r);
            out.attach(mgr);
            return out;
        }
    }

    /** A factor matrix's contents, shape, element type and device: the key of the constants cache. */
    private record ConstantKey(double[] values, int rows, int cols, DataType type, ai.djl.Device device, int hash) {
        ConstantKey(double[] values, int rows, int cols, DataType type, ai.djl.Device device) {
            this(values, rows, cols, type, device, java.util.Objects.hash(java.util.Arrays.hashCode(values), rows, cols,
                    type, device));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ConstantKey k && rows == k.rows && cols == k.cols && type == k.type
                    && device.equals(k.device) && java.util.Arrays.equals(values, k.values);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /**
     * The factor matrices as engine arrays, made once per (contents, shape, type, device) for every separable operator
     * of the process, on a manager of their own that lives as long as the process: a few dozen small matrices (the
     * kit's images are 32x32), shared by equal operators, never freed.
     */
    private static final Map<ConstantKey, NDArray> CONSTANTS = new ConcurrentHashMap<>();
    private static volatile NDManager constantsManager;

    private static NDArray constant(double[] values, int rows, int cols, DataType type, ai.djl.Device device) {
        return CONSTANTS.computeIfAbsent(new ConstantKey(values, rows, cols, type, device), k -> {
            NDArray host = HostArrays.of(constantsManager(), values, new Shape(rows, cols), type);
            if (device.equals(host.getDevice())) {
                return host;
            }
            NDArray a = host.toDevice(device, false);
            host.close();
            return a;
        });
    }

    private static NDManager constantsManager() {
        NDManager m = constantsManager;
        if (m == null) {
            synchronized (SeparableOperator.class) {
                m = constantsManager;
                if (m == null) {
                    m = NDManager.newBaseManager();
                    constantsManager = m;
                }
            }
        }
        return m;
    }

    @Override
    public NDArray apply(NDArray x) {
        Plan p = requireInput(x);
        return sandwich(x, p.rFlat, p.m, p.h, p.ctFlat, p.w, p.n);
    }

    /**
     * {@code R X C^T} and {@code R^T V C} as two matrix products each, on the same cached factor matrices as
     * {@link #apply} and {@link #adjointOfChecked}.
     */
    @Override
    public java.util.Optional<ScriptForm> script(NDArray x, NDManager scope) {
        Plan p = requireInput(x);
        DataType t = x.getDataType();
        ai.djl.Device d = x.getDevice();
        List<NDArray> c = List.of(constant(p.rFlat, p.m, p.h, t, d), constant(p.ctFlat, p.w, p.n, t, d),
                constant(p.rtFlat, p.h, p.m, t, d), constant(p.cFlat, p.n, p.w, t, d));
        return java.util.Optional.of(new ScriptForm(name,
                (v, k) -> "torch.matmul(torch.matmul(" + k.apply(0) + ", " + v + "), " + k.apply(1) + ")",
                (v, k) -> "torch.matmul(torch.matmul(" + k.apply(2) + ", " + v + "), " + k.apply(3) + ")", c));
    }

    /** The adjoint {@code R^T Y C}; the input size is {@code factor} times the measurement size. */
    @Override
    public NDArray adjoint(NDArray y) {
        Checks.requireImage(y, name, "measurement");
        return adjointOfChecked(y);
    }

    /** {@code A^T v} without the adjoint's scan of {@code v}, for the linear VJP (which has checked it). */
    @Override
    public NDArray adjointOfChecked(NDArray y) {
        Plan p = planForMeasurement(y.getShape());
        return sandwich(y, p.rtFlat, p.h, p.m, p.cFlat, p.n, p.w);
    }

    private void requireMeasurement(Shape y, Plan p) {
        if (y.get(2) != p.m || y.get(3) != p.n) {
            throw new IllegalArgumentException(name + ": measurement of shape " + y + " must be " + p.m + "x" + p.n
                    + " for a " + p.h + "x" + p.w + " input");
        }
    }

    private Plan planForMeasurement(Shape y) {
        Checks.requireRank4(y, name, "measurement");
        long height = y.get(2) * factor;
        long width = y.get(3) * factor;
        Plan p;
        try {
            p = plan((int) height, (int) width);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": measurement of shape " + y + " implies an input of "
                    + height + "x" + width + ", which the operator cannot act on: " + e.getMessage(), e);
        }
        requireMeasurement(y, p);
        return p;
    }

    @Override
    public NDArray vt(NDArray x) {
        Plan p = requireInput(x);
        return sandwich(x, p.vrtFlat, p.h, p.h, p.vcFlat, p.w, p.w);
    }

    @Override
    public NDArray v(NDArray c) {
        Checks.requireImage(c, name, "spectral coefficients");
        Plan p = planFor(c.getShape(), "spectral coefficients");
        return sandwich(c, p.vrFlat, p.h, p.h, p.vctFlat, p.w, p.w);
    }

    @Override
    public NDArray ut(NDArray y) {
        Checks.requireImage(y, name, "measurement");
        Plan p = planForMeasurement(y.getShape());
        return sandwich(y, p.urtEmbedFlat, p.h, p.m, p.ucEmbedFlat, p.n, p.w);
    }

    @Override
    public NDArray u(NDArray c) {
        Checks.requireImage(c, name, "spectral coefficients");
        Plan p = planFor(c.getShape(), "spectral coefficients");
        return sandwich(c, p.urEmbedFlat, p.m, p.h, p.uctEmbedFlat, p.w, p.n);
    }

    @Override
    public NDArray singularValues(NDArray like) {
        Plan p = planFor(like.getShape(), "coefficient template");
        NDManager mgr = like.getManager();
        try (NDManager s = mgr.newSubManager()) {
            NDArray grid = constant(p.s2d, p.h, p.w, like.getDataType(), like.getDevice());
            NDArray zeros = like.zerosLike();
            zeros.attach(s);
            NDArray out = zeros.add(grid);
            out.attach(mgr);
            return out;
        }
    }

    /** Everything that depends on the image size: effective matrices, their SVD, flat copies for tensors. */
    private final class Plan {
        final int h;
        final int w;
        final int m;
        final int n;
        final double[][] r;
        final double[][] c;
        final double[] s2d;
        final double[] rFlat;
        final double[] rtFlat;
        final double[] cFlat;
        final double[] ctFlat;
        final double[] vrFlat;
        final double[] vrtFlat;
        final double[] vcFlat;
        final double[] vctFlat;
        final double[] urtEmbedFlat;
        final double[] urEmbedFlat;
        final double[] ucEmbedFlat;
        final double[] uctEmbedFlat;

        Plan(int height, int width) {
            Factors f = source.at(height, width);
            h = height;
            w = width;
            m = f.r().length;
            n = f.c().length;
            if (f.r()[0].length != height || f.c()[0].length != width) {
                throw new IllegalStateException(name + ": factor shapes " + m + "x" + f.r()[0].length + ", " + n + "x"
                        + f.c()[0].length + " do not match image " + height + "x" + width);
            }
            if (m * factor != height || n * factor != width) {
                throw new IllegalStateException(name + ": factors give a " + m + "x" + n + " measurement for a "
                        + height + "x" + width + " input, expected the input size divided by " + factor);
            }
            Axis row = new Axis(f.r(), height);
            Axis col = new Axis(f.c(), width);
            r = row.effective;
            c = col.effective;
            s2d = new double[h * w];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    s2d[i * w + j] = row.s[i] * col.s[j];
                }
            }
            RealMatrix rm = new Array2DRowRealMatrix(r, false);
            RealMatrix cm = new Array2DRowRealMatrix(c, false);
            rFlat = flat(rm);
            rtFlat = flat(rm.transpose());
            cFlat = flat(cm);
            ctFlat = flat(cm.transpose());
            vrFlat = flat(row.v);
            vrtFlat = flat(row.v.transpose());
            vcFlat = flat(col.v);
            vctFlat = flat(col.v.transpose());
            // embeddings: E_r = [I_m; 0] (H x m); ut: (E_r U_r^T) Y (U_c E_c^T); u: (U_r E_r^T) C (E_c U_c^T)
            RealMatrix urtEmbed = new Array2DRowRealMatrix(h, m);
            urtEmbed.setSubMatrix(row.u.transpose().getData(), 0, 0);
            RealMatrix ucEmbed = new Array2DRowRealMatrix(n, w);
            ucEmbed.setSubMatrix(col.u.getData(), 0, 0);
            urtEmbedFlat = flat(urtEmbed);
            urEmbedFlat = flat(urtEmbed.transpose());
            ucEmbedFlat = flat(ucEmbed);
            uctEmbedFlat = flat(ucEmbed.transpose());
        }
    }

    /** One axis: the full SVD of its 1-D matrix with truncation, and the matrix actually applied. */
    private final class Axis {
        final RealMatrix u;
        final RealMatrix v;
        final double[] s;
        final double[][] effective;

        Axis(double[][] a, int size) {
            RealMatrix am = new Array2DRowRealMatrix(a, true);
            Dense.FullSvd svd = Dense.fullSvd(am);
            u = svd.u();
            v = svd.v();
            s = svd.s();
            int k = s.length;
            double floor = Math.max(k, size) * Math.ulp(1.0) * (k > 0 ? s[0] : 0);
            boolean truncated = false;
            for (int i = 0; i < k; i++) {
                if (s[i] < cutoff || s[i] <= floor) {
                    truncated |= s[i] != 0;
                    s[i] = 0;
                }
            }
            if (truncated) {
                RealMatrix sv = new Array2DRowRealMatrix(k, size);
                for (int i = 0; i < k; i++) {
                    for (int j = 0; j < size; j++) {
                        sv.setEntry(i, j, s[i] * v.getEntry(j, i));
                    }
                }
                effective = u.multiply(sv).getData();
            } else {
                effective = am.getData();
            }
        }
    }

    private static double[] flat(RealMatrix a) {
        int rows = a.getRowDimension();
        int cols = a.getColumnDimension();
        double[] out = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                out[i * cols + j] = a.getEntry(i, j);
            }
        }
        return out;
    }
}
