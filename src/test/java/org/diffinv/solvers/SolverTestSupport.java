package org.diffinv.solvers;

/** Helpers shared by the solver tests. */
final class SolverTestSupport {

    private SolverTestSupport() {
    }

    /** The root-mean-square difference of two equally long vectors. */
    static double rms(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return Math.sqrt(s / a.length);
    }
}
