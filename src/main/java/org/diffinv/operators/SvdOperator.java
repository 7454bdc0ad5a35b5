package org.diffinv.operators;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.Shape;
import org.diffinv.linalg.CgOptions;
import org.diffinv.linalg.CgResult;
import org.diffinv.util.Scalars;

/**
 * SVD-decomposable tier: {@code A = U S V^T} with orthonormal {@code U}, {@code V} applied as fast
 * transforms, which gives the pseudo-inverse, the proximal map and the projector {@code P = A^+ A} in closed
 * form. DDRM, PiGDM and C-PiGDM ask for this tier.
 *
 * <p>Spectral coefficients live in a tensor of the <em>input</em> shape: {@link #vt(NDArray)} maps an image
 * to its coefficients in the right singular basis, {@link #ut(NDArray)} maps a measurement to coefficients
 * in the left singular basis embedded in the input shape (zero where no singular value exists), and
 * {@link #singularValues(NDArray)} holds {@code s_i} at the same positions (zero for the null space).
 */
public interface SvdOperator extends LinearOperator {

    /** {@code V^T x}: image to right-singular coefficients (same shape as {@code x}). */
    NDArray vt(NDArray x);

    /** {@code V c}: right-singular coefficients back to an image. */
    NDArray v(NDArray c);

    /** {@code U^T y}: measurement to left-singular coefficients, embedded in the input shape. */
    NDArray ut(NDArray y);

    /** {@code U c}: left-singular coefficients (input-shaped) back to a measurement. */
    NDArray u(NDArray c);

    /**
     * The singular values laid out like the spectral coefficients of {@code like} (an input-shaped tensor,
     * used for shape, type and manager); broadcastable against {@code vt(x)}.
     */
    NDArray singularValues(NDArray like);

    /**
     * The closed-form pseudo-inverse {@code V S^+ U^T y}, with {@code S^+_i = 1/s_i} for {@code s_i > 0} and
     * zero for {@code s_i = 0}.
     */
    default NDArray pinv(NDArray y) {
        NDArray c = ut(y);
        NDArray s = singularValues(c);
        NDArray sInv = reciprocalOrZero(s);
        NDArray cs = c.mul(sInv);
        NDArray x = v(cs);
        c.close();
        s.close();
        sInv.close();
        cs.close();
        return x;
    }

    /** The closed form {@link #pinv(NDArray)}; the CG options are not needed and ignored. */
    @Override
    default NDArray pinv(NDArray y, CgOptions options) {
        return pinv(y);
    }

    /**
     * The closed form {@link #pinv(NDArray)} reported as an exact solve: {@code converged = true},
     * 0 iterations and zero residuals (the CG options are ignored).
     */
    @Override
    default CgResult pinvResult(NDArray y, CgOptions options) {
        NDArray x = pinv(y);
        return exactResult(x);
    }

    /**
     * The closed form {@link #proxL2(NDArray, NDArray, double, CgOptions)} reported as an exact solve:
     * {@code converged = true}, 0 iterations and zero residuals (the CG options are ignored).
     *
     * @throws IllegalArgumentException when {@code gamma} is not positive and finite
     */
    @Override
    default CgResult proxL2Result(NDArray z, NDArray y, double gamma, CgOptions options) {
        NDArray x = proxL2(z, y, gamma, options);
        return exactResult(x);
    }

    /**
     * The closed-form proximal map of {@code 1/2 ||A x - y||^2} with step {@code gamma}: in the right singular
     * basis {@code (s_i^2 + 1/gamma) c_i = s_i (U^T y)_i + (V^T z)_i / gamma}, then {@code x = V c}.
     * The CG options are not needed and ignored.
     */
    @Override
    default NDArray proxL2(NDArray z, NDArray y, double gamma, CgOptions options) {
        Checks.requirePositive(gamma, "gamma");
        double invGamma = 1.0 / gamma;
        NDArray uty = ut(y);
        NDArray vtz = vt(z);
        NDArray s = singularValues(vtz);
        NDArray suty = s.mul(uty);
        NDArray vtzScaled = Scalars.mul(vtz, invGamma);
        NDArray num = suty.add(vtzScaled);
        NDArray s2 = s.mul(s);
        NDArray den = Scalars.add(s2, invGamma);
        NDArray c = num.div(den);
        NDArray x = v(c);
        for (NDArray t : new NDArray[] {uty, vtz, s, suty, vtzScaled, num, s2, den, c}) {
            t.close();
        }
        return x;
    }

    /** The orthogonal projector onto the row space, {@code P x = A^+ A x = V 1[s > 0] V^T x}. */
    default NDArray project(NDArray x) {
        NDArray c = vt(x);
        NDArray s = singularValues(c);
        NDArray positive = s.gt(0);
        NDArray keep = positive.toType(c.getDataType(), false);
        NDArray ck = c.mul(keep);
        NDArray p = v(ck);
        for (NDArray t : new NDArray[] {c, s, positive, keep, ck}) {
            t.close();
        }
        return p;
    }

    /** The measurement shape for a given input shape (alias kept for symmetry with {@link #outputShape}). */
    default Shape measurementShape(Shape inputShape) {
        return outputShape(inputShape);
    }

    /** A solve report for a closed-form solution {@code x}: converged, 0 iterations, zero residuals. */
    private static CgResult exactResult(NDArray x) {
        int batch = x.getShape().dimension() == 0 ? 1 : Math.toIntExact(x.getShape().get(0));
        return new CgResult(x, 0, new double[batch], true);
    }

    /** Elementwise {@code 1/s} where {@code s > 0}, else 0 (the {@code S^+} of a pseudo-inverse). */
    static NDArray reciprocalOrZero(NDArray s) {
        NDArray positive = s.gt(0);
        NDArray one = s.onesLike();
        NDArray zero = s.zerosLike();
        NDArray safe = NDArrays.where(positive, s, one);
        NDArray inv = one.div(safe);
        NDArray out = NDArrays.where(positive, inv, zero);
        positive.close();
        one.close();
        zero.close();
        safe.close();
        inv.close();
        return out;
    }
}
