package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import org.diffinv.diffusion.DdimStep;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.StepResult;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.operators.LinearOperator;
import org.diffinv.operators.Operator;
import org.diffinv.priors.Autoencoder;
import org.diffinv.util.Scalars;

/**
 * The one loop of the latent DPS family (Rout et al., NeurIPS 2023, "Solving linear inverse problems provably via
 * posterior sampling with latent diffusion models", Algorithms 1-2 and the official PSLD code), shared by {@link Ldps},
 * {@link GmlDps} and {@link Psld}: per grid pair {@code (t, s)}, with {@code z_t} recorded for gradients,
 * <pre>
 *   eps = eps_theta(z_t, t, c);   z0 = Tweedie(z_t, eps);   x0 = D(z0)                 (through UNet and decoder)
 *   L   = omega ||y - A(x0)||^p  +  gamma term(z0, x0)                                   (term: none, goodness, gluing)
 *   z'  = DDIM(z0, eps; eta)
 *   z_s = z' - grad_{z_t} L
 * </pre>
 * and the output {@code D(z_0)}. {@code p = 1} is the reference code's unsquared norm (the default), {@code p = 2} the
 * paper's squared form; the extra term uses the same power. The gradient goes through the network and the decoder
 * (and the encoder, for the extra terms) by one recording ({@link Guidance#evaluate}): a variant that holds eps
 * constant is a different method and is not offered under these names.
 */
final class LatentDps {

    /** The extra term of GML-DPS or PSLD as a function of {@code z0} and {@code x0 = D(z0)}, per-sample norms summed. */
    @FunctionalInterface
    interface ExtraTerm {
        NDArray value(NDArray z0, NDArray x0);
    }

    private LatentDps() {
    }

    /**
     * Runs the loop.
     *
     * @param ctx a latent solve's context
     * @param grid the reverse grid on the latent prior's schedule
     * @param eta DDIM's stochasticity
     * @param omega the measurement step size
     * @param p the norm's power (1 or 2)
     * @param gamma the extra term's step size (ignored when {@code term} is null)
     * @param term the extra term, or null for LDPS
     * @param freshNoiseSigma the std of fresh noise added to {@code A(x0)} inside the norm at every step (PSLD's
     *     reference code), 0 for none
     * @return the decoded estimate {@code D(z_0)}
     */
    static NDArray run(SolveContext<? extends Operator> ctx, TimeGrid grid, double eta, double omega, double p,
            double gamma, ExtraTerm term, double freshNoiseSigma) {
        ctx.requireGrid(grid, "latent DPS");
        NoiseSchedule schedule = grid.schedule();
        Autoencoder ae = ctx.latent().ae();
        Operator a = ctx.a();
        NDArray y = ctx.y();
        NDArray zT = ctx.noise().normal(ctx.manager(), ctx.latentShape(), ctx.dataType());
        Guidance.Objective objective = objective(ae, a, y, omega, p, gamma, term, freshNoiseSigma, ctx.noise());
        NDArray z0 = ctx.loop(grid, zT, (i, step, zt) -> {
            Guidance.Result g = ctx.guide(zt, step.t(), objective);
            NDArray zPrime = DdimStep.update(schedule, g.x0Hat(), g.eps(), step.t(), step.tPrev(), eta, ctx.noise());
            return new StepResult(zPrime.sub(g.gradient()), g.x0Hat());
        });
        return ae.decode(z0);
    }

    /**
     * The objective {@code L(z0) = omega ||y - A(D(z0)) [+ fresh noise]||^p + gamma term(z0, D(z0))} of the latent DPS
     * family, as a {@link Guidance.Objective} (one operator VJP per backward pass).
     */
    static Guidance.Objective objective(Autoencoder ae, Operator a, NDArray y, double omega, double p, double gamma,
            ExtraTerm term, double freshNoiseSigma, org.diffinv.diffusion.NoiseSource noise) {
        return new Guidance.Objective() {
            @Override
            public NDArray loss(NDArray eps, NDArray z0) {
                NDArray x0 = ae.decode(z0);
                NDArray ax = a.apply(x0);
                if (freshNoiseSigma > 0) {
                    ax = ax.add(Scalars.mul(noise.normalLike(ax), freshNoiseSigma));
                }
                NDArray loss = Scalars.mul(Guidance.sumOfNorms(ax.sub(y), p), omega);
                if (term != null) {
                    loss = loss.add(Scalars.mul(term.value(z0, x0), gamma));
                }
                return loss;
            }

            @Override
            public long operatorVjps() {
                return 1;
            }
        };
    }

    /**
     * The reference PSLD code's "transpose" (LituRout/PSLD): the identity when {@code A} keeps the image shape
     * (blur, inpainting), nearest-neighbour up-sampling by the size ratio otherwise (super-resolution). Not the adjoint.
     */
    static NDArray codedTranspose(NDArray v, ai.djl.ndarray.types.Shape imageShape) {
        long h = imageShape.get(imageShape.dimension() - 2);
        long hv = v.getShape().get(2);
        if (hv == h && v.getShape().get(3) == imageShape.get(imageShape.dimension() - 1)) {
            return v;
        }
        int k = Math.toIntExact(h / hv);
        return v.repeat(2, k).repeat(3, k);
    }

    /** The true adjoint, or the coded transpose when {@code coded}. */
    static NDArray transpose(LinearOperator a, NDArray v, ai.djl.ndarray.types.Shape imageShape, boolean coded) {
        return coded ? codedTranspose(v, imageShape) : a.adjoint(v);
    }
}
