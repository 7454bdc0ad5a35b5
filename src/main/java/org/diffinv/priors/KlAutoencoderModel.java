package org.diffinv.priors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonObject;
import org.diffinv.data.DataPaths;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.nn.Checkpoints;
import org.diffinv.nn.KlAutoencoder;
import org.diffinv.nn.ModelFiles;
import org.diffinv.nn.SeededInitializer;

import java.nio.file.Path;
import org.diffinv.util.Scalars;

/**
 * The kit's trained KL autoencoder ({@link KlAutoencoder}: 32x32x1 images to 8x8xL latents) as an
 * {@link Autoencoder}, with the latent scale factor measured on the training split and stored in the sidecar.
 * Inputs must be FLOAT32 (the latent solvers' dtype; DJL's casts do not record gradients).
 */
public final class KlAutoencoderModel implements Autoencoder {
    private final KlAutoencoder net;
    private final double scale;
    private final ParameterStore ps;
    private final Shape imageShape;

    private KlAutoencoderModel(KlAutoencoder net, double scale, NDManager manager, int size) {
        if (!(scale > 0) || !Double.isFinite(scale)) {
            throw new IllegalArgumentException("latent scale factor must be finite and > 0, got " + scale);
        }
        this.net = net;
        this.scale = scale;
        this.ps = new ParameterStore(manager, false);
        this.imageShape = new Shape(net.channels(), size, size);
    }

    /** The shipped autoencoder {@code data/checkpoints/autoencoder}. */
    public static KlAutoencoderModel load(NDManager manager) {
        return load(manager, DataPaths.checkpointsDir(), "autoencoder");
    }

    /** The autoencoder checkpoint {@code name} in {@code dir} (sidecar kind {@code kl-autoencoder}). */
    public static KlAutoencoderModel load(NDManager manager, Path dir, String name) {
        JsonObject side = Checkpoints.sidecar(dir, name, "kl-autoencoder");
        KlAutoencoder net = new KlAutoencoder(side.get("channels").getAsInt(), side.get("width").getAsInt(),
                side.get("latentChannels").getAsInt());
        net.setInitializer(new SeededInitializer(NoiseSource.seeded(0), 1.0), Parameter.Type.WEIGHT);
        net.initialize(manager, DataType.FLOAT32, new Shape(1, side.get("channels").getAsInt(), 32, 32));
        ModelFiles.load(net, manager, dir, name, side.get("sha256").getAsString());
        if (!side.has("scaleFactor")) {
            throw new ModelFiles.CheckpointException("autoencoder sidecar " + ModelFiles.sidecarFile(dir, name)
                    + " has no scaleFactor (training measures it at export: re-export with TrainMain " + name
                    + " --resume --steps N)", null);
        }
        return new KlAutoencoderModel(net, side.get("scaleFactor").getAsDouble(), manager, 32);
    }

    /** Wraps an in-memory network with a given scale factor, for images of side {@code size}. */
    public static KlAutoencoderModel of(KlAutoencoder net, double scale, NDManager manager, int size) {
        return new KlAutoencoderModel(net, scale, manager, size);
    }

    @Override
    public Shape imageShape() {
        return imageShape;
    }

    @Override
    public Shape latentShape() {
        return new Shape(net.latentChannels(), imageShape.get(1) / 4, imageShape.get(2) / 4);
    }

    @Override
    public double scaleFactor() {
        return scale;
    }

    private static NDArray to32(NDArray a) {
        if (a.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("the autoencoder runs in FLOAT32 (a cast would cut gradients), got "
                    + a.getDataType());
        }
        return a;
    }

    private static NDArray back(NDArray a, DataType type) {
        return a;
    }

    private void checkImages(NDArray x) {
        Shape s = x.getShape();
        if (s.dimension() != 4 || !new Shape(s.get(1), s.get(2), s.get(3)).equals(imageShape)) {
            throw new IllegalArgumentException("autoencoder expects images (N, " + imageShape.get(0) + ", "
                    + imageShape.get(1) + ", " + imageShape.get(2) + "), got " + s);
        }
    }

    @Override
    public NDArray encode(NDArray x) {
        checkImages(x);
        NDList post = net.encode(ps, to32(x), false);
        return back(Scalars.mul(post.get(0), scale), x.getDataType());
    }

    @Override
    public NDArray encodeSample(NDArray x, NoiseSource noise) {
        checkImages(x);
        NDList post = net.encode(ps, to32(x), false);
        NDArray mu = post.get(0);
        NDArray sigma = Scalars.mul(post.get(1), 0.5).exp();
        NDArray xi = noise.normal(x.getManager(), mu.getShape(), DataType.FLOAT32);
        return back(Scalars.mul(mu.add(sigma.mul(xi)), scale), x.getDataType());
    }

    @Override
    public NDArray decode(NDArray z) {
        Shape s = z.getShape();
        if (s.dimension() != 4 || !new Shape(s.get(1), s.get(2), s.get(3)).equals(latentShape())) {
            throw new IllegalArgumentException("autoencoder expects latents (N, " + latentShape().get(0) + ", "
                    + latentShape().get(1) + ", " + latentShape().get(2) + "), got " + s);
        }
        return back(net.decode(ps, Scalars.div(to32(z), scale), false), z.getDataType());
    }
}
