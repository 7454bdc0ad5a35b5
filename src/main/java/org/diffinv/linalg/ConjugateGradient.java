package org.diffinv.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.diffinv.util.HostArrays;

import java.util.function.UnaryOperator;

/**
 * The kit's one conjugate-gradient solver (Hestenes and Stiefel 1952) for {@code M x = b} with a symmetric
 * positive (semi)definite {@code M} given as a function on tensors, run on a whole batch at once.
 *
 * <p><b>Per-sample inner products.</b> The first axis of {@code b} is the batch axis; every inner product
 * {@code <u, v>} is taken per sample (a sum over all other axes), so each sample runs its own CG recursion
 * with its own step {@code alpha_n} and direction update {@code beta_n}, exactly as if it were solved alone,
 * and stops on its own tolerance (its step is frozen at zero once {@code ||r_n|| <= tol ||b_n||}). The batch
 * stops when every sample has converged or after {@code maxIterations}. {@code M} must act sample-wise
 * (it does for every operator of the kit), otherwise the per-sample recursions are not independent.
 *
 * <p>Recursion (per sample, started at {@code x_0}): {@code r_0 = b - M x_0}, {@code p_0 = r_0};
 * {@code alpha_k = <r_k, r_k> / <p_k, M p_k>}, {@code x_{k+1} = x_k + alpha_k p_k},
 * {@code r_{k+1} = r_k - alpha_k M p_k}, {@code beta_k = <r_{k+1}, r_{k+1}> / <r_k, r_k>},
 * {@code p_{k+1} = r_{k+1} + beta_k p_k}. Started at zero on the normal equations {@code A^T A x = A^T y},
 * all iterates stay in the range of {@code A^T}, so the limit is the minimum-norm least-squares solution.
 *
 * <p>Works in the dtype of {@code b} (FLOAT32 in solvers, FLOAT64 in tests). Each iteration runs in its own
 * sub-manager; only the carried {@code x, r, p} survive it, and the solution is attached to {@code b}'s
 * manager. A curvature {@code <p, M p> < 0} beyond rounding means {@code M} is not positive semidefinite
 * and raises {@link IllegalArgumentException}.
 */
public final class ConjugateGradient {

    private ConjugateGradient() {
    }

    /**
     * Solves {@code M x = b} started at {@code x = 0}.
     *
     * @param m the symmetric positive semidefinite map, sample-wise on a batch; returns a tensor shaped like
     *     its input
     * @param b the right-hand side, any shape with the batch on axis 0, FLOAT32 or FLOAT64
     * @param options iteration budget and relative tolerance
     * @return the solution and convergence information
     */
    public static CgResult solve(UnaryOperator<NDArray> m, NDArray b, CgOptions options) {
        return solve(m, b, null, options);
    }

    /**
     * Solves {@code M x = b} started at {@code x0} (zero when {@code x0} is null).
     *
     * @param m the symmetric positive semidefinite map, sample-wise on a batch
     * @param b the right-hand side, any shape with the batch on axis 0, FLOAT32 or FLOAT64
     * @param x0 the starting point, shaped like {@code b}, or null for zero
     * @param options iteration budget and relative tolerance
     * @return the solution and convergence information
     */
    public static CgResult solve(UnaryOperator<NDArray> m, NDArray b, NDArray x0, CgOptions options) {
        if (m == null || b == null || options == null) {
            throw new IllegalArgumentException("operator, right-hand side and options must not be null");
        }
        DataType type = b.getDataType();
        if (type != DataType.FLOAT32 && type != DataType.FLOAT64) {
            throw new IllegalArgumentException("CG needs a FLOAT32 or FLOAT64 right-hand side, got " + type.name());
        }
        if (b.getShape().dimension() < 1) {
            throw new IllegalArgumentException("CG needs a batch axis, got a scalar right-hand side");
        }
        if (x0 != null && !x0.getShape().equals(b.getShape())) {
            throw new IllegalArgumentException(
                    "starting point shape " + x0.getShape() + " differs from right-hand side shape " + b.getShape());
        }
        int batch = (int) b.getShape().get(0);
        double tol2 = options.relativeTolerance() * options.relativeTolerance();
        // rounding allowance for the curvature sign test
        double curvatureSlack = type == DataType.FLOAT64 ? 1e-12 : 1e-5;

        NDManager parent = b.getManager();
        try (NDManager work = parent.newSubManager()) {
            NDArray x;
            NDArray r;
            double[] bb = toDoubles(innerPerSample(b, b));
            if (x0 == null) {
                x = b.zerosLike();
                x.attach(work);
                r = b.duplicate();
                r.attach(work);
            } else {
                x = x0.duplicate();
                x.attach(work);
                NDArray mx = m.apply(x);
                mx.attach(work);
                r = b.sub(mx);
                r.attach(work);
            }
            NDArray p = r.duplicate();
            p.attach(work);
            double[] rr = toDoubles(innerPerSample(r, r));
            boolean[] active = new boolean[batch];
            boolean anyActive = false;
            for (int n = 0; n < batch; n++) {
                active[n] = bb[n] > 0 && rr[n] > tol2 * bb[n];
                anyActive |= active[n];
            }
            int iterations = 0;
            while (anyActive && iterations < options.maxIterations()) {
                try (NDManager step = work.newSubManager()) {
                    x.attach(step);
                    r.attach(step);
                    p.attach(step);
                    NDArray mp = m.apply(p);
                    mp.attach(step);
                    double[] pMp = toDoubles(innerPerSample(p, mp));
                    double[] alpha = new double[batch];
                    for (int n = 0; n < batch; n++) {
                        if (!active[n]) {
                            continue;
                        }
                        if (pMp[n] < -curvatureSlack * Math.max(rr[n], Double.MIN_NORMAL)) {
                            throw new IllegalArgumentException("CG operator is not positive semidefinite: sample "
                                    + n + " has curvature <p, M p> = " + pMp[n] + " < 0 at iteration " + iterations);
                        }
                        alpha[n] = pMp[n] > 0 ? rr[n] / pMp[n] : 0;
                    }
                    NDArray alphaT = perSample(step, alpha, b);
                    NDArray xNew = x.add(p.mul(alphaT));
                    NDArray rNew = r.sub(mp.mul(alphaT));
                    double[] rrNew = toDoubles(innerPerSample(rNew, rNew));
                    double[] beta = new double[batch];
                    anyActive = false;
                    for (int n = 0; n < batch; n++) {
                        if (!active[n]) {
                            continue;
                        }
                        beta[n] = rr[n] > 0 ? rrNew[n] / rr[n] : 0;
                        rr[n] = rrNew[n];
                        // a zero step means p left the range of M: the sample cannot improve further
                        active[n] = alpha[n] != 0 && rr[n] > tol2 * bb[n];
                        anyActive |= active[n];
                    }
                    NDArray pNew = rNew.add(p.mul(perSample(step, beta, b)));
                    xNew.attach(work);
                    rNew.attach(work);
                    pNew.attach(work);
                    x = xNew;
                    r = rNew;
                    p = pNew;
                }
                iterations++;
            }
            double[] relative = new double[batch];
            boolean converged = true;
            for (int n = 0; n < batch; n++) {
                relative[n] = bb[n] > 0 ? Math.sqrt(rr[n] / bb[n]) : 0;
                converged &= bb[n] == 0 || rr[n] <= tol2 * bb[n];
            }
            x.attach(parent);
            return new CgResult(x, iterations, relative, converged);
        }
    }

    /**
     * Per-sample inner products {@code <u_n, v_n>} as a 1-D tensor of length {@code N} (sum over every axis
     * but the first).
     */
    public static NDArray innerPerSample(NDArray u, NDArray v) {
        NDArray prod = u.mul(v);
        NDArray flat = prod.reshape(prod.getShape().get(0), -1);
        NDArray sums = flat.sum(new int[] {1});
        prod.close();
        flat.close();
        return sums;
    }

    private static double[] toDoubles(NDArray a) {
        try (NDArray d = a.toType(DataType.FLOAT64, true)) {
            double[] out = d.toDoubleArray();
            a.close();
            return out;
        }
    }

    /** A tensor of shape (N, 1, ..., 1) holding one scalar per sample, typed like {@code like}. */
    private static NDArray perSample(NDManager manager, double[] values, NDArray like) {
        long[] dims = new long[like.getShape().dimension()];
        java.util.Arrays.fill(dims, 1);
        dims[0] = values.length;
        return HostArrays.of(manager, values, new ai.djl.ndarray.types.Shape(dims), like.getDataType());
    }
}
