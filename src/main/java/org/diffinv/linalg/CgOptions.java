package org.diffinv.linalg;

/**
 * Options of one conjugate-gradient solve, passed per call (never stored on an operator).
 *
 * @param maxIterations the most CG iterations
 * @param relativeTolerance stop when the residual norm falls below this fraction of the right-hand side's
 */
public record CgOptions(int maxIterations, double relativeTolerance) {
    /** Defaults for float32 work in solvers: 100 iterations, tolerance 1e-6. */
    public static final CgOptions DEFAULT = new CgOptions(100, 1e-6);

    /** Tight options for double-precision tests: 2000 iterations, tolerance 1e-13. */
    public static final CgOptions EXACT = new CgOptions(2000, 1e-13);

    public CgOptions {
        if (maxIterations < 1) {
            throw new IllegalArgumentException("maxIterations must be at least 1, got " + maxIterations);
        }
        if (!(relativeTolerance > 0) || relativeTolerance >= 1) {
            throw new IllegalArgumentException("relativeTolerance must be in (0, 1), got " + relativeTolerance);
        }
    }
}
