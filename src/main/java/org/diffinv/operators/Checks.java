package org.diffinv.operators;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.util.GradientRecording;

/**
 * Input validation shared by the operators: every failure is an {@link IllegalArgumentException} whose
 * message names the operator, the bad value and what was expected.
 */
public final class Checks {

    /** How deep this thread is inside {@link #withinSolve} regions. */
    private static final ThreadLocal<int[]> WITHIN_SOLVE = ThreadLocal.withInitial(() -> new int[1]);

    private Checks() {
    }

    /**
     * Runs {@code body} (a method's iterations inside a solve) with the value scans of the operators' argument checks
     * ({@link #requireImage}, {@link #requireVjpArguments}) skipped on this thread; the shape and type checks stay,
     * and {@link #requireFinite} called directly (a solver's own divergence check) still scans. Inside a
     * solve the operators' inputs are the method's own iterates, and the scan (one reduction and one read back to
     * the host per operator call, about 10 us at batch 1) is a large part of an operator loop's cost (DCDP's 100
     * heavy-ball steps per round, DAPS's Langevin steps). Nothing non-finite goes unreported: the problem's {@code y}
     * was checked when the problem was made, and the solve checks its estimate when the method returns, refusing a
     * diverged method by name ({@code SolveContext}): a NaN or infinity in an iterate reaches that estimate
     * through the kit's operators and updates (products, sums, clamps and maxima all propagate it).
     */
    public static <T> T withinSolve(java.util.function.Supplier<T> body) {
        int[] depth = WITHIN_SOLVE.get();
        depth[0]++;
        try {
            return body.get();
        } finally {
            depth[0]--;
        }
    }

    /** Whether this thread is inside a {@link #withinSolve} region. */
    public static boolean isWithinSolve() {
        return WITHIN_SOLVE.get()[0] > 0;
    }

    /**
     * Checks that {@code x} is an image batch {@code (N, C, H, W)} of FLOAT32 or FLOAT64 with finite values.
     *
     * <p>The finiteness check is cheap: one sum reduced to a scalar (NaN and opposite infinities propagate to
     * a non-finite sum); only when the sum is not finite is the tensor scanned to count the bad entries. Inside a
     * solve ({@link #withinSolve}) the value scan is skipped.
     *
     * @param x the tensor
     * @param who the operator name, for the message
     * @param what what the tensor is ("input", "measurement"), for the message
     * @return the shape of {@code x}
     */
    public static Shape requireImage(NDArray x, String who, String what) {
        Shape shape = requireImageShape(x, who, what);
        requireFiniteOperand(x, who, what);
        return shape;
    }

    /** {@link #requireImage} without the value scan: not null, rank 4, no empty axis, FLOAT32 or FLOAT64. */
    private static Shape requireImageShape(NDArray x, String who, String what) {
        if (x == null) {
            throw new IllegalArgumentException(who + ": " + what + " is null");
        }
        Shape shape = x.getShape();
        if (shape.dimension() != 4) {
            throw new IllegalArgumentException(who + ": " + what + " must have rank 4 (N, C, H, W), got shape " + shape);
        }
        for (int i = 0; i < 4; i++) {
            if (shape.get(i) < 1) {
                throw new IllegalArgumentException(who + ": " + what + " has an empty axis, shape " + shape);
            }
        }
        requireFloat(x, who, what);
        return shape;
    }

    /** Checks the rank-4 shape of an image batch without touching its values. */
    public static void requireRank4(Shape shape, String who, String what) {
        if (shape.dimension() != 4) {
            throw new IllegalArgumentException(who + ": " + what + " must have rank 4 (N, C, H, W), got shape " + shape);
        }
    }

    /** Checks that {@code x} is FLOAT32 or FLOAT64. */
    public static void requireFloat(NDArray x, String who, String what) {
        DataType t = x.getDataType();
        if (t != DataType.FLOAT32 && t != DataType.FLOAT64) {
            throw new IllegalArgumentException(who + ": " + what + " must be FLOAT32 or FLOAT64, got " + t.name());
        }
    }

    /**
     * Checks that every entry of {@code x} is finite: the kit's one finiteness check, for operators, priors
     * and solvers alike.
     *
     * <p>Cost: one sum reduced to a scalar and read back in its own type (NaN and infinities propagate to a
     * non-finite sum; the tensor is detached first only inside a gradient recording or when it requires gradients);
     * only when that sum is not finite is the tensor scanned again to count the bad entries for the message.
     *
     * @param x the tensor (any shape and floating type)
     * @param who the caller, for the message (e.g. {@code "GaussianPrior.eps"}, an operator name)
     * @param what the argument, for the message (e.g. {@code "x_t"}, {@code "measurement y"})
     * @throws IllegalArgumentException when {@code x} is null or has a NaN or infinite entry, with a message
     *     such as {@code "GaussianPrior.eps: x_t of shape (2, 1, 4, 4) contains 3 NaN and 0 infinite values;
     *     expected finite values"}
     */
    public static void requireFinite(NDArray x, String who, String what) {
        if (x == null) {
            throw new IllegalArgumentException(who + ": " + what + " is null; expected a tensor of finite values");
        }
        double total;
        // detach only where the sum could land on a gradient tape; read the sum in its own type (no conversion op):
        // solvers call this on every operator application, so each engine call saved counts at batch 1
        boolean taped = GradientRecording.active() || x.hasGradient();
        NDArray source = taped ? x.stopGradient() : x;
        try (NDArray sum = source.sum()) {
            total = readScalar(sum);
        } finally {
            if (taped) {
                source.close();
            }
        }
        if (Double.isFinite(total)) {
            return;
        }
        long nan;
        long inf;
        try (NDArray nanMask = x.isNaN(); NDArray nanLong = nanMask.toType(DataType.INT64, false);
             NDArray nanCount = nanLong.sum(); NDArray infMask = x.isInfinite();
             NDArray infLong = infMask.toType(DataType.INT64, false); NDArray infCount = infLong.sum()) {
            nan = nanCount.getLong();
            inf = infCount.getLong();
        }
        if (nan == 0 && inf == 0) {
            return; // finite entries whose sum overflowed
        }
        throw new IllegalArgumentException(who + ": " + what + " of shape " + x.getShape() + " contains " + nan
                + " NaN and " + inf + " infinite values; expected finite values");
    }

    /**
     * Checks the arguments of a linear operator's vector-Jacobian product {@code op.vjp(x, v) = A^T v}: {@code x} is a
     * non-empty FLOAT32/FLOAT64 image batch {@code (N, C, H, W)} the operator accepts, and the cotangent {@code v} is a
     * finite FLOAT32/FLOAT64 tensor of exactly the shape {@code op.outputShape(x.getShape())}. Unlike
     * {@link #requireVjpArguments}, {@code x}'s values are not scanned: {@code A^T v} does not read them, so a
     * non-finite {@code x} cannot reach the result, and the linear-tier solvers' inner loops (DCDP's and DAPS's
     * gradient steps, one VJP at a point {@code apply} has just checked) save one reduction and read-back per step.
     *
     * @throws IllegalArgumentException naming the operator, the bad shape, type or value and the expected one
     */
    public static void requireLinearVjpArguments(LinearOperator op, NDArray x, NDArray v) {
        String who = op.name();
        Shape shape = requireImageShape(x, who, "vjp point x");
        requireCotangent(who, op.outputShape(shape), v);
    }

    /**
     * Checks the arguments of a vector-Jacobian product {@code op.vjp(x, v)}: {@code x} is an image batch the
     * operator accepts ({@link #requireImage}, and {@code op.outputShape(x.getShape())} defined), and the
     * cotangent {@code v} is a finite FLOAT32/FLOAT64 tensor of exactly the measurement shape
     * {@code op.outputShape(x.getShape())}.
     *
     * @throws IllegalArgumentException naming the operator, the bad shape or value and the expected one, e.g.
     *     {@code "motion-blur(...): vjp vector v must have shape (3, 3, 19, 27), got (1, 1, 24, 40)"}
     */
    public static void requireVjpArguments(Operator op, NDArray x, NDArray v) {
        String who = op.name();
        requireImage(x, who, "vjp point x");
        requireCotangent(who, op.outputShape(x.getShape()), v);
    }

    private static void requireCotangent(String who, Shape expected, NDArray v) {
        if (v == null) {
            throw new IllegalArgumentException(who + ": vjp vector v is null; expected shape " + expected);
        }
        requireShape(v, expected, who, "vjp vector v");
        requireFloat(v, who, "vjp vector v");
        requireFiniteOperand(v, who, "vjp vector v");
    }

    /** {@link #requireFinite} outside a {@link #withinSolve} region; nothing inside one. */
    private static void requireFiniteOperand(NDArray x, String who, String what) {
        if (WITHIN_SOLVE.get()[0] == 0) {
            requireFinite(x, who, what);
        }
    }

    /**
     * A scalar tensor's value as a double: read directly for FLOAT32 and FLOAT64, converted otherwise. Read through
     * {@code toDoubleArray} / {@code toFloatArray}, not {@code getDouble} / {@code getFloat}: DJL's scalar getters
     * index the tensor first, one more engine call ({@code clone}) per read, and every finiteness check reads one.
     */
    private static double readScalar(NDArray scalar) {
        DataType t = scalar.getDataType();
        if (t == DataType.FLOAT64) {
            return scalar.toDoubleArray()[0];
        }
        if (t == DataType.FLOAT32) {
            return scalar.toFloatArray()[0];
        }
        try (NDArray d = scalar.toType(DataType.FLOAT64, false)) {
            return d.getDouble();
        }
    }

    /** Checks that {@code y} has exactly the shape {@code expected}. */
    public static void requireShape(NDArray y, Shape expected, String who, String what) {
        if (!y.getShape().equals(expected)) {
            throw new IllegalArgumentException(who + ": " + what + " must have shape " + expected + ", got "
                    + y.getShape());
        }
    }

    /** Checks that a parameter is positive and finite. */
    public static double requirePositive(double value, String name) {
        if (!(value > 0) || !Double.isFinite(value)) {
            throw new IllegalArgumentException(name + " must be positive and finite, got " + value);
        }
        return value;
    }

    /** Checks that an integer parameter is at least {@code min}. */
    public static int requireAtLeast(int value, int min, String name) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be at least " + min + ", got " + value);
        }
        return value;
    }
}
