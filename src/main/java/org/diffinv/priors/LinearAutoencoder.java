package org.diffinv.priors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.QRDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.operators.Checks;
import org.diffinv.operators.LinearOperator;
import org.diffinv.util.HostArrays;

/**
 * A linear autoencoder, the exact setting of the latent solvers: {@code D(z) = W z} and {@code E(x) = V x} for dense
 * matrices {@code W (d_x x d_z)} and {@code V (d_z x d_x)} on flattened images and latents. With a Gaussian latent prior
 * (a {@link GaussianPrior} on the latent shape) and a linear operator {@code A}, the measurement
 * {@code y = A W z + n} is linear in {@code z}, so the posterior of {@code z} is Gaussian in closed form
 * ({@link GaussianPrior#posterior} with the operator {@code A o D}, see {@link #decoderOperator()}) and the posterior of
 * {@code x = D(z)} is its image under {@code W}: the exact answer every latent solver is tested against.
 *
 * <p>{@link #orthonormal} makes {@code W} with orthonormal columns and {@code V = W^T}: then {@code E(D(z)) = z}
 * exactly (a perfect autoencoder on its range, where GML-DPS's "goodness" term vanishes) and {@code D(E(x))} is the
 * orthogonal projection onto the range of {@code W}. {@link #withEncoder} replaces {@code V} (e.g. by a scaled
 * {@code W^T}) to build the imperfect autoencoders on which the extra terms of GML-DPS and PSLD do work.
 * Differentiable (matrix products); the scale factor is 1; {@link #encodeSample} is deterministic (no posterior
 * noise).
 */
public final class LinearAutoencoder implements Autoencoder {

    private final Shape imageShape;
    private final Shape latentShape;
    private final double[][] w;
    private final double[][] v;

    private LinearAutoencoder(Shape imageShape, Shape latentShape, double[][] w, double[][] v) {
        long dx = imageShape.size();
        long dz = latentShape.size();
        if (w.length != dx || w[0].length != dz || v.length != dz || v[0].length != dx) {
            throw new IllegalArgumentException("a linear autoencoder from images " + imageShape + " (d_x = " + dx
                    + ") to latents " + latentShape + " (d_z = " + dz + ") needs W of " + dx + " x " + dz + " and V of "
                    + dz + " x " + dx + ", got W " + w.length + " x " + w[0].length + ", V " + v.length + " x "
                    + v[0].length);
        }
        this.imageShape = imageShape;
        this.latentShape = latentShape;
        this.w = w;
        this.v = v;
    }

    /**
     * {@code D(z) = W z} with {@code W} the orthonormal factor of a seeded Gaussian {@code d_x x d_z} matrix (QR), and
     * {@code E = W^T}.
     *
     * @throws IllegalArgumentException when the latent is larger than the image ({@code d_z > d_x})
     */
    public static LinearAutoencoder orthonormal(Shape imageShape, Shape latentShape, NoiseSource noise) {
        int dx = Math.toIntExact(imageShape.size());
        int dz = Math.toIntExact(latentShape.size());
        if (dz > dx) {
            throw new IllegalArgumentException("a linear autoencoder compresses: latent " + latentShape + " (" + dz
                    + " entries) is larger than image " + imageShape + " (" + dx + ")");
        }
        double[][] g = new double[dx][dz];
        for (double[] row : g) {
            for (int j = 0; j < dz; j++) {
                row[j] = noise.nextGaussian();
            }
        }
        RealMatrix q = new QRDecomposition(new Array2DRowRealMatrix(g, false)).getQ();
        double[][] w = q.getSubMatrix(0, dx - 1, 0, dz - 1).getData();
        return new LinearAutoencoder(imageShape, latentShape, w, new Array2DRowRealMatrix(w, false).transpose().getData());
    }

    /** This decoder with the encoder {@code E(x) = V x} for {@code V (d_z x d_x)}. */
    public LinearAutoencoder withEncoder(double[][] encoder) {
        return new LinearAutoencoder(imageShape, latentShape, w, copy(encoder));
    }

    /** The decoder matrix {@code W (d_x x d_z)} (a copy). */
    public double[][] decoderMatrix() {
        return copy(w);
    }

    /** The encoder matrix {@code V (d_z x d_x)} (a copy). */
    public double[][] encoderMatrix() {
        return copy(v);
    }

    private static double[][] copy(double[][] m) {
        double[][] out = new double[m.length][];
        for (int i = 0; i < m.length; i++) {
            out[i] = m[i].clone();
        }
        return out;
    }

    @Override
    public Shape imageShape() {
        return imageShape;
    }

    @Override
    public Shape latentShape() {
        return latentShape;
    }

    @Override
    public double scaleFactor() {
        return 1;
    }

    /** {@code out (N, outShape) = in (N, -1) M^T}: the matrix applied to every flattened sample. */
    private static NDArray multiply(NDArray in, double[][] m, Shape outShape) {
        long n = in.getShape().get(0);
        NDArray mt = HostArrays.matrix(in.getManager(), new Array2DRowRealMatrix(m, false).transpose().getData(),
                in.getDataType());
        try (NDArray flat = in.reshape(n, -1)) {
            NDArray product = flat.matMul(mt);
            NDArray out = product.reshape(new Shape(n).addAll(outShape));
            product.close();
            mt.close();
            return out;
        }
    }

    @Override
    public NDArray encode(NDArray x) {
        requireBatch(x, imageShape, "encode", "images");
        return multiply(x, v, latentShape);
    }

    @Override
    public NDArray encodeSample(NDArray x, NoiseSource noise) {
        return encode(x);
    }

    @Override
    public NDArray decode(NDArray z) {
        requireBatch(z, latentShape, "decode", "latents");
        return multiply(z, w, imageShape);
    }

    private static void requireBatch(NDArray a, Shape expected, String who, String what) {
        Checks.requireFloat(a, "LinearAutoencoder." + who, what);
        if (a.getShape().dimension() != expected.dimension() + 1
                || !a.getShape().slice(1).equals(expected)) {
            throw new IllegalArgumentException("LinearAutoencoder." + who + ": " + what + " must have shape (N, "
                    + expected.toString().substring(1) + ", got " + a.getShape());
        }
    }

    /**
     * The decoder as a linear operator on latent batches, {@code z -> W z}, with adjoint {@code x -> W^T x}: compose it
     * with a measurement operator ({@code decoderOperator().then(a)}) for the exact latent posterior.
     */
    public LinearOperator decoderOperator() {
        double[][] wt = new Array2DRowRealMatrix(w, false).transpose().getData();
        return new LinearOperator() {
            @Override
            public String name() {
                return "linear-decoder(" + latentShape + " -> " + imageShape + ")";
            }

            @Override
            public Shape outputShape(Shape inputShape) {
                Checks.requireRank4(inputShape, name(), "input");
                if (!inputShape.slice(1).equals(latentShape)) {
                    throw new IllegalArgumentException(name() + ": input must have shape (N, "
                            + latentShape.toString().substring(1) + ", got " + inputShape);
                }
                return new Shape(inputShape.get(0)).addAll(imageShape);
            }

            @Override
            public NDArray apply(NDArray z) {
                return decode(z);
            }

            @Override
            public NDArray adjoint(NDArray x) {
                requireBatch(x, imageShape, "decoder adjoint", "images");
                return multiply(x, wt, latentShape);
            }
        };
    }

    @Override
    public String toString() {
        return "LinearAutoencoder(" + imageShape + " -> " + latentShape + ")";
    }
}
