package org.diffinv.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.priors.EpsPrior;
import org.diffinv.solvers.Guidance;
import org.diffinv.solvers.LatentPrior;

/**
 * The unit costs of the latent solvers at one batch size, in milliseconds (medians, as {@link NetworkBench}): the
 * latent UNet's forward pass at the prior's condition and its forward plus backward pass to {@code z_t}, and the
 * decoder's and the encoder's, each alone, for the ledger's plain calls and VJPs. A latent DPS-type step (LDPS,
 * GML-DPS, PSLD) is one UNet VJP plus one decoder VJP (plus one encoder VJP for the gluing terms); ReSample's and
 * latent DCDP's data-consistency iterations are decoder VJPs without the UNet.
 */
record LatentCosts(double unetMs, double unetVjpMs, double decoderMs, double decoderVjpMs, double encoderMs,
                   double encoderVjpMs) {

    static LatentCosts measure(LatentPrior prior, int batch, int warmup, int repeat, NDManager manager) {
        Shape z = new Shape(batch).addAll(prior.ae().latentShape());
        Shape x = new Shape(batch).addAll(prior.ae().imageShape());
        EpsPrior eps = prior.atCondition();
        int t = NetworkBench.T;
        double unet = Timer.medianMs(warmup, repeat, manager, s -> {
            NDArray zt = normal(s, z);
            return () -> eps.eps(zt, t);
        });
        double unetVjp = Timer.medianMs(warmup, repeat, manager, s -> {
            NDArray zt = normal(s, z);
            NDArray v = normal(s, z);
            return () -> Guidance.gradient(zt, leaf -> eps.eps(leaf, t).mul(v).sum());
        });
        double dec = Timer.medianMs(warmup, repeat, manager, s -> {
            NDArray zs = normal(s, z);
            return () -> prior.ae().decode(zs);
        });
        double decVjp = Timer.medianMs(warmup, repeat, manager, s -> {
            NDArray zs = normal(s, z);
            NDArray v = normal(s, x);
            return () -> Guidance.gradient(zs, leaf -> prior.ae().decode(leaf).mul(v).sum());
        });
        double enc = Timer.medianMs(warmup, repeat, manager, s -> {
            NDArray xs = normal(s, x);
            return () -> prior.ae().encode(xs);
        });
        double encVjp = Timer.medianMs(warmup, repeat, manager, s -> {
            NDArray xs = normal(s, x);
            NDArray v = normal(s, z);
            return () -> Guidance.gradient(xs, leaf -> prior.ae().encode(leaf).mul(v).sum());
        });
        return new LatentCosts(unet, unetVjp, dec, decVjp, enc, encVjp);
    }

    private static NDArray normal(NDManager s, Shape shape) {
        return NoiseSource.seeded(shape.size()).normal(s, shape, DataType.FLOAT32);
    }
}
