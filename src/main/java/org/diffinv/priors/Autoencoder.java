package org.diffinv.priors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSource;

/**
 * The first stage of a latent diffusion model: an encoder {@code E} from images to latents and a decoder
 * {@code D} back (Rombach et al. 2022, Section 3). Latents are already multiplied by the model's scale factor
 * (Stable Diffusion's 0.18215 convention), so the diffusion prior sees roughly unit-variance latents:
 * {@code E(x) = scale * mu(x)} (or {@code scale * (mu + sigma xi)} when sampled),
 * {@code D(z) = dec(z / scale)}.
 *
 * <p>Both directions are differentiable with respect to their input when gradients are recorded (PSLD, P2L and
 * GML-DPS take VJPs through {@code D} and {@code E}). Results live on the input's manager.
 */
public interface Autoencoder {

    /** The image shape {@code (C, H, W)} this autoencoder takes. */
    Shape imageShape();

    /** The latent shape {@code (L, h, w)} it produces. */
    Shape latentShape();

    /** The factor latents are multiplied by after encoding (and divided by before decoding). */
    double scaleFactor();

    /** The deterministic encoding {@code scale * mu(x)} of images {@code x (N, C, H, W)}: {@code (N, L, h, w)}. */
    NDArray encode(NDArray x);

    /** A posterior sample {@code scale * (mu(x) + sigma(x) xi)}, {@code xi ~ N(0, I)} drawn from {@code noise}. */
    NDArray encodeSample(NDArray x, NoiseSource noise);

    /** The decoding {@code dec(z / scale)} of latents {@code z (N, L, h, w)}: images {@code (N, C, H, W)}. */
    NDArray decode(NDArray z);
}
