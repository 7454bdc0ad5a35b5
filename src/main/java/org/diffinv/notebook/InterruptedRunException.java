package org.diffinv.notebook;

/**
 * Thrown by {@link Progress} (and {@link Progress#checkInterrupted()}) when the running thread was interrupted,
 * e.g. by a notebook's "interrupt kernel" (JJava interrupts the cell's thread): the loop stops at the next step
 * with this unchecked exception, so try-with-resources closes DJL managers on the way out. The thread's interrupt
 * flag is cleared when this is thrown, so the next cell starts clean.
 */
public final class InterruptedRunException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** An exception with a message saying what was interrupted and where. */
    public InterruptedRunException(String message) {
        super(message);
    }
}
