package org.diffinv.priors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.RealVector;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.operators.Checks;
import org.diffinv.operators.LinearOperator;
import org.diffinv.util.HostArrays;
import org.diffinv.util.Scalars;

/**
 * An exact Gaussian prior {@code x_0 ~ N(mu, Sigma)} on images of shape {@code (C, H, W)} (flattened to
 * {@code d = C H W} coordinates, row-major), an immutable value with a closed-form noise predictor at every
 * time of a discrete VP schedule, exact samples and moments, and closed-form posteriors under linear
 * measurements.
 *
 * <p>Diffused marginal: {@code x_t ~ N(sqrt(abar_t) mu, Cov_t)}, {@code Cov_t = abar_t Sigma + (1 - abar_t) I},
 * so the exact score is {@code -Cov_t^{-1}(x_t - sqrt(abar_t) mu)} and the exact noise predictor is
 * <pre>
 *   eps(x_t, t) = -sqrt(1 - abar_t) grad log p_t(x_t) = sqrt(1 - abar_t) Cov_t^{-1} (x_t - sqrt(abar_t) mu).
 * </pre>
 * With {@code Sigma = V diag(lambda) V^T} (computed once), every matrix function of {@code Sigma} used here
 * is {@code V diag(f(lambda)) V^T}: {@code Cov_t^{-1}} has {@code f = 1/(abar lambda + 1 - abar)}, the
 * Tweedie Jacobian {@code J_t = d x0Hat/d x_t = sqrt(abar) Sigma Cov_t^{-1}} has
 * {@code f = sqrt(abar) lambda/(abar lambda + 1 - abar)}, and {@code Cov(x_0 | x_t)} has
 * {@code f = lambda (1 - abar)/(abar lambda + 1 - abar)}.
 *
 * <p>{@link #eps} is computed with DJL ops in the input's type (FLOAT32 or FLOAT64), so gradients flow
 * through it, in the eigenbasis (two {@code d x d} products per call, no per-call decomposition); all other
 * quantities are computed in double with commons-math. Dense matrices limit {@code d} to 1024; the
 * eigendecomposition at construction is {@code O(d^3)}. {@code Sigma} may be singular
 * (positive semi-definite): {@code Cov_t} is still invertible for {@code t >= 0}.
 *
 * <p>Measurement convention of the posteriors: {@code y = A x + sigmaY n}, {@code n ~ N(0, I)}, in the
 * units of {@code x} (the kit's [-1, 1] images), one measurement of batch size 1 at a time.
 */
public final class GaussianPrior implements EpsPrior {

    private final NoiseSchedule schedule;
    private final Shape imageShape;
    private final int dimension;
    private final double[] mean;
    private final RealMatrix covariance;
    private final DenseAlgebra.Spectrum spectrum;
    private final double[] eigenvectorsRowMajor;

    private GaussianPrior(NoiseSchedule schedule, Shape imageShape, double[] mean, RealMatrix covariance) {
        if (schedule == null) {
            throw new IllegalArgumentException("a Gaussian prior needs a noise schedule, got null");
        }
        this.dimension = checkImageShape(imageShape);
        if (mean == null || mean.length != dimension) {
            throw new IllegalArgumentException("mean must have d = C*H*W = " + dimension + " entries for image shape "
                    + imageShape + ", got " + (mean == null ? "null" : mean.length));
        }
        for (int i = 0; i < mean.length; i++) {
            if (!Double.isFinite(mean[i])) {
                throw new IllegalArgumentException("mean has a non-finite entry " + mean[i] + " at " + i);
            }
        }
        if (covariance.getRowDimension() != dimension || covariance.getColumnDimension() != dimension) {
            throw new IllegalArgumentException("covariance must be " + dimension + " x " + dimension + ", got "
                    + covariance.getRowDimension() + " x " + covariance.getColumnDimension());
        }
        this.schedule = schedule;
        this.imageShape = imageShape;
        this.mean = mean.clone();
        this.spectrum = DenseAlgebra.psdSpectrum(covariance, "covariance Sigma");
        this.eigenvectorsRowMajor = DenseAlgebra.rowMajor(spectrum.v);
        this.covariance = DenseAlgebra.symmetrize(covariance);
    }

    /**
     * The prior {@code N(mean, covariance)} on images of shape {@code imageShape = (C, H, W)}.
     *
     * @param mean {@code d = C H W} entries, row-major over {@code (C, H, W)}
     * @param covariance a symmetric positive semi-definite {@code d x d} matrix
     * @throws IllegalArgumentException on a wrong size, a non-symmetric or indefinite covariance, or a
     *     non-finite entry
     */
    public static GaussianPrior of(NoiseSchedule schedule, Shape imageShape, double[] mean, double[][] covariance) {
        if (covariance == null) {
            throw new IllegalArgumentException("covariance must not be null");
        }
        for (int i = 0; i < covariance.length; i++) {
            if (covariance[i] == null || covariance[i].length != covariance.length) {
                throw new IllegalArgumentException("covariance must be square: row " + i + " has "
                        + (covariance[i] == null ? "null" : covariance[i].length + " entries") + ", expected "
                        + covariance.length);
            }
        }
        return new GaussianPrior(schedule, imageShape, mean, new Array2DRowRealMatrix(covariance, true));
    }

    /**
     * The maximum-likelihood Gaussian of a batch of images, {@code N(mean, S + ridge I)}: the sample mean and
     * the (1/N) sample covariance of {@code images (N, C, H, W)}, with {@code ridge} added to the diagonal so
     * the covariance stays positive definite when {@code N <= d} (a data-fitted exact prior whose posteriors are
     * closed-form: the "Wiener-filter" baseline of the kit).
     *
     * @param images at least 2 images; {@code C H W <= 1024}
     * @param ridge diagonal regulariser, {@code >= 0}
     */
    public static GaussianPrior fit(NoiseSchedule schedule, NDArray images, double ridge) {
        if (images == null || images.getShape().dimension() != 4 || images.getShape().get(0) < 2) {
            throw new IllegalArgumentException("fit needs a batch (N, C, H, W) of at least 2 images, got "
                    + (images == null ? "null" : images.getShape()));
        }
        if (!(ridge >= 0) || Double.isInfinite(ridge)) {
            throw new IllegalArgumentException("ridge must be finite and >= 0, got " + ridge);
        }
        Shape shape = images.getShape();
        Shape imageShape = new Shape(shape.get(1), shape.get(2), shape.get(3));
        int d = checkImageShape(imageShape);
        int n = Math.toIntExact(shape.get(0));
        double[] flat = images.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray();
        double[] mean = new double[d];
        for (int k = 0; k < n; k++) {
            for (int i = 0; i < d; i++) {
                mean[i] += flat[k * d + i] / n;
            }
        }
        for (double v : flat) {
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException("fit: the images contain a non-finite value (" + v + ")");
            }
        }
        double[][] centred = new double[n][d];
        for (int k = 0; k < n; k++) {
            for (int i = 0; i < d; i++) {
                centred[k][i] = flat[k * d + i] - mean[i];
            }
        }
        org.apache.commons.math3.linear.RealMatrix c = new Array2DRowRealMatrix(centred, false);
        org.apache.commons.math3.linear.RealMatrix cov = c.transpose().multiply(c).scalarMultiply(1.0 / n);
        for (int i = 0; i < d; i++) {
            cov.addToEntry(i, i, ridge);
        }
        return new GaussianPrior(schedule, imageShape, mean, cov);
    }

    /** The isotropic prior {@code N(mean, variance I)}. */
    public static GaussianPrior isotropic(NoiseSchedule schedule, Shape imageShape, double[] mean, double variance) {
        if (!(variance >= 0) || Double.isInfinite(variance)) {
            throw new IllegalArgumentException("variance must be finite and >= 0, got " + variance);
        }
        int d = checkImageShape(imageShape);
        return new GaussianPrior(schedule, imageShape, mean,
                MatrixUtils.createRealIdentityMatrix(d).scalarMultiply(variance));
    }

    static int checkImageShape(Shape imageShape) {
        if (imageShape == null || imageShape.dimension() != 3 || imageShape.size() < 1) {
            throw new IllegalArgumentException("image shape must be (C, H, W) with positive sizes, got " + imageShape);
        }
        for (int i = 0; i < 3; i++) {
            if (imageShape.get(i) < 1) {
                throw new IllegalArgumentException("image shape must have positive sizes, got " + imageShape);
            }
        }
        if (imageShape.size() > 1024) {
            throw new IllegalArgumentException("exact Gaussian priors use dense d x d matrices; d = C*H*W = "
                    + imageShape.size() + " for " + imageShape + " is above the supported 1024 (one 32x32 channel)");
        }
        return Math.toIntExact(imageShape.size());
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
        return dimension;
    }

    /** A copy of the mean {@code mu} ({@code d} entries, row-major over {@code (C, H, W)}). */
    public double[] mean() {
        return mean.clone();
    }

    /** A copy of the covariance {@code Sigma} ({@code d x d}). */
    public double[][] covariance() {
        return covariance.getData();
    }

    /** A copy of the eigenvalues of {@code Sigma} (as computed once at construction, in commons-math order). */
    public double[] eigenvalues() {
        return spectrum.eigenvalues.clone();
    }

    /**
     * The exact noise predictor {@code eps(x_t, t) = sqrt(1 - abar_t) Cov_t^{-1} (x_t - sqrt(abar_t) mu)} for a
     * batch {@code x_t} of shape {@code (N, C, H, W)}, in {@code x_t}'s type, on its manager, differentiable
     * with respect to {@code x_t}.
     *
     * @throws IllegalArgumentException if {@code x_t} has the wrong shape or type, contains NaN or infinite
     *     entries, or {@code t} is outside {@code [0, T-1]}
     */
    @Override
    public NDArray eps(NDArray xt, int t) {
        Shape shape = checkInput(xt, "GaussianPrior.eps");
        double alphaBar = schedule.alphaBar(checkTime(t));
        NDManager manager = xt.getManager();
        DataType type = xt.getDataType();
        double[] shiftedMean = new double[dimension];
        double[] scale = new double[dimension];
        for (int i = 0; i < dimension; i++) {
            shiftedMean[i] = Math.sqrt(alphaBar) * mean[i];
            scale[i] = Math.sqrt(1 - alphaBar) / (alphaBar * spectrum.eigenvalues[i] + 1 - alphaBar);
        }
        NDArray meanT = HostArrays.of(manager, shiftedMean, new Shape(dimension), type);
        NDArray v = HostArrays.of(manager, eigenvectorsRowMajor, new Shape(dimension, dimension), type);
        NDArray s = HostArrays.of(manager, scale, new Shape(dimension), type);
        // rows: eps^T = (x - sqrt(abar) mu)^T V diag(s) V^T, i.e. sqrt(1 - abar) Cov_t^{-1} (x - sqrt(abar) mu) in the
        // eigenbasis of Sigma: no O(d^3) work per call
        return xt.reshape(shape.get(0), dimension).sub(meanT).matMul(v).mul(s).matMul(v.transpose()).reshape(shape);
    }

    /**
     * The exact consistency function of this prior (Song et al. 2023, Definition 1): the probability-flow ODE keeps
     * {@code (x_ve - mu)} scaled by {@code (Sigma + sigma^2 I)^{1/2}} in the VE view {@code x_ve = x_t / sqrt(abar_t)
     * = x_0 + sigma_t z}, so
     * <pre>
     *   f(x_t, t) = mu + Sigma^{1/2} (Sigma + sigma_t^2 I)^{-1/2} (x_t / sqrt(abar_t) - mu)
     * </pre>
     * in closed form (in the eigenbasis of {@code Sigma}), in {@code x_t}'s type: the exact answer that consistency
     * distillation approximates and the exact DCDP-CM purifier of the exact-posterior benchmark.
     */
    public ConsistencyFunction consistencyFunction() {
        GaussianPrior self = this;
        return new ConsistencyFunction() {
            @Override
            public NoiseSchedule schedule() {
                return schedule;
            }

            @Override
            public NDArray x0(NDArray xt, int t) {
                Shape shape = checkInput(xt, "GaussianPrior.consistencyFunction");
                double alphaBar = schedule.alphaBar(checkTime(t));
                double sigma2 = (1 - alphaBar) / alphaBar;
                NDManager manager = xt.getManager();
                DataType type = xt.getDataType();
                double[] scale = new double[dimension];
                for (int i = 0; i < dimension; i++) {
                    double lambda = Math.max(0, spectrum.eigenvalues[i]);
                    scale[i] = Math.sqrt(lambda / (lambda + sigma2));
                }
                NDArray mu = HostArrays.of(manager, mean, new Shape(dimension), type);
                NDArray v = HostArrays.of(manager, eigenvectorsRowMajor, new Shape(dimension, dimension), type);
                NDArray k = HostArrays.of(manager, scale, new Shape(dimension), type);
                NDArray centred = Scalars.div(xt.reshape(shape.get(0), dimension), Math.sqrt(alphaBar)).sub(mu);
                return centred.matMul(v).mul(k).matMul(v.transpose()).add(mu).reshape(shape);
            }

            @Override
            public String toString() {
                return "exact consistency function of " + self;
            }
        };
    }

    /** The marginal covariance {@code Cov_t = abar_t Sigma + (1 - abar_t) I} of {@code x_t} ({@code d x d}). */
    public double[][] marginalCovariance(int t) {
        double alphaBar = schedule.alphaBar(checkTime(t));
        return spectrum.apply(lambda -> alphaBar * lambda + 1 - alphaBar).getData();
    }

    /**
     * The Tweedie Jacobian {@code J_t = d x0Hat / d x_t = sqrt(abar_t) Sigma Cov_t^{-1}} ({@code d x d},
     * symmetric), constant in {@code x_t} for a Gaussian prior.
     */
    public double[][] tweedieJacobian(int t) {
        return jacobian(t).getData();
    }

    /**
     * The covariance of {@code x_0} given {@code x_t}: {@code Sigma - abar_t Sigma Cov_t^{-1} Sigma}
     * ({@code d x d}), the same for every {@code x_t}.
     */
    public double[][] posteriorCovarianceGivenXt(int t) {
        return covarianceGivenXt(t).getData();
    }

    private RealMatrix jacobian(int t) {
        double alphaBar = schedule.alphaBar(checkTime(t));
        return spectrum.apply(lambda -> Math.sqrt(alphaBar) * lambda / (alphaBar * lambda + 1 - alphaBar));
    }

    private RealMatrix covarianceGivenXt(int t) {
        double alphaBar = schedule.alphaBar(checkTime(t));
        return spectrum.apply(lambda -> lambda * (1 - alphaBar) / (alphaBar * lambda + 1 - alphaBar));
    }

    /**
     * {@code count} exact samples {@code x_0 = mu + V diag(sqrt(lambda)) z}, {@code z ~ N(0, I)} (drawn
     * from {@code noise} sample by sample, coordinate by coordinate), shape {@code (count, C, H, W)}.
     */
    public NDArray sample(NDManager manager, int count, DataType dataType, NoiseSource noise) {
        DenseAlgebra.checkFloat(dataType, "sample type");
        if (count < 1) {
            throw new IllegalArgumentException("sample count must be at least 1, got " + count);
        }
        if (noise == null) {
            throw new IllegalArgumentException("sampling needs a NoiseSource, got null");
        }
        double[] out = new double[Math.multiplyExact(count, dimension)];
        RealMatrix root = squareRoot();
        double[] z = new double[dimension];
        for (int n = 0; n < count; n++) {
            for (int i = 0; i < dimension; i++) {
                z[i] = noise.nextGaussian();
            }
            double[] x = root.operate(z);
            for (int i = 0; i < dimension; i++) {
                out[n * dimension + i] = mean[i] + x[i];
            }
        }
        return HostArrays.of(manager, out, batchShape(count), dataType);
    }

    /** The eigendecomposition of {@code Sigma}. */
    DenseAlgebra.Spectrum spectrum() {
        return spectrum;
    }

    /** {@code V diag(sqrt(lambda))}, a square root {@code L} with {@code L L^T = Sigma}. */
    RealMatrix squareRoot() {
        RealMatrix root = spectrum.v.copy();
        for (int k = 0; k < dimension; k++) {
            double s = Math.sqrt(spectrum.eigenvalues[k]);
            for (int i = 0; i < dimension; i++) {
                root.setEntry(i, k, root.getEntry(i, k) * s);
            }
        }
        return root;
    }

    /**
     * The exact posterior {@code p(x_0 | y)} for {@code y = A x_0 + sigmaY n}, itself a Gaussian prior on the
     * same schedule and shape:
     * <pre>
     *   S      = A Sigma A^T + sigmaY^2 I
     *   mean   = mu + Sigma A^T S^{-1} (y - A mu)
     *   Sigma' = Sigma - Sigma A^T S^{-1} A Sigma
     * </pre>
     * {@code A} is made dense by applying it to the basis images. Samples of the posterior come from
     * {@link #sample} of the result.
     *
     * @param y one measurement, shape {@code A.outputShape((1, C, H, W))}
     * @param sigmaY the noise level, {@code >= 0} ({@code 0} needs {@code A Sigma A^T} invertible)
     * @throws IllegalArgumentException on a wrong measurement shape, a negative sigmaY, or a singular {@code S}
     */
    public GaussianPrior posterior(LinearOperator a, NDArray y, double sigmaY) {
        RealMatrix matrix = DenseAlgebra.operatorMatrix(a, imageShape);
        return posterior(matrix, DenseAlgebra.measurement(a, imageShape, y), sigmaY);
    }

    GaussianPrior posterior(RealMatrix a, double[] y, double sigmaY) {
        RealMatrix sigmaAt = covariance.multiply(a.transpose());
        RealMatrix sInverse = evidenceCovarianceInverse(a, sigmaY).inverse();
        RealMatrix gain = sigmaAt.multiply(sInverse);
        RealVector residual = new ArrayRealVector(y, false).subtract(a.operate(new ArrayRealVector(mean, false)));
        RealVector posteriorMean = new ArrayRealVector(mean, false).add(gain.operate(residual));
        RealMatrix posteriorCovariance = DenseAlgebra.symmetrize(covariance.subtract(gain.multiply(sigmaAt.transpose())));
        return new GaussianPrior(schedule, imageShape, posteriorMean.toArray(), posteriorCovariance);
    }

    /**
     * The log evidence {@code log p(y) = log N(y; A mu, A Sigma A^T + sigmaY^2 I)} of one measurement (the
     * Gaussian-mixture posterior weights use it).
     */
    public double logEvidence(LinearOperator a, NDArray y, double sigmaY) {
        RealMatrix matrix = DenseAlgebra.operatorMatrix(a, imageShape);
        return logEvidence(matrix, DenseAlgebra.measurement(a, imageShape, y), sigmaY);
    }

    double logEvidence(RealMatrix a, double[] y, double sigmaY) {
        DenseAlgebra.Inverse s = evidenceCovarianceInverse(a, sigmaY);
        RealVector residual = new ArrayRealVector(y, false).subtract(a.operate(new ArrayRealVector(mean, false)));
        double quadratic = residual.dotProduct(s.inverse().operate(residual));
        return -0.5 * (y.length * Math.log(2 * Math.PI) + s.logDet() + quadratic);
    }

    private DenseAlgebra.Inverse evidenceCovarianceInverse(RealMatrix a, double sigmaY) {
        checkSigma(sigmaY);
        RealMatrix s = a.multiply(covariance).multiply(a.transpose())
                .add(MatrixUtils.createRealIdentityMatrix(a.getRowDimension()).scalarMultiply(sigmaY * sigmaY));
        return DenseAlgebra.inverseWithLogDet(DenseAlgebra.symmetrize(s), "A Sigma A^T + sigmaY^2 I");
    }

    /**
     * The exact conditional score {@code grad_{x_t} log p(y | x_t)} for {@code y = A x_0 + sigmaY n}, in
     * closed form: {@code x_0 | x_t ~ N(x0Hat(x_t), Sigma_{0|t})} with {@code x0Hat} affine in {@code x_t}
     * (Jacobian {@code J_t}), so {@code y | x_t ~ N(A x0Hat(x_t), S_t)}, {@code S_t = A Sigma_{0|t} A^T +
     * sigmaY^2 I}, and
     * <pre>
     *   grad_{x_t} log p(y | x_t) = J_t^T A^T S_t^{-1} (y - A x0Hat(x_t)).
     * </pre>
     * (DPS's approximation drops {@code Sigma_{0|t}} from {@code S_t}; PiGDM replaces it by
     * {@code r_t^2 I}.) Computed in double, returned in {@code x_t}'s type and shape.
     *
     * @param y one measurement (batch 1), shape {@code A.outputShape((1, C, H, W))}, finite
     * @param xt a batch {@code (N, C, H, W)}, finite
     * @throws IllegalArgumentException on a wrong shape or type, a NaN or infinite entry in {@code y} or
     *     {@code x_t}, a negative sigmaY, or {@code t} outside {@code [0, T-1]}
     */
    public NDArray conditionalScore(LinearOperator a, NDArray y, double sigmaY, NDArray xt, int t) {
        Shape shape = checkInput(xt, "GaussianPrior.conditionalScore");
        checkSigma(sigmaY);
        double alphaBar = schedule.alphaBar(checkTime(t));
        RealMatrix matrix = DenseAlgebra.operatorMatrix(a, imageShape);
        double[] yFlat = DenseAlgebra.measurement(a, imageShape, y);
        RealMatrix jacobian = jacobian(t);
        RealMatrix st = matrix.multiply(covarianceGivenXt(t)).multiply(matrix.transpose())
                .add(MatrixUtils.createRealIdentityMatrix(matrix.getRowDimension()).scalarMultiply(sigmaY * sigmaY));
        RealMatrix stInverse = DenseAlgebra.inverseWithLogDet(DenseAlgebra.symmetrize(st), "A Sigma_{0|t} A^T + sigmaY^2 I")
                .inverse();
        // x0Hat(x) = c + J x with c = mu - sqrt(abar) J mu; score(x) = G (y - A c) - G A J x, G = J^T A^T S_t^{-1}
        RealMatrix g = jacobian.transpose().multiply(matrix.transpose()).multiply(stInverse);
        RealVector mu = new ArrayRealVector(mean, false);
        RealVector c = mu.subtract(jacobian.operate(mu).mapMultiply(Math.sqrt(alphaBar)));
        RealVector offset = g.operate(new ArrayRealVector(yFlat, false).subtract(matrix.operate(c)));
        RealMatrix slope = g.multiply(matrix).multiply(jacobian);
        NDManager manager = xt.getManager();
        DataType type = xt.getDataType();
        NDArray offsetArray = HostArrays.of(manager, offset.toArray(), new Shape(dimension), type);
        NDArray slopeT = HostArrays.of(manager, DenseAlgebra.rowMajor(slope.transpose()),
                new Shape(dimension, dimension), type);
        return offsetArray.sub(xt.reshape(shape.get(0), dimension).matMul(slopeT)).reshape(shape);
    }

    private static void checkSigma(double sigmaY) {
        if (!(sigmaY >= 0) || Double.isInfinite(sigmaY)) {
            throw new IllegalArgumentException("measurement noise sigmaY must be finite and >= 0, got " + sigmaY);
        }
    }

    private int checkTime(int t) {
        if (t < 0 || t >= schedule.steps()) {
            throw new IllegalArgumentException("time index " + t + " is outside [0, " + (schedule.steps() - 1) + "]");
        }
        return t;
    }

    /**
     * Checks a batch {@code x_t} for this prior: rank 4 {@code (N, C, H, W)} with this prior's image shape,
     * FLOAT32 or FLOAT64, every entry finite ({@link Checks#requireFinite}).
     *
     * @param who the public entry point, for the message (e.g. {@code "GaussianPrior.eps"})
     */
    Shape checkInput(NDArray xt, String who) {
        if (xt == null) {
            throw new IllegalArgumentException(who + ": x_t must not be null");
        }
        Shape shape = xt.getShape();
        if (shape.dimension() != 4 || shape.get(1) != imageShape.get(0) || shape.get(2) != imageShape.get(1)
                || shape.get(3) != imageShape.get(2)) {
            throw new IllegalArgumentException("x_t has shape " + shape + "; this prior expects (N, "
                    + imageShape.get(0) + ", " + imageShape.get(1) + ", " + imageShape.get(2) + ")");
        }
        DenseAlgebra.checkFloat(xt.getDataType(), "x_t");
        Checks.requireFinite(xt, who, "x_t");
        return shape;
    }

    Shape batchShape(int count) {
        return new Shape(count, imageShape.get(0), imageShape.get(1), imageShape.get(2));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GaussianPrior other && other.schedule.equals(schedule)
                && other.imageShape.equals(imageShape) && java.util.Arrays.equals(other.mean, mean)
                && other.covariance.equals(covariance);
    }

    @Override
    public int hashCode() {
        return ((schedule.hashCode() * 31 + imageShape.hashCode()) * 31 + java.util.Arrays.hashCode(mean)) * 31
                + covariance.hashCode();
    }

    @Override
    public String toString() {
        double maxLambda = 0;
        double minLambda = Double.POSITIVE_INFINITY;
        for (double l : spectrum.eigenvalues) {
            maxLambda = Math.max(maxLambda, l);
            minLambda = Math.min(minLambda, l);
        }
        return "gaussian-prior(shape " + imageShape + ", eigenvalues " + minLambda + " .. " + maxLambda + ", " + schedule + ")";
    }
}
