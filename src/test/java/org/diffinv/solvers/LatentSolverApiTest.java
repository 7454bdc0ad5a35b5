package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.DdimStep;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.metrics.Cost;
import org.diffinv.operators.Inpainting;
import org.diffinv.operators.Masks;
import org.diffinv.operators.MeasurementNoise;
import org.diffinv.operators.MotionBlur;
import org.diffinv.operators.MotionKernels;
import org.diffinv.operators.Operator;
import org.diffinv.operators.SvdOperator;
import org.diffinv.priors.Autoencoder;
import org.diffinv.priors.ConditionalEpsPrior;
import org.diffinv.priors.GaussianPrior;
import org.diffinv.priors.TestPriors;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The latent-solver API with no latent method yet: a test method (DDIM on latents, then decode) on a linear
 * autoencoder ({@code E(x) = 2 x}, {@code D(z) = z / 2}) and an exact Gaussian latent prior, to show the ledger counts
 * the conditional prior, the encoder and the decoder, and that bad input is refused as for pixel solvers.
 */
class LatentSolverApiTest {

    private static final Shape IMAGE = new Shape(1, 4, 4);
    private final NoiseSchedule schedule = NoiseSchedule.ddpmLinear();
    private final GaussianPrior gaussian = TestPriors.randomGaussian(schedule, IMAGE, NoiseSource.seeded(4));

    private final Autoencoder linear = new Autoencoder() {
        @Override
        public Shape imageShape() {
            return IMAGE;
        }

        @Override
        public Shape latentShape() {
            return IMAGE;
        }

        @Override
        public double scaleFactor() {
            return 2;
        }

        @Override
        public NDArray encode(NDArray x) {
            return x.mul(2);
        }

        @Override
        public NDArray encodeSample(NDArray x, NoiseSource noise) {
            return x.mul(2);
        }

        @Override
        public NDArray decode(NDArray z) {
            return z.div(2);
        }
    };

    private final ConditionalEpsPrior conditional = new ConditionalEpsPrior() {
        @Override
        public NoiseSchedule schedule() {
            return schedule;
        }

        @Override
        public long[] conditionShape() {
            return new long[] {1, 2};
        }

        @Override
        public NDArray eps(NDArray zt, int t, NDArray condition) {
            return gaussian.eps(zt, t);
        }
    };

    /** Unconditional DDIM on latents, decoded: no measurement use, only the API's plumbing. */
    private static final class DecodeSample implements LatentSolver<SvdOperator> {
        @Override
        public String name() {
            return "decode-sample";
        }

        @Override
        public String citation() {
            return "test";
        }

        @Override
        public Class<SvdOperator> tier() {
            return SvdOperator.class;
        }

        @Override
        public NDArray reconstruct(SolveContext<SvdOperator> ctx) {
            TimeGrid grid = ctx.requireGrid(TimeGrid.ddimUniform(ctx.schedule(), 10), name());
            NDArray zT = ctx.noise().normal(ctx.manager(), ctx.latentShape(), ctx.dataType());
            NDArray z0 = ctx.loop(grid, zT, (i, step, zt) -> DdimStep.step(ctx.schedule(), zt,
                    ctx.prior().eps(zt, step.t()), step.t(), step.tPrev(), 0, null));
            return ctx.latent().ae().decode(z0);
        }
    }

    @Test
    void theLedgerCountsPriorEncoderAndDecoder() {
        try (NDManager m = NDManager.newBaseManager()) {
            LatentPrior prior = new LatentPrior(conditional, linear, m.zeros(new Shape(1, 1, 2), DataType.FLOAT64),
                    m.zeros(new Shape(1, 1, 2), DataType.FLOAT64));
            NDArray x = gaussian.sample(m, 3, DataType.FLOAT64, NoiseSource.seeded(1));
            SvdOperator a = new Inpainting(Masks.randomPixels(1, 4, 4, 0.5, NoiseSource.seeded(2)));
            Problem<SvdOperator> p = Problem.measure(a, x, MeasurementNoise.NONE, NoiseSource.seeded(3));
            try (Reconstruction r = new DecodeSample().solve(p, prior, Run.seeded(1).recordSnapshots(2))) {
                Cost c = r.cost();
                assertEquals(10, c.nfe());
                assertEquals(1, c.decoderCalls());
                assertEquals(0, c.decoderVjps(), "a decode outside any gradient recording is a plain call");
                assertEquals(0, c.encoderCalls());
                assertEquals(new Shape(3, 1, 4, 4), r.xHat().getShape());
                assertEquals(2, r.trajectory().size());
            }
        }
    }

    @Test
    void theLedgerTellsBackPropagatedAutoencoderCallsFromPlainOnes() {
        // PSLD (Rout et al. 2023, Algorithm 2): per step one guided evaluation whose loss decodes z0Hat and, in the
        // gluing term, encodes the glued image, both back-propagated; then one plain decode of the final latent
        try (NDManager m = NDManager.newBaseManager()) {
            LatentPrior prior = new LatentPrior(conditional, linear, m.zeros(new Shape(1, 1, 2), DataType.FLOAT64),
                    m.zeros(new Shape(1, 1, 2), DataType.FLOAT64));
            NDArray x = gaussian.sample(m, 2, DataType.FLOAT64, NoiseSource.seeded(1));
            SvdOperator a = new Inpainting(Masks.randomPixels(1, 4, 4, 0.5, NoiseSource.seeded(2)));
            Problem<SvdOperator> p = Problem.measure(a, x, MeasurementNoise.NONE, NoiseSource.seeded(3));
            Psld psld = new Psld(Psld.Params.paper(schedule, TaskKind.INPAINTING)
                    .withGrid(TimeGrid.ddimUniform(schedule, 7)));
            try (Reconstruction r = psld.solve(p, prior, Run.seeded(1))) {
                Cost c = r.cost();
                int n = psld.params().grid().size();
                assertTrue(n >= 7, "grid of " + n + " steps");
                assertEquals(n, c.vjp());
                assertEquals(n + 1, c.decoderCalls());
                assertEquals(n, c.decoderVjps());
                assertEquals(n, c.encoderCalls());
                assertEquals(n, c.encoderVjps());
            }
        }
    }

    @Test
    void badInputIsRefused() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray c = m.zeros(new Shape(1, 1, 2), DataType.FLOAT64);
            assertThrows(IllegalArgumentException.class, () -> new LatentPrior(conditional, linear, c,
                    m.zeros(new Shape(1, 1, 3), DataType.FLOAT64)));
            LatentPrior prior = new LatentPrior(conditional, linear, c, c);
            NDArray big = m.zeros(new Shape(1, 1, 8, 8), DataType.FLOAT64);
            Problem<Operator> wrongSize = Problem.measure(new Inpainting(Masks.centeredBox(8, 8, 2, 2)), big,
                    MeasurementNoise.NONE, NoiseSource.seeded(1));
            LatentSolver<Operator> any = new LatentSolver<>() {
                @Override
                public String name() {
                    return "any";
                }

                @Override
                public String citation() {
                    return "test";
                }

                @Override
                public Class<Operator> tier() {
                    return Operator.class;
                }

                @Override
                public NDArray reconstruct(SolveContext<Operator> ctx) {
                    throw new AssertionError("must not run");
                }
            };
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> any.solve(wrongSize, prior, Run.seeded(1)));
            assertTrue(e.getMessage().contains("(1, 8, 8)") && e.getMessage().contains("(1, 4, 4)"), e.getMessage());
            MotionBlur blur = new MotionBlur(MotionKernels.generate(3, 0.5, NoiseSource.seeded(1)));
            Problem<Operator> linearOnly = Problem.measure(blur, m.zeros(new Shape(1, 1, 4, 4), DataType.FLOAT64),
                    MeasurementNoise.NONE, NoiseSource.seeded(1));
            e = assertThrows(IllegalArgumentException.class,
                    () -> new DecodeSample().requireTier(linearOnly));
            assertTrue(e.getMessage().contains("'SVD'") && e.getMessage().contains("'linear'"), e.getMessage());
        }
    }
}
