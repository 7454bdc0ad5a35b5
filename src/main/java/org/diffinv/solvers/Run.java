package org.diffinv.solvers;

import org.diffinv.diffusion.NoiseSource;
import org.diffinv.diffusion.ReverseLoop;
import org.diffinv.diffusion.SamplerListener;

import java.util.function.IntPredicate;

/**
 * How one solve runs, apart from what it solves: the seeded randomness, a progress listener and which steps of the
 * reverse loop to keep as a trajectory. Immutable; {@code withX} copies.
 *
 * <p>All randomness of a solve comes from {@code noise}: the same seed gives bit-identical output.
 *
 * @param noise the source of every random draw of the solve
 * @param listener called after every reverse step ({@link SamplerListener#none()} for none)
 * @param snapshots how many snapshots of {@code (x_t, x0Hat)} to keep, spread evenly over the run's steps
 *     (first and last included), 0 for none
 */
public record Run(NoiseSource noise, SamplerListener listener, int snapshots) {

    /** Validates the fields. */
    public Run {
        if (noise == null) {
            throw new IllegalArgumentException("a run needs a NoiseSource (use Run.seeded(seed)), got null");
        }
        if (listener == null) {
            throw new IllegalArgumentException("listener must not be null; use SamplerListener.none()");
        }
        if (snapshots < 0) {
            throw new IllegalArgumentException("snapshot count must be >= 0, got " + snapshots);
        }
    }

    /** A run with noise seeded by {@code seed}, no listener and no trajectory. */
    public static Run seeded(long seed) {
        return new Run(NoiseSource.seeded(seed), SamplerListener.none(), 0);
    }

    /** This run keeping {@code count} evenly spread snapshots of {@code (x_t, x0Hat)}. */
    public Run recordSnapshots(int count) {
        return new Run(noise, listener, count);
    }

    /** This run reporting every step to {@code l}. */
    public Run listen(SamplerListener l) {
        return new Run(noise, l, snapshots);
    }

    /** The snapshot policy for a loop of {@code totalSteps} steps. */
    IntPredicate recordAt(int totalSteps) {
        return ReverseLoop.recordEvenly(Math.min(snapshots, totalSteps), totalSteps);
    }
}
