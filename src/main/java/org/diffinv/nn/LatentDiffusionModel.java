package org.diffinv.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The prompt-conditioned latent noise predictor of latent diffusion (Rombach et al. 2022, Eq. 3 without the
 * autoencoder): a {@link PromptEncoder} {@code tau(y)} and a cross-attention {@link UNet}
 * {@code eps_theta(z_t, t, tau(y))}, trained jointly and saved as one parameter file.
 *
 * <p>Forward inputs: {@code [z_t (N, C, h, w), t (N), tokens (N, L)]} (token ids) or, with the encoder bypassed,
 * use {@link #eps} with a conditioning tensor {@code c (N, L, D)} directly (what P2L optimises).
 */
public final class LatentDiffusionModel extends KitBlock {
    private final PromptEncoder promptEncoder;
    private final UNet unet;

    /** A model of the given prompt encoder and cross-attention UNet ({@code contextDim == encoder dim}). */
    public LatentDiffusionModel(PromptEncoder promptEncoder, UNet unet) {
        super((byte) 1);
        if (!unet.config().conditioning().equals("cross") || unet.config().contextDim() != promptEncoder.dim()) {
            throw new IllegalArgumentException("the UNet must use cross-attention on contextDim = "
                    + promptEncoder.dim() + ", got " + unet.config());
        }
        this.promptEncoder = addChildBlock("prompt", promptEncoder);
        this.unet = addChildBlock("unet", unet);
    }

    /** The prompt encoder. */
    public PromptEncoder promptEncoder() {
        return promptEncoder;
    }

    /** The UNet. */
    public UNet unet() {
        return unet;
    }

    @Override
    protected void initChildren(NDManager manager, DataType dataType) {
        promptEncoder.initialize(manager, dataType, new Shape(1, promptEncoder.length()));
        UNetConfig c = unet.config();
        unet.initialize(manager, dataType, new Shape(1, c.inChannels(), c.imageSize(), c.imageSize()), new Shape(1),
                new Shape(1, promptEncoder.length(), c.contextDim()));
    }

    /** The conditioning tensor {@code tau(tokens) (N, L, D)}. */
    public NDArray encodePrompt(ParameterStore ps, NDArray tokens, boolean training) {
        return run(promptEncoder, ps, tokens, training);
    }

    /** {@code eps_theta(z_t, t, c)} for a conditioning tensor {@code c (N, L, D)}. */
    public NDArray eps(ParameterStore ps, NDArray zt, NDArray t, NDArray c, boolean training) {
        return unet.forward(ps, new NDList(zt, t, c), training).singletonOrThrow();
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        if (inputs.size() != 3) {
            throw new IllegalArgumentException("expects [z_t, t, tokens], got " + inputs.size() + " inputs");
        }
        NDArray c = encodePrompt(ps, inputs.get(2), training);
        return new NDList(eps(ps, inputs.get(0), inputs.get(1), c, training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
