package org.diffinv.metrics;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.util.Scopes;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that a long sampling loop written with one sub-manager per step ({@link Scopes#step}) does not grow native
 * memory, and that the same loop without sub-managers does (so the check can fail).
 *
 * <p>The loop is a DDPM/DDIM update (eta = 1) with the exact eps of a Gaussian prior
 * {@code x_0 ~ N(0, s^2 I)}: {@code eps(x_t) = sqrt(1 - alphaBar_t) x_t / (alphaBar_t s^2 + 1 - alphaBar_t)}, on a
 * FLOAT32 batch (16, 1, 32, 32) (64 KiB per tensor), 3000 steps of a 3000-step linear schedule. Each step creates
 * about ten full-size temporaries (eps, x0Hat, noise, products), i.e. ~640 KiB; 3000 leaked steps would hold
 * ~1.9 GB.
 *
 * <p>Bounds: the live-array count of the base manager must be exactly constant (a leak of a single tensor shows).
 * Resident memory (VmRSS) also moves for reasons that are not leaks: each step draws its noise on the Java side (a
 * 64 KiB {@code float[]} of garbage), so G1 touches fresh young-generation pages until its first collections
 * (measured: RSS rises ~20 MB per 250 steps for the first ~3000 steps, then stays flat), and tensors created from
 * Java data keep their direct buffer until a GC. So the warm-up runs 250-step chunks until two consecutive chunks
 * each moved RSS by less than 4 MB (a leak of one 64 KiB tensor per step moves it 16 MB per chunk and never
 * settles: the test fails after 8000 warm-up steps), then 3000 measured steps may grow RSS by less than 50 MB
 * (a one-tensor-per-step leak would add ~190 MB). The companion test shows the leaking loop's RSS growth does
 * register: at least half of the leaked tensor bytes and more than 50 MB.
 */
class MemoryDisciplineTest {
    private static final Shape SHAPE = new Shape(16, 1, 32, 32);
    private static final double S = 0.5; // data std of the Gaussian prior
    private static final long TENSOR_BYTES = 16 * 32 * 32 * 4;

    private static final int CHUNK = 250;
    private static final int MAX_WARMUP_STEPS = 8000;
    private static final NoiseSchedule SCHEDULE = NoiseSchedule.linear(1e-4, 0.02, 3000);

    /** One ancestral DDIM step (eta = 1) from index {@code t} to {@code t - 1}; all temporaries on x's manager. */
    private static NDArray ddimStep(NDArray x, int t, NoiseSource noise) {
        double alphaBar = SCHEDULE.alphaBar(t);
        double alphaBarPrev = t > 0 ? SCHEDULE.alphaBar(t - 1) : 1.0;
        // exact eps of the Gaussian prior
        NDArray eps = x.mul(Math.sqrt(1 - alphaBar) / (alphaBar * S * S + 1 - alphaBar));
        NDArray x0Hat = x.sub(eps.mul(Math.sqrt(1 - alphaBar))).div(Math.sqrt(alphaBar));
        double sigma = Math.sqrt((1 - alphaBarPrev) / (1 - alphaBar) * (1 - alphaBar / alphaBarPrev));
        NDArray z = noise.normalLike(x);
        return x0Hat.mul(Math.sqrt(alphaBarPrev))
                .add(eps.mul(Math.sqrt(Math.max(0, 1 - alphaBarPrev - sigma * sigma))))
                .add(z.mul(sigma));
    }

    @Test
    void subManagerPerStepKeepsLiveArraysAndRssFlat() {
        Assumptions.assumeTrue(ProcessMemory.sample().source() == ProcessMemory.Source.PROC_STATUS,
                "RSS is only observable through /proc/self/status (Linux)");
        NoiseSource noise = NoiseSource.seeded(2024);
        int steps = SCHEDULE.steps();
        try (NDManager base = NDManager.newBaseManager()) {
            NDArray x = noise.normal(base, SHAPE, DataType.FLOAT32);
            int liveBefore = ProcessMemory.liveArrays(base);

            // warm-up: run chunks until RSS is steady (two consecutive chunks each moved it < 4 MB)
            double previous = ProcessMemory.rssMb();
            int quietChunks = 0;
            int warmupSteps = 0;
            while (quietChunks < 2) {
                assertTrue(warmupSteps < MAX_WARMUP_STEPS, "RSS never became steady in " + MAX_WARMUP_STEPS
                        + " warm-up steps (last " + previous + " MB): memory grows per step");
                for (int i = 0; i < CHUNK; i++, warmupSteps++) {
                    int t = steps - 1 - (warmupSteps % steps);
                    x = Scopes.step(x, xt -> ddimStep(xt, t, noise));
                }
                assertEquals(liveBefore, ProcessMemory.liveArrays(base), "live arrays after warm-up step "
                        + warmupSteps);
                double now = ProcessMemory.rssMb();
                quietChunks = Math.abs(now - previous) < 4 ? quietChunks + 1 : 0;
                previous = now;
            }
            x.close();
            x = noise.normal(base, SHAPE, DataType.FLOAT32);

            double rssAfterWarmup = ProcessMemory.rssMb();
            double heapAfterWarmup = heapCommittedMb();
            CostMeter meter = CostMeter.builder().optWatch(base).start();
            double rssMax = rssAfterWarmup;
            for (int i = 0; i < steps; i++) {
                int t = steps - 1 - i;
                x = Scopes.step(x, xt -> ddimStep(xt, t, noise));
                meter.countNfe();
                if (i % 100 == 99) {
                    assertEquals(liveBefore, ProcessMemory.liveArrays(base), "live arrays at step " + i);
                    rssMax = Math.max(rssMax, ProcessMemory.rssMb());
                }
            }
            Cost cost = meter.stop();
            assertEquals(liveBefore, ProcessMemory.liveArrays(base));
            assertEquals(3000, cost.nfe());
            // peak live arrays include one step's temporaries in the sub-manager, never an accumulation
            assertTrue(cost.peakLiveArrays() < liveBefore + 20, "peak live arrays " + cost.peakLiveArrays());
            double growth = rssMax - rssAfterWarmup;
            System.out.printf("memory discipline: %d warm-up + %d steps in %.2f s, RSS %.1f -> max %.1f MB "
                    + "(growth %.1f MB), JVM heap committed %.1f -> %.1f MB, peak live arrays %d%n", warmupSteps,
                    steps, cost.seconds(), rssAfterWarmup, rssMax, growth, heapAfterWarmup, heapCommittedMb(),
                    cost.peakLiveArrays());
            assertTrue(growth < 50, "RSS grew by " + growth + " MB during " + steps + " steps after warm-up");
            // the loop really sampled: the exact-prior sampler ends near N(0, s^2)
            double std = Math.sqrt(x.square().mean().getFloat());
            assertTrue(Math.abs(std - S) < 0.05, "final sample std " + std);
        }
    }

    private static double heapCommittedMb() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted() / (1024.0 * 1024.0);
    }

    @Test
    void withoutSubManagersTheSameLoopGrows() {
        Assumptions.assumeTrue(ProcessMemory.sample().source() == ProcessMemory.Source.PROC_STATUS,
                "RSS is only observable through /proc/self/status (Linux)");
        NoiseSource noise = NoiseSource.seeded(2024);
        int steps = 300;
        try (NDManager base = NDManager.newBaseManager()) {
            NDArray x = noise.normal(base, SHAPE, DataType.FLOAT32);
            // warm up allocator and JIT without leaking
            for (int i = 0; i < 50; i++) {
                int t = SCHEDULE.steps() - 1 - i;
                x = Scopes.step(x, xt -> ddimStep(xt, t, noise));
            }
            int liveBefore = ProcessMemory.liveArrays(base);
            double rssBefore = ProcessMemory.rssMb();
            for (int i = 50; i < 50 + steps; i++) {
                x = ddimStep(x, SCHEDULE.steps() - 1 - i, noise);
            }
            int leaked = ProcessMemory.liveArrays(base) - liveBefore;
            double growth = ProcessMemory.rssMb() - rssBefore;
            double leakedMb = leaked * (double) TENSOR_BYTES / (1 << 20);
            System.out.printf("no sub-managers: %d steps leaked %d arrays (%.1f MB of tensors), RSS grew %.1f MB%n",
                    steps, leaked, leakedMb, growth);
            assertTrue(leaked >= 5 * steps, "expected >= 5 leaked tensors per step, got " + leaked);
            assertTrue(growth > 0.5 * leakedMb && growth > 50,
                    "RSS grew only " + growth + " MB for " + leakedMb + " MB of leaked tensors");
        }
    }
}
