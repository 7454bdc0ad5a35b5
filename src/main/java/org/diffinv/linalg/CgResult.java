package org.diffinv.linalg;

import ai.djl.ndarray.NDArray;

import java.util.Arrays;

/**
 * The outcome of one batched conjugate-gradient solve.
 *
 * @param solution the approximate solution {@code x}, shape of the right-hand side {@code b}
 * @param iterations the number of CG iterations run (the largest over the batch; each sample stops on its
 *     own tolerance)
 * @param relativeResiduals per sample {@code ||b - M x|| / ||b||} of the recursively updated residual at
 *     exit (0 for a sample whose {@code b} is zero)
 * @param converged whether every sample reached the relative tolerance within the iteration budget
 */
public record CgResult(NDArray solution, int iterations, double[] relativeResiduals, boolean converged) {
    /** Copies the residual array so the record stays immutable. */
    public CgResult {
        relativeResiduals = relativeResiduals.clone();
    }

    /** Per-sample relative residuals (a copy). */
    @Override
    public double[] relativeResiduals() {
        return relativeResiduals.clone();
    }

    /** The largest relative residual over the batch. */
    public double maxRelativeResidual() {
        return Arrays.stream(relativeResiduals).max().orElse(0);
    }

    @Override
    public String toString() {
        return "CgResult[iterations=" + iterations + ", maxRelativeResidual=" + maxRelativeResidual()
                + ", converged=" + converged + "]";
    }
}
