package org.diffinv.nn;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.google.gson.JsonObject;
import org.diffinv.data.DataPaths;
import org.diffinv.diffusion.NoiseSource;

import java.nio.file.Path;

/**
 * Loading the kit's shipped networks by name from {@code data/checkpoints/} (or any directory): reads the sidecar
 * {@code NAME.json}, builds the architecture it names, and loads {@code NAME.params} after checking its SHA-256.
 * Loaded parameters do not record gradients (they are frozen priors and metrics), but gradients with respect to
 * the inputs flow through them.
 */
public final class Checkpoints {

    private Checkpoints() {
    }

    /** The sidecar of checkpoint {@code name} in {@code dir}, after checking it names the expected kind. */
    public static JsonObject sidecar(Path dir, String name, String expectedKind) {
        JsonObject side = ModelFiles.readSidecar(dir, name);
        String kind = side.has("kind") ? side.get("kind").getAsString() : "(none)";
        if (!kind.equals(expectedKind)) {
            throw new ModelFiles.CheckpointException("checkpoint " + ModelFiles.sidecarFile(dir, name)
                    + " is a " + kind + ", expected a " + expectedKind, null);
        }
        return side;
    }

    /** A UNet from checkpoint {@code name} in {@code dir} (sidecar kind {@code expectedKind}). */
    public static UNet loadUNet(NDManager manager, Path dir, String name, String expectedKind) {
        JsonObject side = sidecar(dir, name, expectedKind);
        UNetConfig cfg = ModelFiles.GSON.fromJson(side.get("unet"), UNetConfig.class);
        UNet net = new UNet(cfg);
        net.setInitializer(new SeededInitializer(NoiseSource.seeded(0), 1.0), Parameter.Type.WEIGHT);
        if (cfg.conditioned()) {
            net.initialize(manager, DataType.FLOAT32, new Shape(1, cfg.inChannels(), cfg.imageSize(),
                    cfg.imageSize()), new Shape(1), new Shape(1, 1, cfg.contextDim()));
        } else {
            net.initialize(manager, DataType.FLOAT32, new Shape(1, cfg.inChannels(), cfg.imageSize(),
                    cfg.imageSize()), new Shape(1));
        }
        ModelFiles.load(net, manager, dir, name, side.get("sha256").getAsString());
        return net;
    }

    /** The feature classifier from checkpoint {@code name} in {@code dir}. */
    public static FeatureClassifier loadClassifier(NDManager manager, Path dir, String name) {
        JsonObject side = sidecar(dir, name, "feature-classifier");
        FeatureClassifier net = new FeatureClassifier(1, side.get("width").getAsInt(),
                side.get("featureDim").getAsInt(), side.get("classes").getAsInt());
        net.setInitializer(new SeededInitializer(NoiseSource.seeded(0), 1.0), Parameter.Type.WEIGHT);
        net.initialize(manager, DataType.FLOAT32, new Shape(1, 1, 32, 32));
        ModelFiles.load(net, manager, dir, name, side.get("sha256").getAsString());
        return net;
    }

    /** The shipped feature classifier {@code data/checkpoints/classifier}. */
    public static FeatureClassifier loadClassifier(NDManager manager) {
        return loadClassifier(manager, DataPaths.checkpointsDir(), "classifier");
    }
}
