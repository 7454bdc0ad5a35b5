package org.diffinv.priors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.util.Scalars;

/**
 * A consistency function {@code f(x_t, t)} (Song, Dhariwal, Chen and Sutskever, "Consistency models", ICML 2023,
 * Definition 1): the map from a point {@code x_t} of a probability-flow ODE trajectory of the prior to the
 * trajectory's origin {@code x_0}, with the boundary condition {@code f(x, 0) = x} (up to the schedule's first noise
 * level). Here in the VP coordinates of the kit's discrete schedules, {@code x_t = sqrt(abar_t) x_0 + sqrt(1 -
 * abar_t) eps}, at integer time indices.
 */
public interface ConsistencyFunction {

    /** The discrete noise schedule whose time indices {@code t} this function takes. */
    NoiseSchedule schedule();

    /**
     * {@code f(x_t, t)}: the estimate of the trajectory's origin {@code x_0} (same shape as {@code x_t}, unclipped).
     *
     * @throws IllegalArgumentException on a shape the function does not take or {@code t} outside the schedule
     */
    NDArray x0(NDArray xt, int t);

    /**
     * {@code n} samples by the consistency-model paper's Algorithm 1 (multistep consistency sampling) over the
     * strictly descending time indices {@code times}: {@code x_0 = f(z, times[0])} from {@code z ~ N(0, I)} (one
     * step; {@code times[0]} near {@code T - 1}, where {@code x_t} is nearly pure noise), then for each further
     * {@code tau}, {@code x_tau = sqrt(abar_tau) x_0 + sqrt(1 - abar_tau) z'} and {@code x_0 = f(x_tau, tau)}. The
     * result is FLOAT32 on {@code manager}.
     *
     * @throws IllegalArgumentException when {@code times} is empty, not strictly descending or outside the schedule
     */
    default NDArray sample(NDManager manager, int n, Shape imageShape, NoiseSource noise, int... times) {
        if (times == null || times.length == 0) {
            throw new IllegalArgumentException("consistency sampling needs at least one time index");
        }
        for (int i = 0; i < times.length; i++) {
            if (times[i] < 0 || times[i] >= schedule().steps() || (i > 0 && times[i] >= times[i - 1])) {
                throw new IllegalArgumentException("consistency sampling times must descend strictly within [0, "
                        + (schedule().steps() - 1) + "], got " + java.util.Arrays.toString(times));
            }
        }
        if (n < 1) {
            throw new IllegalArgumentException("consistency sampling needs n >= 1 samples, got " + n);
        }
        Shape shape = new Shape(n).addAll(imageShape);
        NDArray x0 = null;
        try (NDManager scope = manager.newSubManager()) {
            for (int i = 0; i < times.length; i++) {
                int t = times[i];
                NDArray z = noise.normal(scope, shape, DataType.FLOAT32);
                double ab = schedule().alphaBar(t);
                NDArray xt = i == 0 ? z : Scalars.mul(x0, Math.sqrt(ab)).add(Scalars.mul(z, Math.sqrt(1 - ab)));
                x0 = x0(xt, t);
            }
            x0.attach(manager);
        }
        return x0;
    }
}
