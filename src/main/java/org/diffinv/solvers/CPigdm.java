package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import org.diffinv.diffusion.ContinuousTimeGrid;
import org.diffinv.diffusion.ContinuousVpSchedule;
import org.diffinv.diffusion.StepResult;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.linalg.AdaptiveQuadrature;
import org.diffinv.operators.SvdOperator;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.DoubleUnaryOperator;

/**
 * C-PiGDM, noiseless (Pandey, Rudolph, Mandt et al., "Fast samplers for inverse problems in iterative refinement
 * models", conjugate integrators for PiGDM; the slides in ../shared/papers and the spec's section 2): PiGDM's guided
 * probability-flow ODE in the continuous VP view of the discrete prior ({@code beta(t) = 0.1 + 19.9 t}, network index
 * {@code floor(999 t)}), integrated in the conjugate variable {@code xb = A_t x} with
 * <pre>
 *   A_t = kappa1(t) (I + kappa2(t) P),  P = H^+ H,  kappa1 = e^{c1},  kappa2 = e^{c2} - 1,
 *   c1(t) = lambda t + b(t)/2,  c2(t) = -w b(t)/2,   A_t^{-1} = e^{-c1} (I + (e^{-c2} - 1) P)
 * </pre>
 * so that the linear part of the ODE is absorbed exactly and each step only integrates scalar coefficients:
 * <pre>
 *   x = mu(t_0) H^+ y + sig(t_0) z;  xb = A_{t_0} x
 *   per interval [t_{n+1}, t_n]:
 *     e  = eps_theta(x, floor(999 t_n));  x0 = (x - sig e)/mu;  m = stopgrad(H^+ y - P x0)
 *     gj = grad_x <m, e>                                              (VJP of eps through the network)
 *     xb = xb - lambda xb (t_n - t_{n+1}) + dPhi_y H^+ y + dPhi_s1 e + dPhi_s2 P e + dPhi_j1 gj + dPhi_j2 P gj
 *     x  = A_{t_{n+1}}^{-1} xb
 *   phi_y  = -w beta mu e^{c1+c2} / 2          phi_s1 = beta e^{c1} / (2 (sig + eps_num))
 *   phi_s2 = beta e^{c1} (e^{c2} - 1) / (2 (sig + eps_num)) - w beta sig e^{c1+c2} / 2
 *   phi_j1 = w beta e^{c1} sig mu / 2          phi_j2 = w beta sig e^{c1} (e^{c2} - 1) mu / 2
 *   dPhi_k = int_{t_n}^{t_{n+1}} phi_k dt   (adaptive Gauss-Kronrod, abs/rel tolerance 1e-12, cached per grid and w, lambda)
 * </pre>
 * With {@code w = 0} and {@code lambda = 0} ({@code eps_num = 0}) the update is DDIM exactly: {@code dPhi_s1} is the
 * change of {@code sig/mu} over the interval. Grid: the reference's {@code t_n = 1 - linspace(0.6, 0.999, N + 1)}
 * (0.4 to 0.001, {@link ContinuousTimeGrid#cPigdm}). Defaults {@code w = 15}, {@code lambda = 0}, {@code N = 5},
 * {@code eps_num = 1e-6} (the spec's; per-task values UNVERIFIED). The trajectory's snapshots record the conjugate
 * variable {@code xb}, not {@code x}. SVD tier ({@code H^+} and {@code P} in closed form). The noisy variant (the
 * spec's {@code c3 Q} term) is not implemented yet: this noiseless form builds its warm start and guidance on
 * {@code H^+ y}, which amplifies measurement noise by the inverse of the smallest singular value, so on noisy
 * deblurring it fails (measured on the kit's Gaussian deblurring at sigma_y = 0.05: 4.6 dB, as MCG and Score-SDE).
 */
public final class CPigdm implements Solver<SvdOperator> {

    /**
     * Hyperparameters.
     *
     * @param steps the number {@code N} of steps (= NFE)
     * @param w the guidance weight
     * @param lambda the conjugate transform's {@code B_t = lambda I}
     * @param epsNum the numerical floor added to {@code sig} in the coefficients
     */
    public record Params(int steps, double w, double lambda, double epsNum) {
        /** Validates the values. */
        public Params {
            if (steps < 1) {
                throw new IllegalArgumentException("C-PiGDM needs at least 1 step, got " + steps);
            }
            if (!(w >= 0) || !Double.isFinite(w) || !Double.isFinite(lambda) || !(epsNum >= 0)) {
                throw new IllegalArgumentException("C-PiGDM needs finite w >= 0, finite lambda and epsNum >= 0, got w "
                        + w + ", lambda " + lambda + ", epsNum " + epsNum);
            }
        }

        /** The spec's defaults: N = 5, w = 15, lambda = 0, eps_num = 1e-6. */
        public static Params paper(TaskKind kind) {
            return new Params(5, 15, 0, 1e-6);
        }

        /** A copy with {@code n} steps. */
        public Params withSteps(int n) {
            return new Params(n, w, lambda, epsNum);
        }

        /** A copy with guidance weight {@code w}. */
        public Params withW(double w) {
            return new Params(steps, w, lambda, epsNum);
        }

        /** A copy with {@code eps_num}. */
        public Params withEpsNum(double epsNum) {
            return new Params(steps, w, lambda, epsNum);
        }
    }

    /** The integrated coefficients of one interval {@code [t_{n+1}, t_n]} (integrals from {@code t_n} to {@code t_{n+1}}). */
    public record Interval(double dy, double ds1, double ds2, double dj1, double dj2) {
    }

    /** The quadrature's absolute and relative tolerance. */
    public static final double TOLERANCE = 1e-12;

    private static final Map<String, Interval[]> CACHE = new ConcurrentHashMap<>();

    private final Params params;

    /** C-PiGDM with {@code params}. */
    public CPigdm(Params params) {
        if (params == null) {
            throw new IllegalArgumentException("C-PiGDM needs parameters, got null");
        }
        this.params = params;
    }

    /** The hyperparameters. */
    public Params params() {
        return params;
    }

    /** {@code c1(t) = lambda t + b(t)/2}. */
    static double c1(ContinuousVpSchedule s, Params p, double t) {
        return p.lambda() * t + 0.5 * s.b(t);
    }

    /** {@code c2(t) = -w b(t)/2}. */
    static double c2(ContinuousVpSchedule s, Params p, double t) {
        return -0.5 * p.w() * s.b(t);
    }

    /** {@code kappa1(t) = e^{c1(t)}}. */
    public static double kappa1(ContinuousVpSchedule s, Params p, double t) {
        return Math.exp(c1(s, p, t));
    }

    /** {@code kappa2(t) = e^{c2(t)} - 1}. */
    public static double kappa2(ContinuousVpSchedule s, Params p, double t) {
        return Math.expm1(c2(s, p, t));
    }

    /** The five integrands {@code phi_y, phi_s1, phi_s2, phi_j1, phi_j2} at time {@code t}. */
    public static double[] integrands(ContinuousVpSchedule s, Params p, double t) {
        double beta = s.beta(t);
        double mu = s.mu(t);
        double sig = s.sigma(t);
        double e1 = Math.exp(c1(s, p, t));
        double e2 = Math.exp(c2(s, p, t));
        double w = p.w();
        double den = sig + p.epsNum();
        return new double[] {
            -0.5 * w * beta * mu * e1 * e2,
            0.5 * beta * e1 / den,
            0.5 * beta * e1 * (e2 - 1) / den - 0.5 * w * beta * sig * e1 * e2,
            0.5 * w * beta * e1 * sig * mu,
            0.5 * w * beta * sig * e1 * (e2 - 1) * mu};
    }

    /** The integrated coefficients of every interval of {@code grid} (cached per grid, w, lambda and eps_num). */
    public static Interval[] coefficients(ContinuousTimeGrid grid, Params p) {
        String key = grid + "|" + p.w() + "|" + p.lambda() + "|" + p.epsNum();
        return CACHE.computeIfAbsent(key, k -> {
            ContinuousVpSchedule s = grid.schedule();
            Interval[] out = new Interval[grid.steps()];
            for (int n = 0; n < grid.steps(); n++) {
                double from = grid.time(n);
                double to = grid.time(n + 1);
                double[] d = new double[5];
                for (int j = 0; j < 5; j++) {
                    int jj = j;
                    DoubleUnaryOperator f = t -> integrands(s, p, t)[jj];
                    d[j] = AdaptiveQuadrature.integrate(f, from, to, TOLERANCE, TOLERANCE);
                }
                out[n] = new Interval(d[0], d[1], d[2], d[3], d[4]);
            }
            return out;
        });
    }

    /** {@code A_t x = kappa1 (x + kappa2 P x)}. */
    static NDArray transform(SvdOperator h, ContinuousVpSchedule s, Params p, double t, NDArray x) {
        return x.add(h.project(x).mul(kappa2(s, p, t))).mul(kappa1(s, p, t));
    }

    /** {@code A_t^{-1} xb = e^{-c1} (xb + (e^{-c2} - 1) P xb)}. */
    static NDArray inverse(SvdOperator h, ContinuousVpSchedule s, Params p, double t, NDArray xb) {
        return xb.add(h.project(xb).mul(Math.expm1(-c2(s, p, t)))).mul(Math.exp(-c1(s, p, t)));
    }

    @Override
    public String name() {
        return "c-pigdm";
    }

    @Override
    public String citation() {
        return "C-PiGDM, Pandey et al. (conjugate integrators for PiGDM), noiseless";
    }

    @Override
    public Class<SvdOperator> tier() {
        return SvdOperator.class;
    }

    @Override
    public NDArray reconstruct(SolveContext<SvdOperator> ctx) {
        ContinuousVpSchedule s = ContinuousVpSchedule.standard();
        if (ctx.schedule().steps() != s.networkSteps()) {
            throw new IllegalArgumentException("C-PiGDM reads the prior in continuous time with network index floor("
                    + (s.networkSteps() - 1) + " t): it needs a " + s.networkSteps() + "-step schedule, got "
                    + ctx.schedule());
        }
        ContinuousTimeGrid grid = ContinuousTimeGrid.cPigdm(s, params.steps());
        Interval[] d = coefficients(grid, params);
        int[] indices = new int[params.steps()];
        for (int n = 0; n < indices.length; n++) {
            indices[n] = grid.networkIndex(n);
        }
        TimeGrid discrete = TimeGrid.of(ctx.schedule(), -1, indices);
        SvdOperator h = ctx.a();
        NDArray hpy = h.pinv(ctx.y());
        double t0 = grid.time(0);
        NDArray x0Start = hpy.mul(s.mu(t0)).add(ctx.normal().mul(s.sigma(t0)));
        NDArray xbStart = transform(h, s, params, t0, x0Start);
        NDArray xbEnd = ctx.loop(discrete, xbStart, (n, step, xb) -> {
            double tn = grid.time(n);
            double tn1 = grid.time(n + 1);
            double mu = s.mu(tn);
            double sig = s.sigma(tn);
            NDArray x = inverse(h, s, params, tn, xb);
            NDArray[] x0 = new NDArray[1];
            Guidance.Result g = ctx.guide(x, step.t(), (eps, x0Hat) -> {
                NDArray e = eps.stopGradient();
                x0[0] = x.sub(e.mul(sig)).div(mu);
                NDArray m = hpy.sub(h.project(x0[0])).stopGradient();
                return eps.mul(m).sum();
            });
            Interval k = d[n];
            NDArray e = g.eps();
            NDArray gj = g.gradient();
            NDArray next = xb.sub(xb.mul(params.lambda() * (tn - tn1)))
                    .add(hpy.mul(k.dy()))
                    .add(e.mul(k.ds1())).add(h.project(e).mul(k.ds2()))
                    .add(gj.mul(k.dj1())).add(h.project(gj).mul(k.dj2()));
            return new StepResult(next, x0[0]);
        });
        return inverse(h, s, params, grid.time(params.steps()), xbEnd);
    }

    @Override
    public String toString() {
        return "c-pigdm(N=" + params.steps() + ", w=" + params.w() + ", lambda=" + params.lambda() + ")";
    }
}
