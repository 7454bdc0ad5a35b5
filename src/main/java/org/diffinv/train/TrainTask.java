package org.diffinv.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonObject;
import org.diffinv.diffusion.NoiseSource;

/**
 * What {@link Trainer} trains: a network, a seeded per-step loss and the metadata written beside the exported
 * weights.
 */
public interface TrainTask {

    /** A fresh network of this task's architecture, parameters initialised from {@code seed}. */
    Block newModel(NDManager manager, long seed);

    /**
     * The scalar training loss of global step {@code step} for {@code model}; every random draw (batch, t, noise)
     * comes from {@code rng}, which the trainer derives from {@code (seed, step)} so a resumed run repeats it.
     * Arrays go on {@code manager} (the step's scope).
     */
    NDArray loss(Block model, ParameterStore ps, NDManager manager, long step, NoiseSource rng);

    /** Metadata for the sidecar: kind and architecture config (the trainer adds training facts). */
    JsonObject describe();

    /**
     * Facts measured on the exported (EMA) network that loading needs, added at the sidecar's top level at export
     * (e.g. the autoencoder's latent scale factor). Measured once, here, so that evaluation never changes what a
     * checkpoint's loader returns. None by default.
     */
    default JsonObject exportFacts(Block exported, NDManager manager) {
        return new JsonObject();
    }

    /** Called after every optimizer update of {@code model} (e.g. a target network's average). Nothing by default. */
    default void afterUpdate(Block model) {
    }

    /**
     * The task's own resumable state (e.g. a target network), saved with each checkpoint as {@code task.ndlist};
     * empty by default.
     */
    default ai.djl.ndarray.NDList state(Block model) {
        return new ai.djl.ndarray.NDList();
    }

    /** Restores what {@link #state} saved. */
    default void restore(Block model, ai.djl.ndarray.NDList state) {
    }
}
