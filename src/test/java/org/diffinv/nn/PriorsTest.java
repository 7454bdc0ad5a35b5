package org.diffinv.nn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.priors.EpsPrior;
import org.diffinv.priors.KlAutoencoderModel;
import org.diffinv.priors.LatentEpsPrior;
import org.diffinv.priors.UNetEpsPrior;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tests of the network-backed priors (on small untrained networks: shapes, dtypes, gradients). */
class PriorsTest {

    @Test
    void unetPriorIsDifferentiableInXtAndMatchesAFiniteDifference() {
        try (NDManager m = NDManager.newBaseManager()) {
            UNet net = NetworkBlocksTest.build(NetworkBlocksTest.tiny("none", 0), m, 21);
            EpsPrior prior = UNetEpsPrior.of(net, NoiseSchedule.ddpmLinear(), m);
            NoiseSource rng = NoiseSource.seeded(4);
            NDArray x = rng.normal(m, new Shape(1, 1, 16, 16), DataType.FLOAT64);
            NDArray r = rng.normal(m, new Shape(1, 1, 16, 16), DataType.FLOAT64);
            NDArray v = rng.normal(m, new Shape(1, 1, 16, 16), DataType.FLOAT64);
            x.setRequiresGradient(true);
            NDArray g;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray eps = prior.eps(x, 300);
                assertEquals(DataType.FLOAT64, eps.getDataType(), "FLOAT64 in, FLOAT64 out");
                gc.backward(eps.mul(r).sum());
            }
            g = x.getGradient();
            double vjp = g.mul(v).sum().getDouble();
            // central difference of f(x) = <r, eps(x)> along v; the network runs in float32 (rounding ~1e-7
            // relative per value), so h = 1e-2 keeps rounding (~1e-5 / h) and curvature (~h^2) both well under 2%
            double h = 1e-2;
            NDArray xd = x.stopGradient();
            double fp = prior.eps(xd.add(v.mul(h)), 300).mul(r).sum().getDouble();
            double fm = prior.eps(xd.sub(v.mul(h)), 300).mul(r).sum().getDouble();
            double fd = (fp - fm) / (2 * h);
            assertEquals(fd, vjp, 0.02 * Math.abs(fd) + 1e-3, "VJP " + vjp + " vs finite difference " + fd);
            assertThrows(IllegalArgumentException.class, () -> prior.eps(xd, 1000));
            assertThrows(IllegalArgumentException.class, () -> prior.eps(m.zeros(new Shape(1, 1, 8, 8)), 3));
        }
    }

    static LatentDiffusionModel tinyLatent(NDManager m) {
        PromptEncoder enc = new PromptEncoder(6, 8, 2);
        UNet unet = new UNet(new UNetConfig(2, 2, 8, 8, new int[] {1, 2}, 1, new int[] {8, 4}, 2, 4, "cross", 8));
        LatentDiffusionModel model = new LatentDiffusionModel(enc, unet);
        model.setInitializer(new SeededInitializer(NoiseSource.seeded(9), 1.0), Parameter.Type.WEIGHT);
        model.initialize(m, DataType.FLOAT32, new Shape(1, 2, 8, 8));
        return model;
    }

    @Test
    void latentPriorBroadcastsTheConditionAndIsDifferentiableInIt() {
        try (NDManager m = NDManager.newBaseManager()) {
            LatentEpsPrior prior = LatentEpsPrior.of(tinyLatent(m), NoiseSchedule.ldmScaledLinear(), m, "ae");
            assertArrayEquals(new long[] {6, 8}, prior.conditionShape());
            NDArray z = NoiseSource.seeded(1).normal(m, new Shape(3, 2, 8, 8), DataType.FLOAT32);
            NDArray cNull = prior.promptEmbedding(m, "");
            NDArray cBag = prior.promptEmbedding(m, "a photo of a bag");
            assertEquals(new Shape(1, 6, 8), cNull.getShape());
            NDArray e1 = prior.eps(z, 500, cNull);
            assertEquals(new Shape(3, 2, 8, 8), e1.getShape());
            NDArray e2 = prior.withPrompt("a photo of a bag").eps(z, 500);
            assertTrue(e1.sub(e2).abs().max().getFloat() > 1e-5, "prompt must change eps");
            assertEquals(0f, prior.eps(z, 500, cBag).sub(e2).abs().max().getFloat(), 1e-6f,
                    "withPrompt is the same as passing the embedding");
            assertEquals(0f, prior.withPrompt("a photo of a bag", 1).eps(z, 500).sub(e2).abs().max().getFloat(),
                    1e-6f, "guidance scale 1 is the plain conditional prior");
            assertEquals(0f, prior.withPrompt("a photo of a bag", 0).eps(z, 500).sub(e1).abs().max().getFloat(),
                    1e-6f, "guidance scale 0 is the null-prompt prior");
            NDArray guided = prior.withPrompt("a photo of a bag", 3).eps(z, 500);
            assertEquals(0f, guided.sub(e1.add(e2.sub(e1).mul(3))).abs().max().getFloat(), 1e-5f,
                    "eps_null + 3 (eps_c - eps_null)");
            NDArray c = cNull.duplicate();
            c.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(prior.eps(z, 500, c).square().sum());
            }
            assertTrue(c.getGradient().abs().sum().getFloat() > 0, "P2L needs grad_C");
            assertThrows(IllegalArgumentException.class, () -> prior.eps(z, 500, m.zeros(new Shape(2, 6, 8))));
        }
    }

    /**
     * A loop over prompts (with and without guidance) through {@code withPrompt} views, each evaluated on a
     * batch in its own step scope, must leave the live arrays of the prior's long-lived manager unchanged: a view
     * once allocated a new embedding there at every {@code withPrompt} call, and {@code eps} put the repeated
     * condition on the condition's manager at every call. Counted after a first evaluation, which makes the group
     * norms' cached parameter views (two per group norm, once).
     */
    @Test
    void promptViewsInALoopDoNotGrowThePriorsManager() {
        try (NDManager m = NDManager.newBaseManager(); NDManager work = NDManager.newBaseManager()) {
            LatentEpsPrior prior = LatentEpsPrior.of(tinyLatent(m), NoiseSchedule.ldmScaledLinear(), m, "ae");
            NoiseSource noise = NoiseSource.seeded(11);
            String[] prompts = new String[11];
            for (int c = 0; c < 10; c++) {
                prompts[c] = org.diffinv.data.Captions.classPrompt(c);
            }
            prompts[10] = "";
            try (NDManager warm = work.newSubManager()) { // makes the group norms' cached parameter views, once
                prior.withPrompt("").eps(noise.normal(warm, new Shape(3, 2, 8, 8), DataType.FLOAT32), 500);
            }
            int before = org.diffinv.metrics.ProcessMemory.liveArrays(m);
            for (int round = 0; round < 5; round++) {
                for (String p : prompts) {
                    try (NDManager step = work.newSubManager()) {
                        NDArray z = noise.normal(step, new Shape(3, 2, 8, 8), DataType.FLOAT32);
                        prior.withPrompt(p).eps(z, 500);
                        prior.withPrompt(p, 3.0).eps(z, 500);
                        prior.withPrompt(p, 0.0).eps(z, 500);
                    }
                }
                assertEquals(before, org.diffinv.metrics.ProcessMemory.liveArrays(m),
                        "live arrays on the prior's manager after round " + round + " over " + prompts.length
                                + " prompts");
            }
            assertEquals(0, org.diffinv.metrics.ProcessMemory.liveArrays(work), "every step scope was closed");
        }
    }

    /**
     * A condition kept on a long-lived manager (P2L's optimised C) must not collect arrays from eps calls (counted
     * after a first call, which makes the group norms' cached parameter views on the prior's manager, a fixed number).
     */
    @Test
    void epsLeavesNothingOnTheConditionsManager() {
        try (NDManager m = NDManager.newBaseManager(); NDManager held = NDManager.newBaseManager();
             NDManager work = NDManager.newBaseManager()) {
            LatentEpsPrior prior = LatentEpsPrior.of(tinyLatent(m), NoiseSchedule.ldmScaledLinear(), m, "ae");
            NDArray cOne = prior.promptEmbedding(held, "a photo of a bag");
            NDArray cBatch = cOne.repeat(0, 3);
            try (NDManager warm = work.newSubManager()) { // makes the group norms' cached parameter views, once
                prior.eps(NoiseSource.seeded(13).normal(warm, new Shape(3, 2, 8, 8), DataType.FLOAT32), 400, cOne);
            }
            int before = org.diffinv.metrics.ProcessMemory.liveArrays(held);
            int beforePrior = org.diffinv.metrics.ProcessMemory.liveArrays(m);
            NoiseSource noise = NoiseSource.seeded(12);
            NDArray reference = null;
            for (int i = 0; i < 10; i++) {
                try (NDManager step = work.newSubManager()) {
                    NDArray z = NoiseSource.seeded(13).normal(step, new Shape(3, 2, 8, 8), DataType.FLOAT32);
                    NDArray e1 = prior.eps(z, 400, cOne);
                    NDArray e3 = prior.eps(z, 400, cBatch);
                    assertEquals(0f, e1.sub(e3).abs().max().getFloat(), 1e-6f, "broadcast equals the repeated condition");
                    noise.normal(step, new Shape(1), DataType.FLOAT32);
                }
            }
            assertEquals(before, org.diffinv.metrics.ProcessMemory.liveArrays(held), "arrays left on the condition's manager");
            assertEquals(beforePrior, org.diffinv.metrics.ProcessMemory.liveArrays(m), "arrays left on the prior's manager");
        }
    }

    @Test
    void autoencoderAppliesItsScaleFactorAndKeepsShapes() {
        try (NDManager m = NDManager.newBaseManager()) {
            KlAutoencoder raw = new KlAutoencoder(1, 8, 3);
            raw.setInitializer(new SeededInitializer(NoiseSource.seeded(2), 1.0), Parameter.Type.WEIGHT);
            raw.initialize(m, DataType.FLOAT32, new Shape(1, 1, 32, 32));
            KlAutoencoderModel ae = KlAutoencoderModel.of(raw, 2.5, m, 32);
            NDArray x = NoiseSource.seeded(3).normal(m, new Shape(2, 1, 32, 32), DataType.FLOAT32).tanh();
            NDArray z = ae.encode(x);
            assertEquals(new Shape(2, 3, 8, 8), z.getShape());
            ParameterStore ps = new ParameterStore(m, false);
            NDArray mu = raw.encode(ps, x, false).get(0);
            assertEquals(0f, z.sub(mu.mul(2.5)).abs().max().getFloat(), 1e-5f, "E(x) = scale * mu");
            NDArray d = ae.decode(z);
            assertEquals(new Shape(2, 1, 32, 32), d.getShape());
            assertEquals(0f, d.sub(raw.decode(ps, mu, false)).abs().max().getFloat(), 1e-5f, "D(z) = dec(z / scale)");
            NDArray zs1 = ae.encodeSample(x, NoiseSource.seeded(5));
            NDArray zs2 = ae.encodeSample(x, NoiseSource.seeded(5));
            assertEquals(0f, zs1.sub(zs2).abs().max().getFloat(), 0f, "same seed, same sample");
            assertThrows(IllegalArgumentException.class, () -> ae.decode(m.zeros(new Shape(1, 4, 8, 8))));
        }
    }

    @Test
    void promptTokenisationFollowsTheRules() {
        PromptEncoder enc = new PromptEncoder(6, 8, 2);
        int bos = PromptEncoder.VOCABULARY.indexOf("<bos>");
        int nul = PromptEncoder.VOCABULARY.indexOf("<null>");
        int unk = PromptEncoder.VOCABULARY.indexOf("<unk>");
        assertArrayEquals(new int[] {bos, nul, 0, 0, 0, 0}, enc.tokenize(""));
        assertArrayEquals(new int[] {bos, nul, 0, 0, 0, 0}, enc.tokenize("   "));
        int[] ids = enc.tokenize("A photo of a Sneaker!");
        assertArrayEquals(new int[] {bos, PromptEncoder.VOCABULARY.indexOf("a"),
            PromptEncoder.VOCABULARY.indexOf("photo"), PromptEncoder.VOCABULARY.indexOf("of"),
            PromptEncoder.VOCABULARY.indexOf("a"), PromptEncoder.VOCABULARY.indexOf("sneaker")}, ids);
        assertEquals(unk, enc.tokenize("zebra")[1]);
        assertEquals(6, enc.tokenize("a high quality photo of a t-shirt and more words").length, "cut at L");
        assertEquals(PromptEncoder.VOCABULARY.indexOf("t-shirt"), enc.tokenize("t-shirt")[1]);
        assertThrows(IllegalArgumentException.class, () -> enc.tokenize((String) null));
    }
}
