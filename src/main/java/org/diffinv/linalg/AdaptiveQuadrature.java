package org.diffinv.linalg;

import java.util.function.DoubleUnaryOperator;

/**
 * Adaptive Gauss-Kronrod quadrature (7-point Gauss, 15-point Kronrod; Kronrod 1965, the QUADPACK QK15 rule) in
 * double precision: an interval whose two estimates differ by more than its share of the tolerance is halved, up to
 * a depth limit. For the smooth one-dimensional integrands of the conjugate integrators (C-PiGDM's Phi coefficients).
 */
public final class AdaptiveQuadrature {

    private static final double[] XK = {0.991455371120812639, 0.949107912342758525, 0.864864423359769073,
        0.741531185599394440, 0.586087235467691130, 0.405845151377397167, 0.207784955007898468, 0.0};
    private static final double[] WK = {0.022935322010529225, 0.063092092629978553, 0.104790010322250184,
        0.140653259715525919, 0.169004726639267903, 0.190350578064785410, 0.204432940075298892,
        0.209482141084727828};
    private static final double[] WG = {0.129484966168869693, 0.279705391489276668, 0.381830050505118945,
        0.417959183673469388};
    private static final int MAX_DEPTH = 50;

    private AdaptiveQuadrature() {
    }

    /**
     * {@code int_a^b f(t) dt} to within {@code max(absTol, relTol |integral|)} (estimated by the Gauss-Kronrod
     * difference); {@code a > b} gives the negative of the integral over {@code [b, a]}.
     *
     * @throws IllegalArgumentException on non-finite bounds or tolerances that are not positive
     * @throws ArithmeticException when the integrand is not finite somewhere or the tolerance is not reached within
     *     the depth limit
     */
    public static double integrate(DoubleUnaryOperator f, double a, double b, double absTol, double relTol) {
        if (!Double.isFinite(a) || !Double.isFinite(b)) {
            throw new IllegalArgumentException("integration bounds must be finite, got [" + a + ", " + b + "]");
        }
        if (!(absTol > 0) || !(relTol > 0)) {
            throw new IllegalArgumentException("tolerances must be > 0, got absTol " + absTol + ", relTol " + relTol);
        }
        if (a == b) {
            return 0;
        }
        if (a > b) {
            return -integrate(f, b, a, absTol, relTol);
        }
        double[] whole = rule(f, a, b);
        double tol = Math.max(absTol, relTol * Math.abs(whole[0]));
        return refine(f, a, b, whole, tol, 0);
    }

    private static double refine(DoubleUnaryOperator f, double a, double b, double[] estimate, double tol, int depth) {
        if (estimate[1] <= tol) {
            return estimate[0];
        }
        if (depth >= MAX_DEPTH) {
            throw new ArithmeticException("adaptive quadrature did not reach " + tol + " on [" + a + ", " + b
                    + "] within " + MAX_DEPTH + " halvings (error estimate " + estimate[1] + ")");
        }
        double m = 0.5 * (a + b);
        double[] left = rule(f, a, m);
        double[] right = rule(f, m, b);
        return refine(f, a, m, left, tol / 2, depth + 1) + refine(f, m, b, right, tol / 2, depth + 1);
    }

    /** {Kronrod estimate, |Kronrod - Gauss|} on [a, b]. */
    private static double[] rule(DoubleUnaryOperator f, double a, double b) {
        double c = 0.5 * (a + b);
        double h = 0.5 * (b - a);
        double fc = value(f, c);
        double kronrod = WK[7] * fc;
        double gauss = WG[3] * fc;
        for (int i = 0; i < 7; i++) {
            double f1 = value(f, c - h * XK[i]);
            double f2 = value(f, c + h * XK[i]);
            kronrod += WK[i] * (f1 + f2);
            if (i % 2 == 1) {
                gauss += WG[i / 2] * (f1 + f2);
            }
        }
        return new double[] {kronrod * h, Math.abs((kronrod - gauss) * h)};
    }

    private static double value(DoubleUnaryOperator f, double t) {
        double v = f.applyAsDouble(t);
        if (!Double.isFinite(v)) {
            throw new ArithmeticException("the integrand is " + v + " at t = " + t + "; expected a finite value");
        }
        return v;
    }
}
