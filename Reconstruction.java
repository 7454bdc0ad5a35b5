package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import org.diffinv.diffusion.ReverseLoop.Snapshot;
import org.diffinv.metrics.Cost;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The result of one solve: the estimate {@code xHat}, the recorded trajectory and the cost ledger of the solve
 * (NFE, network VJPs, operator calls by kind, encoder / decoder calls, wall time, peak memory).
 *
 * <p>The arrays live on the manager of the problem's measurement {@code y}; close the reconstruction (or that
 * manager) to release them.
 *
 * @param method the solver's name and parameters, e.g. {@code "dps(zeta=0.3, p=1, ddpm(start=999))"}
 * @param xHat the estimate, shape {@code (N, C, H, W)} of the problem's image batch
 * @param trajectory snapshots of {@code (x_t, x0Hat)} at the steps the run asked for, in step order
 * @param cost what the solve cost
 */
public record Reconstruction(String method, NDArray xHat, List<Snapshot> trajectory, Cost cost)
        implements AutoCloseable {

    /** Keeps an unmodifiable copy of the trajectory. */
    public Reconstruction {
        trajectory = Collections.unmodifiableList(new ArrayList<>(trajectory));
    }

    /** Releases {@code xHat} and every snapshot. */
    @Override
    public void close() {
        xHat.close();
        trajectory.forEach(Snapshot::close);
    }
}
