package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import org.diffinv.priors.Autoencoder;
import org.diffinv.priors.ConditionalEpsPrior;
import org.diffinv.priors.EpsPrior;

/**
 * The prior of a latent-diffusion solver: a conditional noise predictor on latents, the autoencoder between images
 * and latents, and the condition to use with its null counterpart (Rombach et al. 2022; PSLD, P2L and
 * Flash-Diffusion solve in this space).
 *
 * @param eps the conditional latent noise predictor {@code eps_theta(z_t, t, c)}
 * @param ae the autoencoder: {@code E} images to latents, {@code D} latents to images
 * @param c the condition (a prompt embedding {@code (1, L, D)}), e.g. of "a high quality photo"
 * @param cNull the null condition (the empty prompt's embedding), for classifier-free guidance
 */
public record LatentPrior(ConditionalEpsPrior eps, Autoencoder ae, NDArray c, NDArray cNull) {

    /** Checks that every part is present and that the two conditions have one shape. */
    public LatentPrior {
        if (eps == null || ae == null || c == null || cNull == null) {
            throw new IllegalArgumentException("a latent prior needs eps, an autoencoder, c and cNull; got "
                    + (eps == null ? "eps" : ae == null ? "ae" : c == null ? "c" : "cNull") + " = null");
        }
        if (!c.getShape().equals(cNull.getShape())) {
            throw new IllegalArgumentException("c has shape " + c.getShape() + " but cNull has shape "
                    + cNull.getShape() + "; they must match");
        }
    }

    /** The unconditional view {@code z_t -> eps(z_t, t, c)} at the condition {@code c}. */
    public EpsPrior atCondition() {
        return eps.withCondition(c);
    }

    /**
     * The kit's shipped latent prior ({@code data/checkpoints/latent-unet} with its autoencoder) at the condition of
     * {@code prompt}, with the null prompt {@code ""} as {@code cNull}. The latent solvers of PSLD's tables run
     * unconditionally: {@code prompt = ""} (as PSLD's Stable Diffusion runs condition on the empty prompt's
     * embedding, not on zeros).
     *
     * @throws IllegalArgumentException (from the loaders) naming a missing checkpoint file
     */
    public static LatentPrior shipped(ai.djl.ndarray.NDManager manager, String prompt) {
        org.diffinv.priors.LatentEpsPrior eps = org.diffinv.priors.LatentEpsPrior.load(manager);
        org.diffinv.priors.KlAutoencoderModel ae = org.diffinv.priors.KlAutoencoderModel.load(manager);
        return new LatentPrior(eps, ae, eps.promptEmbedding(manager, prompt), eps.promptEmbedding(manager, ""));
    }
}
