package org.diffinv.util;

/**
 * Whether the calling thread is inside one of the kit's gradient recordings: the scalar objectives that
 * {@code Guidance} and {@code Autograd} record and then back-propagate, each in its own DJL gradient collector.
 *
 * <p>It lets the cost ledger tell a vector-Jacobian product through the autoencoder from a plain call: a decoder or
 * encoder call made while a recording is open is on the tape of a loss that is back-propagated at the end of that
 * recording (the kit records only what it differentiates), so it costs a forward and a backward pass. DJL's
 * {@code NDArray.hasGradient()} cannot say this for the decoder's input, which is derived from the marked leaf
 * (see {@code CostMeter}'s VJP notes).
 *
 * <p>Per thread, and nestable (a depth count), although DJL allows one open collector at a time.
 */
public final class GradientRecording {

    private static final ThreadDepth DEPTH = new ThreadDepth();

    private GradientRecording() {
    }

    /** An open recording; closing it ends it on this thread. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /** Marks the calling thread as recording until the returned scope is closed (use try-with-resources). */
    public static Scope open() {
        return DEPTH.enter()::run;
    }

    /** Whether a recording is open on the calling thread. */
    public static boolean active() {
        return DEPTH.inside();
    }
}
