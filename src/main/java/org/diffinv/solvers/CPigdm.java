package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import org.diffinv.diffusion.ContinuousTimeGrid;
import org.diffinv.diffusion.ContinuousVpSchedule;
import org.diffinv.diffusion.StepResult;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.linalg.AdaptiveQuadrature;
import org.diffinv.operators.SvdOperator;
import org.diffinv.util.Scalars;

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
 * variable {@code xb}, not {@code x}. SVD tier ({@code H^+}, {@code P} and {@code Q} in closed form).
 *
 * <p><b>Noisy C-PiGDM</b> (the reference's noisy sampler; the spec's {@code c3 Q} term). With {@code sigma_y > 0} the
 * transform gains a term in {@code Q = H^+ (H^+)^T = V S^{+2} V^T}:
 * <pre>
 *   c3(t) = w (e^{c1 + c2} - 1) sigma^2 log(e^{b(t)} - 1 + eps_num) / 2
 *   A_t^noisy x = A_t x + c3 Q x,    (A_t^noisy)^{-1} v = A_t^{-1} v - A_t^{-1}(c3 Q A_t^{-1} v)   (first order in c3)
 *   three more coefficients:  phi_yc = -w beta mu c3 / 2  (times Q H^+ y),
 *     phi_sc = beta c3 (1/(sig + eps_num) - w sig) / 2  (times Q e),   phi_jc = w sig mu beta c3 / 2  (times Q gj)
 * </pre>
 * Which {@code sigma} enters {@code c3} is {@link Noise}: {@link Noise#WORKING} (default) takes the problem's noise
 * level in the working range [-1, 1], the one {@code y} carries; {@link Noise#REFERENCE} takes the reference code's
 * {@code sigma_y}, stated in [0, 1] units while its measurement carries {@code 2 sigma_y} in [-1, 1], i.e. half the
 * working level; {@link Noise#NOISELESS} ignores the noise (the noiseless method on any problem). At {@code sigma_y = 0}
 * all three are the noiseless method exactly ({@code c3 = 0}). Not copied from the reference: its noisy sampler starts
 * inpainting from pure noise {@code z} instead of {@code mu H^+ y + sig z}; the kit keeps one warm start for every
 * operator. The noiseless form on a noisy problem builds its warm start and guidance on {@code H^+ y}, which amplifies
 * the noise by the inverse of the smallest singular value (measured on the kit's Gaussian deblurring at
 * {@code sigma_y = 0.05}: 4.6 dB, as MCG and Score-SDE).
 */
public final class CPigdm implements Solver<SvdOperator> {

    /** Which measurement noise level enters the noisy term {@code c3}. */
    public enum Noise {
        /** The noiseless method whatever the problem's noise ({@code c3 = 0}). */
        NOISELESS,
        /** {@code c3} with the problem's noise level in the working range [-1, 1] (the level {@code y} carries). */
        WORKING,
        /**
         * {@code c3} with the reference code's {@code sigma_y}: half the working level (the reference states
         * {@code sigma_y} in [0, 1] units and adds {@code 2 sigma_y} noise to images in [-1, 1]).
         */
        REFERENCE
    }

    /**
     * Hyperparameters.
     *
     * @param steps the number {@code N} of steps (= NFE)
     * @param w the guidance weight
     * @param lambda the conjugate transform's {@code B_t = lambda I}
     * @param epsNum the numerical floor added to {@code sig} in the coefficients
     * @param noise which noise level enters {@code c3} ({@link Noise})
     */
    public record Params(int steps, double w, double lambda, double epsNum, Noise noise) {
        /** Validates the values. */
        public Params {
            if (steps < 1) {
                throw new IllegalArgumentException("C-PiGDM needs at least 1 step, got " + steps);
            }
            if (!(w >= 0) || !Double.isFinite(w) || !Double.isFinite(lambda) || !(epsNum >= 0)) {
                throw new IllegalArgumentException("C-PiGDM needs finite w >= 0, finite lambda and epsNum >= 0, got w "
                        + w + ", lambda " + lambda + ", epsNum " + epsNum);
            }
            if (noise == null) {
                throw new IllegalArgumentException("C-PiGDM needs a noise model (NOISELESS, WORKING or REFERENCE), got null");
            }
        }

        /** Parameters with the noise level of the working range in {@code c3} ({@link Noise#WORKING}). */
        public Params(int steps, double w, double lambda, double epsNum) {
            this(steps, w, lambda, epsNum, Noise.WORKING);
        }

        /** The spec's defaults: N = 5, w = 15, lambda = 0, eps_num = 1e-6, the working noise level in {@code c3}. */
        public static Params spec() {
            return new Params(5, 15, 0, 1e-6);
        }

        /**
         * The kit's defaults for {@code kind} at {@code N = 5}: the noiseless method ({@link Noise#NOISELESS}) at the
         * weight and {@code lambda} chosen on the validation split ({@link #validated(TaskKind, int)}). The registry's
         * {@code c-pigdm}; {@link #noisy(TaskKind)} is {@code c-pigdm-noisy}.
         */
        public static Params paper(TaskKind kind) {
            return validated(kind, 5);
        }

        /**
         * Noisy C-PiGDM's defaults ({@code c-pigdm-noisy}): N = 5, w = 2, lambda = 0, the working-range sigma in
         * {@code c3}. w = 2 is the largest integer weight whose first-order inverse holds on SR x4 (s = 1/4) at
         * sigma_y = 0.1 in the working range ({@link CPigdm#firstOrderRatio} 0.29 at w = 2, 1.40 at w = 3); the solve
         * refuses, naming the ratio, where it does not hold.
         */
        public static Params noisy(TaskKind kind) {
            return spec().withW(2);
        }

        /**
         * The noiseless method's defaults for {@code kind} at {@code steps} NFE, chosen on the validation split where
         * the kit has done so (noiseless SR x4 by average pooling and DDRM's Gaussian deblurring, 20 validation
         * images, perceptual-kit; validated at N = 5, 10 and 20, other N take the nearest): SR w = 15 (25 diverges)
         * with lambda = 3, 2, 5 at N = 5, 10, 20; deblurring w = 25 (35 and more diverge), lambda = 0. Elsewhere the
         * spec's w = 15, lambda = 0. Reproduce with {@code environment/kit solve --task sr4-avgpool --noise 0
         * --method c-pigdm --split validation --images 0-19 --set steps=5 --sweep w=1,2,4,6,10,15,25} (and
         * {@code --set w=15 --sweep lambda=0,1,2,3,5}).
         */
        public static Params validated(TaskKind kind, int steps) {
            int i = steps <= 7 ? 0 : steps <= 14 ? 1 : 2;
            double[][] wl = switch (kind) {
                case SUPER_RESOLUTION -> new double[][] {{15, 3}, {15, 2}, {15, 5}};
                case GAUSSIAN_DEBLUR -> new double[][] {{25, 0}, {25, 0}, {25, 0}};
                default -> new double[][] {{15, 0}, {15, 0}, {15, 0}};
            };
            return spec().withSteps(steps).withW(wl[i][0]).withLambda(wl[i][1]).withNoise(Noise.NOISELESS);
        }

        /** A copy with {@code n} steps. */
        public Params withSteps(int n) {
            return new Params(n, w, lambda, epsNum, noise);
        }

        /** A copy with guidance weight {@code w}. */
        public Params withW(double w) {
            return new Params(steps, w, lambda, epsNum, noise);
        }

        /** A copy with {@code lambda}. */
        public Params withLambda(double lambda) {
            return new Params(steps, w, lambda, epsNum, noise);
        }

        /** A copy with {@code eps_num}. */
        public Params withEpsNum(double epsNum) {
            return new Params(steps, w, lambda, epsNum, noise);
        }

        /** A copy with the noise model {@code noise}. */
        public Params withNoise(Noise noise) {
            return new Params(steps, w, lambda, epsNum, noise);
        }

        /** The {@code sigma} of {@code c3} for a problem whose working-range noise level is {@code sigmaY}. */
        public double c3Sigma(double sigmaY) {
            return switch (noise) {
                case NOISELESS -> 0;
                case WORKING -> sigmaY;
                case REFERENCE -> sigmaY / 2;
            };
        }
    }

    /**
     * The integrated coefficients of one interval {@code [t_{n+1}, t_n]} (integrals from {@code t_n} to
     * {@code t_{n+1}}); {@code dyc, dsc, djc} are the noisy terms' (zero when {@code c3 = 0}).
     */
    public record Interval(double dy, double ds1, double ds2, double dj1, double dj2, double dyc, double dsc,
                           double djc) {
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

    /** {@code c3(t) = w (e^{c1 + c2} - 1) sigma^2 log(e^{b(t)} - 1 + eps_num) / 2}, zero at {@code sigma = 0}. */
    public static double c3(ContinuousVpSchedule s, Params p, double sigma, double t) {
        if (sigma == 0) {
            return 0;
        }
        return 0.5 * p.w() * Math.expm1(c1(s, p, t) + c2(s, p, t)) * sigma * sigma
                * Math.log(Math.expm1(s.b(t)) + p.epsNum());
    }

    /** {@code kappa1(t) = e^{c1(t)}}. */
    public static double kappa1(ContinuousVpSchedule s, Params p, double t) {
        return Math.exp(c1(s, p, t));
    }

    /** {@code kappa2(t) = e^{c2(t)} - 1}. */
    public static double kappa2(ContinuousVpSchedule s, Params p, double t) {
        return Math.expm1(c2(s, p, t));
    }

    /** The five noiseless integrands {@code phi_y, phi_s1, phi_s2, phi_j1, phi_j2} at time {@code t}. */
    public static double[] integrands(ContinuousVpSchedule s, Params p, double t) {
        return integrands(s, p, 0, t);
    }

    /**
     * The eight integrands {@code phi_y, phi_s1, phi_s2, phi_j1, phi_j2, phi_yc, phi_sc, phi_jc} at time {@code t}
     * with {@code sigma} in {@code c3} (the last three are zero at {@code sigma = 0}).
     */
    public static double[] integrands(ContinuousVpSchedule s, Params p, double sigma, double t) {
        double beta = s.beta(t);
        double mu = s.mu(t);
        double sig = s.sigma(t);
        double e1 = Math.exp(c1(s, p, t));
        double e2 = Math.exp(c2(s, p, t));
        double w = p.w();
        double den = sig + p.epsNum();
        double c3 = c3(s, p, sigma, t);
        return new double[] {
            -0.5 * w * beta * mu * e1 * e2,
            0.5 * beta * e1 / den,
            0.5 * beta * e1 * (e2 - 1) / den - 0.5 * w * beta * sig * e1 * e2,
            0.5 * w * beta * e1 * sig * mu,
            0.5 * w * beta * sig * e1 * (e2 - 1) * mu,
            -0.5 * beta * w * mu * c3,
            0.5 * beta * c3 * (1 / den - w * sig),
            0.5 * w * sig * mu * beta * c3};
    }

    /** The noiseless integrated coefficients of every interval of {@code grid} (cached). */
    public static Interval[] coefficients(ContinuousTimeGrid grid, Params p) {
        return coefficients(grid, p, 0);
    }

    /**
     * The integrated coefficients of every interval of {@code grid} with {@code sigma} in {@code c3}, each by adaptive
     * Gauss-Kronrod quadrature in double precision to {@link #TOLERANCE}; computed once per (grid, w, lambda,
     * eps_num, sigma) and cached.
     */
    public static Interval[] coefficients(ContinuousTimeGrid grid, Params p, double sigma) {
        String key = grid + "|" + java.util.Arrays.toString(grid.times()) + "|" + p.w() + "|" + p.lambda() + "|"
                + p.epsNum() + "|" + sigma;
        return CACHE.computeIfAbsent(key, k -> {
            ContinuousVpSchedule s = grid.schedule();
            Interval[] out = new Interval[grid.steps()];
            int terms = sigma == 0 ? 5 : 8;
            for (int n = 0; n < grid.steps(); n++) {
                double from = grid.time(n);
                double to = grid.time(n + 1);
                double[] d = new double[8];
                for (int j = 0; j < terms; j++) {
                    int jj = j;
                    DoubleUnaryOperator f = t -> integrands(s, p, sigma, t)[jj];
                    d[j] = AdaptiveQuadrature.integrate(f, from, to, TOLERANCE, TOLERANCE);
                }
                out[n] = new Interval(d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]);
            }
            return out;
        });
    }

    /**
     * The coefficients accumulated along {@code grid} from its first time: row {@code k} holds
     * {@code Phi_k(t_n) - Phi_k(t_0)} for {@code n = 0..N}, in the order of {@link #integrands(ContinuousVpSchedule,
     * Params, double, double)} (for plots of the coefficients against {@code t}).
     */
    public static double[][] accumulated(ContinuousTimeGrid grid, Params p, double sigma) {
        Interval[] d = coefficients(grid, p, sigma);
        double[][] out = new double[8][grid.steps() + 1];
        for (int n = 0; n < d.length; n++) {
            double[] step = {d[n].dy(), d[n].ds1(), d[n].ds2(), d[n].dj1(), d[n].dj2(), d[n].dyc(), d[n].dsc(), d[n].djc()};
            for (int k = 0; k < 8; k++) {
                out[k][n + 1] = out[k][n] + step[k];
            }
        }
        return out;
    }

    /** {@code A_t x = kappa1 (x + kappa2 P x)}. */
    static NDArray transform(SvdOperator h, ContinuousVpSchedule s, Params p, double t, NDArray x) {
        return Scalars.mul(x.add(Scalars.mul(h.project(x), kappa2(s, p, t))), kappa1(s, p, t));
    }

    /** {@code A_t^{-1} xb = e^{-c1} (xb + (e^{-c2} - 1) P xb)}. */
    static NDArray inverse(SvdOperator h, ContinuousVpSchedule s, Params p, double t, NDArray xb) {
        return Scalars.mul(xb.add(Scalars.mul(h.project(xb), Math.expm1(-c2(s, p, t)))), Math.exp(-c1(s, p, t)));
    }

    /** {@code A_t^noisy x = A_t x + c3 Q x}. */
    static NDArray transform(SvdOperator h, ContinuousVpSchedule s, Params p, double sigma, double t, NDArray x) {
        NDArray ax = transform(h, s, p, t, x);
        double c3 = c3(s, p, sigma, t);
        return c3 == 0 ? ax : ax.add(Scalars.mul(q(h, x), c3));
    }

    /** The first-order inverse {@code A_t^{-1} v - A_t^{-1}(c3 Q A_t^{-1} v)} of {@code A_t^noisy}. */
    static NDArray inverse(SvdOperator h, ContinuousVpSchedule s, Params p, double sigma, double t, NDArray v) {
        NDArray ainv = inverse(h, s, p, t, v);
        double c3 = c3(s, p, sigma, t);
        return c3 == 0 ? ainv : ainv.sub(inverse(h, s, p, t, Scalars.mul(q(h, ainv), c3)));
    }

    /**
     * The size of the noisy transform's first-order term relative to the noiseless one, the largest over the grid's
     * times and the operator's singular values: {@code |c3(t)| / (s^2 e^{c1(t) + c2(t)})}, the factor by which
     * {@code c3 Q} is compared with {@code A_t} on the row space. The first-order inverse is accurate to its square.
     */
    public static double firstOrderRatio(ContinuousTimeGrid grid, Params p, double sigma, double smallestSingularValue) {
        ContinuousVpSchedule s = grid.schedule();
        double worst = 0;
        for (double t : grid.times()) {
            double r = Math.abs(c3(s, p, sigma, t)) / (smallestSingularValue * smallestSingularValue
                    * Math.exp(c1(s, p, t) + c2(s, p, t)));
            worst = Math.max(worst, r);
        }
        return worst;
    }

    /** The largest {@link #firstOrderRatio} for which the noisy method runs. */
    public static final double MAX_FIRST_ORDER_RATIO = 0.5;

    /**
     * This method's {@link #firstOrderRatio} on operator {@code h} at measurement noise {@code sigmaY} (working units),
     * over its own grid and the smallest positive singular value of {@code h}; 0 for the noiseless form. The noisy
     * form runs where it is at most {@link #MAX_FIRST_ORDER_RATIO}, and refuses elsewhere.
     *
     * @param like an array on the manager to compute on, shaped like the solve's {@code H+ y}
     */
    public double firstOrderRatio(SvdOperator h, double sigmaY, NDArray like) {
        double sigma = params.c3Sigma(sigmaY);
        if (sigma == 0) {
            return 0;
        }
        double[] values;
        try (NDArray c = h.vt(like); NDArray sv = h.singularValues(c);
             NDArray sv64 = sv.toType(ai.djl.ndarray.types.DataType.FLOAT64, false)) {
            values = sv64.toDoubleArray();
        }
        double smallest = Double.POSITIVE_INFINITY;
        for (double v : values) {
            if (v > 0) {
                smallest = Math.min(smallest, v);
            }
        }
        return smallest == Double.POSITIVE_INFINITY ? 0
                : firstOrderRatio(ContinuousTimeGrid.cPigdm(ContinuousVpSchedule.standard(), params.steps()), params,
                        sigma, smallest);
    }

    private void requireFirstOrderValid(SvdOperator h, double sigmaY, NDArray like) {
        double ratio = firstOrderRatio(h, sigmaY, like);
        if (ratio > MAX_FIRST_ORDER_RATIO) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "noisy C-PiGDM's first-order inverse "
                    + "of A_t + c3 Q does not hold at w = %s, sigma = %s on '%s': |c3| / (s^2 e^{c1 + c2}) reaches "
                    + "%.3g at its smallest singular value, above %.2f; lower w, or use Noise.NOISELESS",
                    params.w(), params.c3Sigma(sigmaY), h.name(), ratio, MAX_FIRST_ORDER_RATIO));
        }
    }

    /** {@code Q x = H^+ (H^+)^T x = V S^{+2} V^T x} (zero on the null space). */
    static NDArray q(SvdOperator h, NDArray x) {
        NDArray c = h.vt(x);
        NDArray sInv = SvdOperator.reciprocalOrZero(h.singularValues(c));
        return h.v(c.mul(sInv.square()));
    }

    @Override
    public String name() {
        return switch (params.noise()) {
            case NOISELESS -> "c-pigdm";
            case WORKING -> "c-pigdm-noisy";
            case REFERENCE -> "c-pigdm-noisy-ref";
        };
    }

    @Override
    public String citation() {
        return "C-PiGDM, Pandey et al. (conjugate integrators for PiGDM), noiseless and noisy";
    }

    @Override
    public Class<SvdOperator> tier() {
        return SvdOperator.class;
    }

    @Override
    public NDArray reconstruct(SolveContext<SvdOperator> ctx) {
        ContinuousVpSchedule s = ContinuousVpSchedule.standard();
        ContinuousTimeGrid grid = continuousGrid(ctx, s, params.steps(), "C-PiGDM");
        double sigma = params.c3Sigma(ctx.sigmaY());
        Interval[] d = coefficients(grid, params, sigma);
        boolean noisy = sigma > 0;
        SvdOperator h = ctx.a();
        NDArray hpy = h.pinv(ctx.y());
        if (noisy) {
            requireFirstOrderValid(h, ctx.sigmaY(), hpy);
        }
        NDArray qhpy = noisy ? q(h, hpy) : null;
        double t0 = grid.time(0);
        NDArray xStart = Scalars.mul(hpy, s.mu(t0)).add(Scalars.mul(ctx.normal(), s.sigma(t0)));
        NDArray xbStart = transform(h, s, params, sigma, t0, xStart);
        NDArray xbEnd = ctx.loop(discreteGrid(ctx, grid), xbStart, (n, step, xb) -> {
            double tn = grid.time(n);
            double tn1 = grid.time(n + 1);
            double mu = s.mu(tn);
            double sig = s.sigma(tn);
            NDArray x = inverse(h, s, params, sigma, tn, xb);
            requireFinite(x, n, tn);
            NDArray[] x0 = new NDArray[1];
            Guidance.Result g = ctx.guide(x, step.t(), (eps, x0Hat) -> {
                NDArray e = eps.stopGradient();
                x0[0] = Scalars.div(x.sub(Scalars.mul(e, sig)), mu);
                NDArray m = hpy.sub(h.project(x0[0])).stopGradient();
                return eps.mul(m).sum();
            });
            Interval k = d[n];
            NDArray e = g.eps();
            NDArray gj = g.gradient();
            NDArray next = xb.sub(Scalars.mul(xb, params.lambda() * (tn - tn1)))
                    .add(Scalars.mul(hpy, k.dy()))
                    .add(Scalars.mul(e, k.ds1())).add(Scalars.mul(h.project(e), k.ds2()))
                    .add(Scalars.mul(gj, k.dj1())).add(Scalars.mul(h.project(gj), k.dj2()));
            if (noisy) {
                next = next.add(Scalars.mul(qhpy, k.dyc())).add(Scalars.mul(q(h, e), k.dsc()))
                        .add(Scalars.mul(q(h, gj), k.djc()));
            }
            requireFinite(next, n + 1, tn1);
            return new StepResult(next, x0[0]);
        });
        return inverse(h, s, params, sigma, grid.time(params.steps()), xbEnd);
    }

    /** Refuses a state that overflowed, naming the step and the weights (rather than passing NaN on). */
    private void requireFinite(NDArray state, int n, double t) {
        try {
            org.diffinv.operators.Checks.requireFinite(state, "C-PiGDM", "the state");
        } catch (IllegalArgumentException overflow) {
            throw new IllegalArgumentException("C-PiGDM diverged at step " + n + " of " + params.steps() + " (t = " + t
                    + ") with w = " + params.w() + ", lambda = " + params.lambda() + ": lower w (the transform "
                    + "stretches the row space by e^{w b(t)/2}). " + overflow.getMessage(), overflow);
        }
    }

    /**
     * The continuous grid of {@code steps} steps ({@link ContinuousTimeGrid#cPigdm}) after checking that the prior's
     * discrete schedule has the {@code 1000} indices that {@code floor(999 t)} reads.
     */
    static ContinuousTimeGrid continuousGrid(SolveContext<?> ctx, ContinuousVpSchedule s, int steps, String who) {
        if (ctx.schedule().steps() != s.networkSteps()) {
            throw new IllegalArgumentException(who + " reads the prior in continuous time with network index floor("
                    + (s.networkSteps() - 1) + " t): it needs a " + s.networkSteps() + "-step schedule, got "
                    + ctx.schedule());
        }
        return ContinuousTimeGrid.cPigdm(s, steps);
    }

    /** The discrete grid of network indices {@code floor(999 t_n)} that the reverse loop walks for {@code grid}. */
    static TimeGrid discreteGrid(SolveContext<?> ctx, ContinuousTimeGrid grid) {
        int[] indices = new int[grid.steps()];
        for (int n = 0; n < indices.length; n++) {
            indices[n] = grid.networkIndex(n);
        }
        return TimeGrid.of(ctx.schedule(), -1, indices);
    }

    @Override
    public String toString() {
        return "c-pigdm(N=" + params.steps() + ", w=" + params.w() + ", lambda=" + params.lambda() + ", noise "
                + params.noise() + ")";
    }
}
