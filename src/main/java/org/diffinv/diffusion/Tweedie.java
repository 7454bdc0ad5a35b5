package org.diffinv.diffusion;

import ai.djl.ndarray.NDArray;
import org.diffinv.util.Scalars;

/**
 * Tweedie's formula for an eps-predicting prior on a variance-preserving schedule, and its inverse.
 *
 * <p>With {@code x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps}, Tweedie's formula gives the posterior
 * mean {@code E[x_0 | x_t] = (x_t + (1 - abar_t) grad log p_t(x_t)) / sqrt(abar_t)}; with the score
 * {@code grad log p_t = -eps / sqrt(1 - abar_t)} this is (DDPM, Ho et al. 2020, Eq. 15; DDIM, Song et al.
 * 2021, Eq. 9, "predicted x_0"):
 * <pre>
 *   x0Hat = sqrt(1/abar_t) x_t - sqrt(1/abar_t - 1) eps              (x0FromEps)
 *   eps   = (sqrt(1/abar_t) x_t - x0Hat) / sqrt(1/abar_t - 1)        (epsFromX0, e.g. after clipping x0Hat)
 * </pre>
 * Shapes: {@code x_t}, {@code eps} and {@code x0} are all {@code (N, C, H, W)} (any common shape); the
 * result has their shape and type. Pure DJL ops: gradients flow through {@code eps}.
 */
public final class Tweedie {

    private Tweedie() {
    }

    /**
     * {@code x0Hat = sqrt(1/abar) x_t - sqrt(1/abar - 1) eps} for a given {@code abar} in {@code (0, 1]}.
     *
     * @throws IllegalArgumentException if {@code alphaBar} is outside {@code (0, 1]} or the shapes differ
     */
    public static NDArray x0FromEps(NDArray xt, NDArray eps, double alphaBar) {
        if (!(alphaBar > 0 && alphaBar <= 1)) {
            throw new IllegalArgumentException("Tweedie needs abar in (0, 1], got " + alphaBar);
        }
        checkSameShape(xt, eps, "x_t", "eps");
        return Scalars.mul(xt, Math.sqrt(1 / alphaBar)).sub(Scalars.mul(eps, Math.sqrt(1 / alphaBar - 1)));
    }

    /** {@link #x0FromEps(NDArray, NDArray, double)} at time index {@code t} of {@code schedule}. */
    public static NDArray x0FromEps(NoiseSchedule schedule, NDArray xt, NDArray eps, int t) {
        return x0FromEps(xt, eps, schedule.alphaBar(t));
    }

    /**
     * The inverse of Tweedie: {@code eps = (sqrt(1/abar) x_t - x0) / sqrt(1/abar - 1)}, the noise consistent
     * with {@code x_t} and a (possibly modified, e.g. clipped) estimate {@code x0}, for {@code abar} in
     * {@code (0, 1)}.
     *
     * @throws IllegalArgumentException if {@code alphaBar} is outside {@code (0, 1)} or the shapes differ
     */
    public static NDArray epsFromX0(NDArray xt, NDArray x0, double alphaBar) {
        if (!(alphaBar > 0 && alphaBar < 1)) {
            throw new IllegalArgumentException("eps from x0 needs abar in (0, 1), got " + alphaBar);
        }
        checkSameShape(xt, x0, "x_t", "x0");
        return Scalars.div(Scalars.mul(xt, Math.sqrt(1 / alphaBar)).sub(x0), Math.sqrt(1 / alphaBar - 1));
    }

    /** {@link #epsFromX0(NDArray, NDArray, double)} at time index {@code t} of {@code schedule}. */
    public static NDArray epsFromX0(NoiseSchedule schedule, NDArray xt, NDArray x0, int t) {
        return epsFromX0(xt, x0, schedule.alphaBar(t));
    }

    static void checkSameShape(NDArray a, NDArray b, String nameA, String nameB) {
        if (!a.getShape().equals(b.getShape())) {
            throw new IllegalArgumentException(nameA + " has shape " + a.getShape() + " but " + nameB
                    + " has shape " + b.getShape() + "; they must match");
        }
        if (a.getDataType() != b.getDataType()) {
            throw new IllegalArgumentException(nameA + " is " + a.getDataType() + " but " + nameB + " is "
                    + b.getDataType() + "; they must match");
        }
    }
}
