package org.diffinv.util;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import java.util.Objects;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * DJL memory discipline for iterative loops: run one step in a fresh sub-manager and keep only what the loop
 * carries to the next step.
 *
 * <p>A sampler or solver step creates many temporaries ({@code eps}, {@code x0Hat}, noise, gradients). DJL frees
 * native memory only when the owning {@link NDManager} closes, so a loop of 1,000 steps that creates them in one
 * long-lived manager keeps all of them alive until the end. {@link #step(NDArray, UnaryOperator)} does, per step:
 * <ol>
 *   <li>open {@code s = parent.newSubManager()}, where {@code parent} is the manager owning the carried tensor;</li>
 *   <li>move the carried tensor into {@code s} (so every result of an operation whose first operand is the carried
 *       tensor, or anything derived from it, is also owned by {@code s});</li>
 *   <li>run the step;</li>
 *   <li>attach the returned tensor to {@code parent} and close {@code s}, which frees the previous carried tensor
 *       and every temporary.</li>
 * </ol>
 *
 * <p><b>DJL ownership rule</b> to keep in mind inside a step: the result of {@code a.op(b)} belongs to the manager
 * of {@code a}, the <em>first</em> operand. Write {@code x.mul(c)}, not {@code c.mul(x)}, when {@code c} is a
 * constant owned by a long-lived manager; otherwise the result lands in that long-lived manager and leaks until it
 * closes. Arrays created explicitly inside the step should use {@code x.getManager()} (the sub-manager). The kit's
 * memory test ({@code MemoryDisciplineTest}) counts live arrays to catch such leaks.
 *
 * <p>Not thread-safe per carried tensor; different loops on different threads each use their own tensors.
 */
public final class Scopes {

    private Scopes() {
    }

    /**
     * Runs one step {@code x_next = f(x)} of a carried-state loop in a sub-manager and frees everything except
     * {@code x_next}, which is attached to the manager that owned {@code x}.
     *
     * <p>The input {@code carried} is consumed: it is closed when the step ends unless the step returns it
     * (use {@link #stepKeeping} to keep it).
     *
     * @param carried the tensor carried into the step (any shape); its manager becomes the parent
     * @param step the step; may create any temporaries; must return a tensor (not null)
     * @return the carried tensor for the next step, owned by the parent manager
     * @throws IllegalArgumentException if {@code carried} is closed or the step returns null
     */
    public static NDArray step(NDArray carried, UnaryOperator<NDArray> step) {
        return run(carried, step, false);
    }

    /**
     * Like {@link #step(NDArray, UnaryOperator)} but the input survives the step (it is only temporarily attached
     * to the sub-manager and returns to its owner afterwards). Use it for the first step of a loop when the caller
     * still needs the initial tensor (e.g. to display {@code x_T}).
     */
    public static NDArray stepKeeping(NDArray carried, UnaryOperator<NDArray> step) {
        return run(carried, step, true);
    }

    /**
     * Runs one step over a carried list of tensors (e.g. {@code x}, and Adam moments {@code m}, {@code v}) in a
     * sub-manager of the first tensor's manager; the returned list is attached to that manager and everything
     * else created in the step, including the previous carried tensors, is freed.
     *
     * @param carried the carried tensors, all owned by the same manager, at least one
     * @param step the step; must return a non-null list
     * @return the carried list for the next step
     * @throws IllegalArgumentException if {@code carried} is empty, its tensors have different managers, or the
     *     step returns null
     */
    public static NDList step(NDList carried, Function<NDList, NDList> step) {
        Objects.requireNonNull(step, "step");
        if (carried == null || carried.isEmpty()) {
            throw new IllegalArgumentException("carried list must hold at least one tensor, got "
                    + (carried == null ? "null" : "an empty list"));
        }
        NDManager parent = carried.get(0).getManager();
        for (int i = 1; i < carried.size(); i++) {
            if (carried.get(i).getManager() != parent) {
                throw new IllegalArgumentException("carried tensor " + i + " is owned by manager "
                        + carried.get(i).getManager().getName() + " but tensor 0 by " + parent.getName()
                        + "; all carried tensors must share one manager");
            }
        }
        requireOpen(parent);
        try (NDManager s = parent.newSubManager()) {
            carried.attach(s);
            NDList next = step.apply(carried);
            if (next == null) {
                throw new IllegalArgumentException("step returned null; it must return the carried tensors");
            }
            next.attach(parent);
            return next;
        }
    }

    /**
     * Evaluates {@code f} with a fresh sub-manager of {@code parent} and closes it afterwards; use it for work
     * whose result is plain Java data (a metric value, an image), so no tensor outlives the call.
     *
     * @param parent the manager to open a sub-manager of
     * @param f the computation; it must not return tensors owned by the sub-manager (they are closed)
     * @param <R> the result type
     * @return what {@code f} returned
     */
    public static <R> R compute(NDManager parent, Function<NDManager, R> f) {
        Objects.requireNonNull(f, "f");
        requireOpen(parent);
        try (NDManager s = parent.newSubManager()) {
            return f.apply(s);
        }
    }

    private static NDArray run(NDArray carried, UnaryOperator<NDArray> step, boolean keep) {
        Objects.requireNonNull(step, "step");
        if (carried == null) {
            throw new IllegalArgumentException("carried tensor is null");
        }
        NDManager parent = carried.getManager();
        requireOpen(parent);
        try (NDManager s = parent.newSubManager()) {
            if (keep) {
                carried.tempAttach(s);
            } else {
                carried.attach(s);
            }
            NDArray next = step.apply(carried);
            if (next == null) {
                throw new IllegalArgumentException("step returned null; it must return the carried tensor");
            }
            if (keep && next == carried) {
                return next; // returns to its owner when s closes
            }
            next.attach(parent);
            return next;
        }
    }

    private static void requireOpen(NDManager parent) {
        if (parent == null || !parent.isOpen()) {
            throw new IllegalArgumentException("the carried tensor's manager "
                    + (parent == null ? "is null" : parent.getName() + " is closed") + "; expected an open manager");
        }
    }
}
