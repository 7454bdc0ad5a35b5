package org.diffinv.operators;

/**
 * Boundary handling of the blur and resampling operators: how an index outside {@code [0, n)} maps back into
 * the signal.
 */
public enum Padding {
    /** Mirror without repeating the edge sample, {@code x[-1] = x[1]} (PyTorch {@code 'reflect'}, used by DPS blurs). */
    REFLECT,
    /** Mirror repeating the edge sample, {@code x[-1] = x[0]} (MATLAB {@code 'symmetric'}, used by {@code imresize}). */
    SYMMETRIC,
    /** Zeros outside the signal (the DDRM separable deblurring operator). */
    ZERO;

    /**
     * The source index of position {@code i} of a signal of length {@code n}, or -1 for a zero sample.
     * Reflections repeat periodically, so any {@code i} is valid ({@code REFLECT} needs {@code n >= 2} when
     * {@code i} is outside).
     */
    public int index(int i, int n) {
        if (i >= 0 && i < n) {
            return i;
        }
        switch (this) {
            case ZERO:
                return -1;
            case SYMMETRIC: {
                int period = 2 * n;
                int j = Math.floorMod(i, period);
                return j < n ? j : period - 1 - j;
            }
            case REFLECT: {
                if (n < 2) {
                    throw new IllegalArgumentException("reflect padding needs a signal of length >= 2, got " + n);
                }
                int period = 2 * (n - 1);
                int j = Math.floorMod(i, period);
                return j < n ? j : period - j;
            }
            default:
                throw new AssertionError(this);
        }
    }
}
