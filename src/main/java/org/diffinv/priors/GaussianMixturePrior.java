package org.diffinv.priors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.apache.commons.math3.linear.RealMatrix;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.operators.LinearOperator;
import org.diffinv.util.HostArrays;
import org.diffinv.util.Scalars;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An exact Gaussian-mixture prior {@code x_0 ~ sum_k pi_k N(mu_k, Sigma_k)} on images of shape
 * {@code (C, H, W)}, an immutable value with a closed-form noise predictor, exact moments and samples, and
 * the closed-form posterior under linear-Gaussian measurements.
 *
 * <p>Diffused marginal: {@code p_t(x) = sum_k pi_k N(x; sqrt(abar) mu_k, C_k)} with
 * {@code C_k = abar Sigma_k + (1 - abar) I}. Its score is the responsibility-weighted sum of the component
 * scores, so
 * <pre>
 *   r_k(x)      = softmax_k( log pi_k - 1/2 log det C_k - 1/2 (x - sqrt(abar) mu_k)^T C_k^{-1} (x - sqrt(abar) mu_k) )
 *   eps(x_t, t) = sqrt(1 - abar) sum_k r_k(x_t) C_k^{-1} (x_t - sqrt(abar) mu_k)
 * </pre>
 * with the softmax taken stably (log-sum-exp, max subtracted) by the engine. {@link #eps} uses DJL ops in
 * the input's type, so gradients flow through it.
 *
 * <p>Posterior under {@code y = A x + sigmaY n}: each component's posterior is the Gaussian one
 * ({@link GaussianPrior#posterior}) and the weights become
 * {@code pi_k' ~ pi_k N(y; A mu_k, A Sigma_k A^T + sigmaY^2 I)}, normalised in log space.
 */
public final class GaussianMixturePrior implements EpsPrior {

    private final NoiseSchedule schedule;
    private final Shape imageShape;
    private final double[] weights;
    private final List<GaussianPrior> components;

    private GaussianMixturePrior(double[] weights, List<GaussianPrior> components) {
        if (components == null || components.isEmpty()) {
            throw new IllegalArgumentException("a mixture needs at least one component, got none");
        }
        if (weights == null || weights.length != components.size()) {
            throw new IllegalArgumentException("a mixture needs one weight per component: " + components.size()
                    + " components, " + (weights == null ? "null" : weights.length) + " weights");
        }
        GaussianPrior first = components.get(0);
        double sum = 0;
        for (int k = 0; k < weights.length; k++) {
            GaussianPrior c = components.get(k);
            if (c == null) {
                throw new IllegalArgumentException("mixture component " + k + " is null");
            }
            if (!c.schedule().equals(first.schedule()) || !c.imageShape().equals(first.imageShape())) {
                throw new IllegalArgumentException("mixture component " + k + " (" + c + ") differs in schedule or "
                        + "image shape from component 0 (" + first + ")");
            }
            if (!(weights[k] >= 0) || Double.isInfinite(weights[k])) {
                throw new IllegalArgumentException("mixture weight " + k + " must be finite and >= 0, got " + weights[k]);
            }
            sum += weights[k];
        }
        if (Math.abs(sum - 1) > 1e-9) {
            throw new IllegalArgumentException("mixture weights must sum to 1 (within 1e-9), got sum " + sum);
        }
        this.schedule = first.schedule();
        this.imageShape = first.imageShape();
        this.weights = new double[weights.length];
        for (int k = 0; k < weights.length; k++) {
            this.weights[k] = weights[k] / sum;
        }
        this.components = Collections.unmodifiableList(new ArrayList<>(components));
    }

    /**
     * The mixture {@code sum_k weights[k] components[k]}; the components must share schedule and image shape,
     * the weights be non-negative and sum to 1 within 1e-9 (they are then renormalised exactly).
     */
    public static GaussianMixturePrior of(double[] weights, List<GaussianPrior> components) {
        return new GaussianMixturePrior(weights == null ? null : weights.clone(), components);
    }

    /** A builder: {@code setSchedule}, {@code setImageShape} (required), {@code addComponent} (at least one). */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link GaussianMixturePrior} component by component. */
    public static final class Builder {
        private NoiseSchedule schedule;
        private Shape imageShape;
        private final List<Double> weights = new ArrayList<>();
        private final List<double[]> means = new ArrayList<>();
        private final List<double[][]> covariances = new ArrayList<>();

        private Builder() {
        }

        /** The noise schedule (required). */
        public Builder setSchedule(NoiseSchedule schedule) {
            this.schedule = schedule;
            return this;
        }

        /** The image shape {@code (C, H, W)} (required). */
        public Builder setImageShape(Shape imageShape) {
            this.imageShape = imageShape;
            return this;
        }

        /** Adds the component {@code weight N(mean, covariance)} ({@code d} and {@code d x d} entries). */
        public Builder addComponent(double weight, double[] mean, double[][] covariance) {
            weights.add(weight);
            means.add(mean == null ? null : mean.clone());
            covariances.add(covariance == null ? null : copy(covariance));
            return this;
        }

        private static double[][] copy(double[][] m) {
            double[][] out = new double[m.length][];
            for (int i = 0; i < m.length; i++) {
                out[i] = m[i] == null ? null : m[i].clone();
            }
            return out;
        }

        /**
         * Validates and builds.
         *
         * @throws IllegalArgumentException if the schedule or shape is missing, no component was added, or a
         *     component or weight is invalid
         */
        public GaussianMixturePrior build() {
            if (schedule == null) {
                throw new IllegalArgumentException("GaussianMixturePrior.Builder: setSchedule is required");
            }
            if (imageShape == null) {
                throw new IllegalArgumentException("GaussianMixturePrior.Builder: setImageShape is required");
            }
            if (weights.isEmpty()) {
                throw new IllegalArgumentException("GaussianMixturePrior.Builder: add at least one component");
            }
            List<GaussianPrior> built = new ArrayList<>();
            double[] w = new double[weights.size()];
            for (int k = 0; k < w.length; k++) {
                w[k] = weights.get(k);
                built.add(GaussianPrior.of(schedule, imageShape, means.get(k), covariances.get(k)));
            }
            return new GaussianMixturePrior(w, built);
        }
    }

    @Override
    public NoiseSchedule schedule() {
        return schedule;
    }

    /** The image shape {@code (C, H, W)}. */
    public Shape imageShape() {
        return imageShape;
    }

    /** The dimension {@code d = C H W}. */
    public int dimension() {
        return components.get(0).dimension();
    }

    /** The number of components {@code K}. */
    public int size() {
        return components.size();
    }

    /** A copy of the weights {@code pi_k}. */
    public double[] weights() {
        return weights.clone();
    }

    /** The components {@code N(mu_k, Sigma_k)}, an unmodifiable list. */
    public List<GaussianPrior> components() {
        return components;
    }

    /** The mixture mean {@code sum_k pi_k mu_k}. */
    public double[] mean() {
        int d = dimension();
        double[] m = new double[d];
        for (int k = 0; k < weights.length; k++) {
            double[] muK = components.get(k).mean();
            for (int i = 0; i < d; i++) {
                m[i] += weights[k] * muK[i];
            }
        }
        return m;
    }

    /** The mixture covariance {@code sum_k pi_k (Sigma_k + mu_k mu_k^T) - m m^T}, {@code m} the mixture mean. */
    public double[][] covariance() {
        int d = dimension();
        double[] m = mean();
        double[][] c = new double[d][d];
        for (int k = 0; k < weights.length; k++) {
            double[] muK = components.get(k).mean();
            double[][] sigmaK = components.get(k).covariance();
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    c[i][j] += weights[k] * (sigmaK[i][j] + muK[i] * muK[j]);
                }
            }
        }
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                c[i][j] -= m[i] * m[j];
            }
        }
        return c;
    }

    /**
     * The exact noise predictor (class Javadoc) for {@code x_t} of shape {@code (N, C, H, W)}, in its type,
     * differentiable with respect to {@code x_t}. All components are handled in one batched product.
     *
     * @throws IllegalArgumentException if {@code x_t} has the wrong shape or type, contains NaN or infinite
     *     entries, or {@code t} is outside {@code [0, T-1]}
     */
    @Override
    public NDArray eps(NDArray xt, int t) {
        Shape shape = components.get(0).checkInput(xt, "GaussianMixturePrior.eps");
        double alphaBar = schedule.alphaBar(checkTime(t));
        Terms terms = terms(xt, alphaBar);
        // eps = sqrt(1 - abar) sum_k r_k C_k^{-1} (x - sqrt(abar) mu_k): (K, N, d) weighted by (K, N, 1), summed over K
        NDArray responsibilities = terms.logits.softmax(0);
        // numbers through Scalars: eps is differentiated (DPS-type guidance), and autograd keeps a number operand
        return Scalars.mul(terms.precisionTimesDiff.mul(responsibilities.expandDims(2)).sum(new int[] {0}),
                Math.sqrt(1 - alphaBar)).reshape(shape);
    }

    /**
     * The responsibilities {@code r_k(x_t) = p(component k | x_t)}, shape {@code (N, K)}, in {@code x_t}'s
     * type (columns of zero-weight components are 0).
     *
     * @throws IllegalArgumentException if {@code x_t} has the wrong shape or type, contains NaN or infinite
     *     entries, or {@code t} is outside {@code [0, T-1]}
     */
    public NDArray responsibilities(NDArray xt, int t) {
        components.get(0).checkInput(xt, "GaussianMixturePrior.responsibilities");
        double alphaBar = schedule.alphaBar(checkTime(t));
        Terms terms = terms(xt, alphaBar);
        NDArray active = terms.logits.softmax(0);
        long n = xt.getShape().get(0);
        NDList columns = new NDList();
        int j = 0;
        for (int k = 0; k < weights.length; k++) {
            if (j < terms.active.length && terms.active[j] == k) {
                columns.add(active.get(j));
                j++;
            } else {
                columns.add(xt.getManager().zeros(new Shape(n), xt.getDataType()));
            }
        }
        return NDArrays.stack(columns, 1);
    }

    /**
     * The active (positive-weight) components' {@code C_k^{-1}(x - sqrt(abar) mu_k)}, shape {@code (K', N, d)},
     * and the logits of {@code r_k}, shape {@code (K', N)}.
     */
    private static final class Terms {
        int[] active;
        NDArray precisionTimesDiff;
        NDArray logits;
    }

    private Terms terms(NDArray xt, double alphaBar) {
        int d = dimension();
        long n = xt.getShape().get(0);
        int count = 0;
        for (double w : weights) {
            count += w > 0 ? 1 : 0;
        }
        int[] active = new int[count];
        double[] shiftedMeans = new double[count * d];
        double[] precisions = new double[count * d * d];
        double[] logConstants = new double[count];
        int j = 0;
        for (int k = 0; k < weights.length; k++) {
            if (weights[k] == 0) {
                continue;
            }
            active[j] = k;
            DenseAlgebra.Spectrum spectrum = components.get(k).spectrum();
            RealMatrix precision = spectrum.apply(lambda -> 1 / (alphaBar * lambda + 1 - alphaBar));
            System.arraycopy(DenseAlgebra.rowMajor(precision), 0, precisions, j * d * d, d * d);
            double[] muK = components.get(k).mean();
            for (int i = 0; i < d; i++) {
                shiftedMeans[j * d + i] = Math.sqrt(alphaBar) * muK[i];
            }
            // log pi_k - 1/2 log det C_k (the common -d/2 log 2 pi cancels in the softmax)
            logConstants[j] = Math.log(weights[k]) - 0.5 * spectrum.sum(lambda -> Math.log(alphaBar * lambda + 1 - alphaBar));
            j++;
        }
        NDManager manager = xt.getManager();
        DataType type = xt.getDataType();
        NDArray diff = xt.reshape(1, n, d).sub(HostArrays.of(manager, shiftedMeans, new Shape(count, 1, d), type));
        NDArray precisionDiff = diff.matMul(HostArrays.of(manager, precisions, new Shape(count, d, d), type));
        NDArray quadratic = diff.mul(precisionDiff).sum(new int[] {2});
        Terms terms = new Terms();
        terms.active = active;
        terms.precisionTimesDiff = precisionDiff;
        terms.logits = Scalars.mul(quadratic, -0.5).add(HostArrays.of(manager, logConstants, new Shape(count, 1), type));
        return terms;
    }

    /**
     * {@code count} exact samples, shape {@code (count, C, H, W)}: per sample a component drawn with
     * probabilities {@code pi} (one uniform from {@code noise}), then {@code mu_k + L_k z} ({@code d} normals).
     */
    public NDArray sample(NDManager manager, int count, DataType dataType, NoiseSource noise) {
        DenseAlgebra.checkFloat(dataType, "sample type");
        if (count < 1) {
            throw new IllegalArgumentException("sample count must be at least 1, got " + count);
        }
        if (noise == null) {
            throw new IllegalArgumentException("sampling needs a NoiseSource, got null");
        }
        int d = dimension();
        List<RealMatrix> roots = new ArrayList<>();
        List<double[]> means = new ArrayList<>();
        for (GaussianPrior c : components) {
            roots.add(c.squareRoot());
            means.add(c.mean());
        }
        double[] out = new double[Math.multiplyExact(count, d)];
        double[] z = new double[d];
        for (int n = 0; n < count; n++) {
            int k = drawComponent(noise.nextDouble());
            for (int i = 0; i < d; i++) {
                z[i] = noise.nextGaussian();
            }
            double[] x = roots.get(k).operate(z);
            double[] muK = means.get(k);
            for (int i = 0; i < d; i++) {
                out[n * d + i] = muK[i] + x[i];
            }
        }
        return HostArrays.of(manager, out, components.get(0).batchShape(count), dataType);
    }

    private int drawComponent(double u) {
        double cumulative = 0;
        int last = 0;
        for (int k = 0; k < weights.length; k++) {
            if (weights[k] == 0) {
                continue;
            }
            last = k;
            cumulative += weights[k];
            if (u < cumulative) {
                return k;
            }
        }
        return last;
    }

    /**
     * The exact posterior {@code p(x_0 | y)} for {@code y = A x_0 + sigmaY n}: component posteriors
     * ({@link GaussianPrior#posterior}) with weights {@code pi_k N(y; A mu_k, A Sigma_k A^T + sigmaY^2 I)}
     * normalised by log-sum-exp.
     *
     * @param y one measurement (batch 1), shape {@code A.outputShape((1, C, H, W))}
     * @throws IllegalArgumentException on a wrong measurement shape, a negative sigmaY, or a singular
     *     evidence covariance
     */
    public GaussianMixturePrior posterior(LinearOperator a, NDArray y, double sigmaY) {
        RealMatrix matrix = DenseAlgebra.operatorMatrix(a, imageShape);
        double[] yFlat = DenseAlgebra.measurement(a, imageShape, y);
        int size = weights.length;
        double[] logWeights = new double[size];
        double max = Double.NEGATIVE_INFINITY;
        List<GaussianPrior> posteriors = new ArrayList<>();
        for (int k = 0; k < size; k++) {
            GaussianPrior component = components.get(k);
            posteriors.add(component.posterior(matrix, yFlat, sigmaY));
            logWeights[k] = weights[k] == 0 ? Double.NEGATIVE_INFINITY
                    : Math.log(weights[k]) + component.logEvidence(matrix, yFlat, sigmaY);
            max = Math.max(max, logWeights[k]);
        }
        double total = 0;
        double[] updated = new double[size];
        for (int k = 0; k < size; k++) {
            updated[k] = Math.exp(logWeights[k] - max);
            total += updated[k];
        }
        for (int k = 0; k < size; k++) {
            updated[k] /= total;
        }
        return new GaussianMixturePrior(updated, posteriors);
    }

    private int checkTime(int t) {
        if (t < 0 || t >= schedule.steps()) {
            throw new IllegalArgumentException("time index " + t + " is outside [0, " + (schedule.steps() - 1) + "]");
        }
        return t;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GaussianMixturePrior other && java.util.Arrays.equals(other.weights, weights)
                && other.components.equals(components);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(weights) * 31 + components.hashCode();
    }

    @Override
    public String toString() {
        return "gaussian-mixture-prior(K=" + weights.length + ", weights " + java.util.Arrays.toString(weights)
                + ", shape " + imageShape + ")";
    }
}
