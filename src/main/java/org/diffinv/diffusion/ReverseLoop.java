package org.diffinv.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDManager;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * The one reverse-diffusion loop of the kit, shared by every sampler and solver: it walks a {@link TimeGrid}
 * from its noisiest pair down and applies a {@link StepRule} to each pair {@code (t, tPrev)}.
 *
 * <p>What the loop owns, so that no sampler or solver repeats it:
 * <ul>
 *   <li>memory: every step runs in its own sub-manager of the start point's manager; only the new iterate
 *       (and the snapshots asked for) survive the step, so a long run keeps a flat number of live arrays. Arrays
 *       a step makes on the start point's manager itself (DJL puts a result on its first operand's manager, so
 *       {@code constant.sub(x_t)} lands there) are step temporaries too and are closed when the step ends;</li>
 *   <li>interruption: the thread's interrupt flag is checked before every step
 *       ({@link SamplingInterruptedException}, the partial iterate released);</li>
 *   <li>progress: a {@link SamplerListener} sees every step's {@link StepResult};</li>
 *   <li>trajectories: at the step indices chosen by {@code recordAt}, copies of the step's input {@code x_t}
 *       and of its {@code x0Hat} are kept as {@link Snapshot}s on the start point's manager.</li>
 * </ul>
 * A step rule is a pure function of the current iterate and the grid pair; it may draw noise from a
 * {@link NoiseSource} it holds, open one gradient collector, and create any temporaries: they are released
 * when the step ends.
 */
public final class ReverseLoop {

    private ReverseLoop() {
    }

    /** One step of a sampler or solver: from {@code x_t} at grid pair {@code step} to {@code x_tPrev}. */
    @FunctionalInterface
    public interface StepRule {
        /**
         * Computes step {@code index} of the grid. {@code xt} lives on the step's sub-manager and must not be
         * closed; the returned arrays must live there too (they do when they are computed from {@code xt}).
         */
        StepResult step(int index, TimeGrid.Step step, NDArray xt);
    }

    /**
     * One recorded point of a trajectory: the input {@code x_t} of step {@code index} (time index {@code t}) and the
     * estimate {@code x0Hat} that step produced. Owned by the loop's caller (close with the run's result).
     */
    public record Snapshot(int index, int t, NDArray xt, NDArray x0Hat) implements AutoCloseable {
        /** Releases both arrays. */
        @Override
        public void close() {
            xt.close();
            x0Hat.close();
        }
    }

    /** The loop's outcome: the final iterate and the recorded snapshots, both on the start point's manager. */
    public record Result(NDArray x, List<Snapshot> trajectory) {
        /** Keeps an unmodifiable copy of the trajectory. */
        public Result {
            trajectory = Collections.unmodifiableList(new ArrayList<>(trajectory));
        }
    }

    private static Set<NDArray> managedArrays(NDManager manager) {
        Set<NDArray> set = Collections.newSetFromMap(new IdentityHashMap<>());
        if (manager instanceof BaseNDManager base) {
            set.addAll(base.getManagedArrays());
        }
        return set;
    }

    /**
     * Closes what a step created on the long-lived manager: an operation whose first operand is a long-lived
     * constant (a solver's {@code U^T y}, a mask) puts its result there, not on the step's sub-manager. Everything
     * new on {@code parent} after a step, except the new iterate and the snapshots, is such a temporary.
     */
    private static void releaseStepLeftovers(NDManager parent, Set<NDArray> before, NDArray x,
            List<Snapshot> trajectory) {
        if (!(parent instanceof BaseNDManager base)) {
            return;
        }
        Set<NDArray> keep = Collections.newSetFromMap(new IdentityHashMap<>());
        keep.add(x);
        for (Snapshot s : trajectory) {
            keep.add(s.xt());
            keep.add(s.x0Hat());
        }
        for (NDArray a : base.getManagedArrays()) {
            if (!before.contains(a) && !keep.contains(a) && !a.isReleased() && a.getManager() == parent) {
                a.close();
            }
        }
    }

    /** A {@code recordAt} policy that records nothing. */
    public static IntPredicate recordNone() {
        return i -> false;
    }

    /**
     * A {@code recordAt} policy that records {@code count} snapshots spread evenly over a run of {@code total}
     * steps, always including the first and the last step ({@code count >= 2}), or the first only when
     * {@code count == 1}.
     */
    public static IntPredicate recordEvenly(int count, int total) {
        if (count < 0 || total < 1) {
            throw new IllegalArgumentException("recordEvenly needs count >= 0 and total >= 1, got count " + count
                    + ", total " + total);
        }
        if (count == 0) {
            return recordNone();
        }
        boolean[] keep = new boolean[total];
        if (count == 1) {
            keep[0] = true;
        } else {
            for (int k = 0; k < count; k++) {
                keep[(int) Math.round(k * (total - 1) / (double) (count - 1))] = true;
            }
        }
        return i -> i >= 0 && i < total && keep[i];
    }

    /**
     * Runs {@code rule} over every pair of {@code grid}, starting from {@code xStart} at time
     * {@link TimeGrid#startTime()}. {@code xStart} is neither modified nor closed.
     *
     * @param recordAt which step indices to snapshot ({@link #recordNone()} for none)
     * @return the final iterate and the snapshots, on {@code xStart}'s manager
     * @throws SamplingInterruptedException when the thread is interrupted between steps
     */
    public static Result run(TimeGrid grid, NDArray xStart, StepRule rule, SamplerListener listener,
            IntPredicate recordAt) {
        Objects.requireNonNull(grid, "grid");
        Objects.requireNonNull(xStart, "xStart");
        Objects.requireNonNull(rule, "rule");
        if (listener == null) {
            throw new IllegalArgumentException("listener must not be null; use SamplerListener.none()");
        }
        Objects.requireNonNull(recordAt, "recordAt");
        NDManager parent = xStart.getManager();
        List<Snapshot> trajectory = new ArrayList<>();
        NDArray x = xStart.duplicate();
        int total = grid.size();
        try {
            for (int i = 0; i < total; i++) {
                TimeGrid.Step step = grid.step(i);
                if (Thread.currentThread().isInterrupted()) {
                    throw new SamplingInterruptedException(i, total, step.t());
                }
                Set<NDArray> before = managedArrays(parent);
                try (NDManager sub = parent.newSubManager()) {
                    x.attach(sub);
                    StepResult result = rule.step(i, step, x);
                    if (recordAt.test(i)) {
                        NDArray xt = x.duplicate();
                        NDArray x0Hat = result.x0Hat().duplicate();
                        xt.attach(parent);
                        x0Hat.attach(parent);
                        trajectory.add(new Snapshot(i, step.t(), xt, x0Hat));
                    }
                    listener.onStep(i, total, step, result);
                    x = result.xPrev();
                    x.attach(parent);
                }
                releaseStepLeftovers(parent, before, x, trajectory);
            }
        } catch (RuntimeException | Error e) {
            x.close();
            trajectory.forEach(Snapshot::close);
            throw e;
        }
        return new Result(x, trajectory);
    }
}
