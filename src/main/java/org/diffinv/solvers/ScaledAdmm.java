package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import org.diffinv.diffusion.SamplingInterruptedException;
import org.diffinv.util.Scopes;

/**
 * Scaled-form ADMM (Boyd, Parikh, Chu, Peleato and Eckstein 2011, "Distributed optimization and statistical learning
 * via the alternating direction method of multipliers", Section 3.1.1) for {@code min_x f(x) + g(C x)} with the split
 * {@code z = C x} and the scaled dual {@code u}:
 * <pre>
 *   x_{k+1} = argmin_x f(x) + rho/2 ||C x - (z_k - u_k)||^2          (the x-update)
 *   z_{k+1} = prox_{g/rho}(C x_{k+1} + u_k)                           (the z-update)
 *   u_{k+1} = u_k + C x_{k+1} - z_{k+1}
 * </pre>
 * The one ADMM loop of the kit, shared by {@link AdmmTv} ({@code C} the discrete gradient, {@code g} the isotropic TV)
 * and {@link PnpAdmm} ({@code C = I}, the z-update a denoiser). Each iteration runs in its own sub-manager
 * ({@link Scopes#step(NDList, java.util.function.Function)}), so only {@code (x, z, u)} survive it; the thread's
 * interrupt flag is checked before every iteration.
 */
final class ScaledAdmm {

    /** The method-specific parts of one ADMM iteration. */
    interface Steps {
        /**
         * The x-update: {@code argmin_x f(x) + rho/2 ||C x - v||^2} with {@code v = z - u}, started from {@code xPrev};
         * iteration {@code k} (from 0).
         */
        NDArray xUpdate(NDArray xPrev, NDArray v, int k);

        /** The split map {@code C x}. */
        NDArray split(NDArray x);

        /** The z-update: {@code prox_{g/rho}(w)} with {@code w = C x + u}; iteration {@code k} (from 0). */
        NDArray zUpdate(NDArray w, int k);
    }

    private ScaledAdmm() {
    }

    /**
     * Runs {@code iterations} ADMM iterations from {@code x0} with {@code z0 = C x0}, {@code u0 = 0}.
     *
     * @param x0 the starting point (not closed); its manager receives the result
     * @param steps the method's updates
     * @param iterations the number {@code K} of iterations, at least 1
     * @param afterIteration called with {@code k} after iteration {@code k} (progress, memory probes)
     * @return the last {@code x}, on {@code x0}'s manager
     * @throws SamplingInterruptedException when the thread is interrupted between iterations
     */
    static NDArray run(NDArray x0, Steps steps, int iterations, java.util.function.IntConsumer afterIteration) {
        if (iterations < 1) {
            throw new IllegalArgumentException("ADMM needs at least 1 iteration, got " + iterations);
        }
        NDArray z0 = steps.split(x0);
        NDList state = new NDList(x0.duplicate(), z0, z0.zerosLike());
        for (int k = 0; k < iterations; k++) {
            if (Thread.currentThread().isInterrupted()) {
                state.close();
                throw new SamplingInterruptedException(k, iterations, -1);
            }
            int iteration = k;
            state = Scopes.step(state, s -> {
                NDArray x = s.get(0);
                NDArray z = s.get(1);
                NDArray u = s.get(2);
                NDArray xNext = steps.xUpdate(x, z.sub(u), iteration);
                NDArray w = steps.split(xNext).add(u);
                NDArray zNext = steps.zUpdate(w, iteration);
                NDArray uNext = w.sub(zNext);
                return new NDList(xNext, zNext, uNext);
            });
            afterIteration.accept(k);
        }
        NDArray x = state.get(0);
        state.get(1).close();
        state.get(2).close();
        return x;
    }
}
