package org.diffinv.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.diffusion.Tweedie;
import org.diffinv.priors.EpsPrior;
import org.diffinv.solvers.Guidance;
import org.diffinv.solvers.LatentPrior;

/**
 * The unit costs of the latent solvers at one batch size, in milliseconds (medians, as {@link NetworkBench}):
 * the latent UNet's forward pass at the prior's condition, one VJP through UNet and decoder (the gradient of
 * {@code <D(x0Hat(z_t)), v>} with respect to {@code z_t}, the step LDPS, GML-DPS and PSLD take), one decoder call and
 * one encoder call.
 */
record LatentCosts(double unetMs, double unetDecoderVjpMs, double decoderMs, double encoderMs) {

    static LatentCosts measure(LatentPrior prior, int batch, int warmup, int repeat, NDManager manager) {
        Shape z = new Shape(batch).addAll(prior.ae().latentShape());
        Shape x = new Shape(batch).addAll(prior.ae().imageShape());
        EpsPrior eps = prior.atCondition();
        int t = NetworkBench.T;
        double unet = Timer.medianMs(warmup, repeat, manager, s -> {
            NDArray zt = normal(s, z);
            return () -> eps.eps(zt, t);
        });
        double vjp = Timer.medianMs(warmup, repeat, manager, s -> {
            NDArray zt = normal(s, z);
            NDArray v = normal(s, x);
            return () -> Guidance.gradient(zt, leaf -> prior.ae()
                    .decode(Tweedie.x0FromEps(eps.schedule(), leaf, eps.eps(leaf, t), t)).mul(v).sum());
        });
        double dec = Timer.medianMs(warmup, repeat, manager, s -> {
            NDArray zt = normal(s, z);
            return () -> prior.ae().decode(zt);
        });
        double enc = Timer.medianMs(warmup, repeat, manager, s -> {
            NDArray xs = normal(s, x);
            return () -> prior.ae().encode(xs);
        });
        return new LatentCosts(unet, vjp, dec, enc);
    }

    private static NDArray normal(NDManager s, Shape shape) {
        return NoiseSource.seeded(shape.size()).normal(s, shape, DataType.FLOAT32);
    }
}
