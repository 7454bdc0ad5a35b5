package org.diffinv.metrics;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.sampling.Sampler;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.priors.EpsPrior;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that the kit's real sampling loop ({@link Sampler}: one sub-manager per step, {@code DdimStep} updates)
 * does not grow native memory over a long run, and that the same measurement sees a leak of one tensor per step
 * (so the check can fail).
 *
 * <p>The run is {@code Sampler.ddim(TimeGrid.ddpm(schedule), eta = 1)}: 3000 ancestral DDIM steps of a 3000-step
 * linear schedule, with the exact eps of a Gaussian prior {@code x_0 ~ N(0, s^2 I)},
 * {@code eps(x_t) = sqrt(1 - alphaBar_t) x_t / (alphaBar_t s^2 + 1 - alphaBar_t)}, on a FLOAT32 batch
 * (16, 1, 32, 32) (64 KiB per tensor). Each step creates about ten full-size temporaries (eps, x0Hat, noise,
 * products), i.e. ~640 KiB; 3000 leaked steps would hold ~1.9 GB.
 *
 * <p>What is measured, from the sampler's listener (inside the step's sub-manager): the live-array count of the base
 * manager and its open sub-managers, which must be the same at every checkpoint (a leak of a single tensor shows),
 * and the resident memory <em>outside the Java heap</em> ({@link ProcessMemory.ResidentSplit#nonHeapRssMb()}: native
 * tensors, direct buffers, JVM metaspace and code). Plain VmRSS is not usable as the criterion: each step draws its
 * noise on the Java side (a 64 KiB {@code float[]} of garbage), and G1 touches fresh heap pages for a long time.
 * Bound: non-heap RSS may grow by less than 50 MB between the end of a 300-step warm-up and any later checkpoint
 * (allocator caching); a leak of one 64 KiB tensor per step would add ~170 MB over the remaining 2700 steps.
 *
 * Readings are taken after a forced GC ({@link #settle}): Java-side noise reaches DJL through direct buffers that
 * only a GC frees.
 *
 * <p>The companion test runs the same sampler with a prior that keeps one 1 MiB tensor per step on a long-lived
 * manager (the fault a prompt view once had) and requires the same measure to show it: exactly one more live array
 * per step (300), and non-heap RSS growth of at least half of the leaked bytes and more than 50 MB (measured ~315 MB).
 * Before its baseline it returns the native heap's free pages to the system ({@code malloc_trim(0)} through JNA,
 * glibc): otherwise memory freed by earlier tests in the same JVM stays resident and the leak reuses it unseen
 * (measured: after 600 MB of 1 MiB tensors were allocated and freed, the same leak grew non-heap RSS by 2.5 MB).
 */
class MemoryDisciplineTest {
    private static final Shape SHAPE = new Shape(16, 1, 32, 32);
    private static final double S = 0.5; // data std of the Gaussian prior
    private static final int WARMUP = 300;
    private static final NoiseSchedule SCHEDULE = NoiseSchedule.linear(1e-4, 0.02, 3000);

    /** The exact eps of N(0, S^2 I) data on {@link #SCHEDULE}. */
    private static final EpsPrior GAUSSIAN = EpsPrior.of(SCHEDULE, (xt, t) -> {
        double alphaBar = SCHEDULE.alphaBar(t);
        return xt.mul(Math.sqrt(1 - alphaBar) / (alphaBar * S * S + 1 - alphaBar));
    });

    private static ProcessMemory.ResidentSplit resident() {
        return ProcessMemory.residentSplit().orElseThrow();
    }

    /**
     * Collects garbage and lets the cleaner run, so that the direct buffers behind Java-side noise draws (DJL copies a
     * {@code float[]} into a direct ByteBuffer, freed only after a GC) are released before a reading: otherwise
     * non-heap RSS moves with the GC's timing (measured: 140 MB in one order of these tests, 5 MB in the other).
     */
    private static void settle() {
        ProcessMemory.settle();
    }

    /** The C library's {@code malloc_trim}, where there is one (glibc). */
    private interface CLib extends com.sun.jna.Library {
        int malloc_trim(long pad);
    }

    /**
     * Returns the native heap's free pages to the system ({@code malloc_trim(0)}, glibc) so that memory freed by
     * earlier tests in this JVM is no longer resident: a leak must then show as new resident pages instead of
     * silently reusing pages that were already counted. Returns whether it could.
     */
    private static boolean trimNativeHeap() {
        try {
            CLib c = com.sun.jna.Native.load("c", CLib.class);
            c.malloc_trim(0);
            return true;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return false;
        }
    }

    private static void requireResidentSplit() {
        // Linux and HotSpot (the kit's CI): the measurement is available, and the test must not silently skip there
        boolean linux = System.getProperty("os.name", "").toLowerCase().contains("linux");
        boolean hotspot = System.getProperty("java.vm.name", "").contains("HotSpot")
                || System.getProperty("java.vm.name", "").contains("OpenJDK");
        if (linux && hotspot) {
            assertTrue(ProcessMemory.residentSplit().isPresent(), "non-heap RSS must be measurable on Linux/HotSpot");
        }
        Assumptions.assumeTrue(ProcessMemory.residentSplit().isPresent(),
                "needs /proc/self/smaps and HotSpot's heap range (Linux, HotSpot JVM)");
    }

    @Test
    void theSamplerKeepsLiveArraysAndNativeMemoryFlat() {
        requireResidentSplit();
        NoiseSource noise = NoiseSource.seeded(2024);
        Sampler sampler = Sampler.ddim(TimeGrid.ddpm(SCHEDULE), 1.0);
        int steps = sampler.grid().size();
        assertEquals(3000, steps);
        try (NDManager base = NDManager.newBaseManager()) {
            List<Integer> live = new ArrayList<>();
            ProcessMemory.ResidentSplit[] afterWarmup = new ProcessMemory.ResidentSplit[1];
            ProcessMemory.ResidentSplit[] last = new ProcessMemory.ResidentSplit[1];
            double[] nonHeapMax = {0};
            CostMeter meter = CostMeter.builder().optWatch(base).start();
            NDArray x = sampler.sample(GAUSSIAN, base, SHAPE, DataType.FLOAT32, noise, (i, total, step, r) -> {
                meter.countNfe();
                if (i % 100 == 50) { // stochastic steps only: the last step (to x_0) draws no noise
                    live.add(ProcessMemory.liveArrays(base));
                }
                if (i == WARMUP - 1) {
                    settle();
                    afterWarmup[0] = resident();
                } else if (i >= WARMUP && i % 300 == 299) {
                    settle();
                    last[0] = resident();
                    nonHeapMax[0] = Math.max(nonHeapMax[0], last[0].nonHeapRssMb());
                }
            });
            Cost cost = meter.stop();
            assertEquals(3000, cost.nfe());
            assertEquals(30, live.size());
            for (int k = 0; k < live.size(); k++) {
                assertEquals(live.get(0), live.get(k), "live arrays at step " + (100 * k + 50) + " vs step 50");
            }
            // after the run only the sample is left on the base manager
            assertEquals(1, ProcessMemory.liveArrays(base), "live arrays after sampling");
            // peak live arrays include one step's temporaries in the sub-manager, never an accumulation
            assertTrue(cost.peakLiveArrays() < 20, "peak live arrays " + cost.peakLiveArrays());
            double growth = nonHeapMax[0] - afterWarmup[0].nonHeapRssMb();
            System.out.printf("memory discipline (Sampler, %d DDIM eta=1 steps) in %.2f s: live arrays %d at every "
                    + "checkpoint; after warm-up (%d steps) -> end: non-heap RSS %.1f -> %.1f MB (max growth %.1f MB), "
                    + "Java heap RSS %.1f -> %.1f MB, VmRSS %.1f -> %.1f MB%n", steps, cost.seconds(), live.get(0),
                    WARMUP, afterWarmup[0].nonHeapRssMb(), last[0].nonHeapRssMb(), growth,
                    afterWarmup[0].javaHeapRssMb(), last[0].javaHeapRssMb(), afterWarmup[0].totalRssMb(),
                    last[0].totalRssMb());
            assertTrue(growth < 50, "non-heap RSS grew by " + growth + " MB after warm-up");
            // the loop really sampled: the exact-prior sampler ends near N(0, s^2)
            double std = Math.sqrt(x.square().mean().getFloat());
            assertTrue(Math.abs(std - S) < 0.05, "final sample std " + std);
        }
    }

    /**
     * A solver on the shared loop keeps the same discipline: DPS (network VJP and operator VJP every step, the
     * guidance fragment's gradient recording, constants such as y on the solve's long-lived scope) over 3000 steps on
     * the same Gaussian prior with box inpainting: the same live-array count at every checkpoint and non-heap RSS
     * growth under 50 MB after the warm-up, the bound and reasons of the sampler test above.
     */
    @Test
    void aGuidedSolverKeepsLiveArraysAndNativeMemoryFlat() {
        requireResidentSplit();
        org.diffinv.operators.Inpainting a = new org.diffinv.operators.Inpainting(
                org.diffinv.operators.Masks.centeredBox(32, 32, 16, 16));
        try (NDManager base = NDManager.newBaseManager()) {
            NDArray x = NoiseSource.seeded(1).normal(base, SHAPE, DataType.FLOAT32).mul(S);
            org.diffinv.solvers.Problem<org.diffinv.operators.Operator> problem = org.diffinv.solvers.Problem.measure(
                    a, x, org.diffinv.operators.MeasurementNoise.ofWorkingRange(0.05), NoiseSource.seeded(2));
            org.diffinv.solvers.Dps dps = new org.diffinv.solvers.Dps(
                    new org.diffinv.solvers.Dps.Params(TimeGrid.ddpm(SCHEDULE), 0.3, 1, false));
            List<Integer> live = new ArrayList<>();
            ProcessMemory.ResidentSplit[] afterWarmup = new ProcessMemory.ResidentSplit[1];
            double[] nonHeapMax = {0};
            int before = ProcessMemory.liveArrays(base);
            org.diffinv.solvers.Run run = org.diffinv.solvers.Run.seeded(3).listen((i, total, step, r) -> {
                if (i % 100 == 50) {
                    live.add(ProcessMemory.liveArrays(base));
                }
                if (i == WARMUP - 1) {
                    settle();
                    afterWarmup[0] = resident();
                } else if (i >= WARMUP && i % 300 == 299) {
                    settle();
                    nonHeapMax[0] = Math.max(nonHeapMax[0], resident().nonHeapRssMb());
                }
            });
            try (org.diffinv.solvers.Reconstruction r = dps.solve(problem, GAUSSIAN, run)) {
                assertEquals(3000, r.cost().vjp());
                assertEquals(30, live.size());
                for (int k = 0; k < live.size(); k++) {
                    assertEquals(live.get(0), live.get(k), "live arrays at step " + (100 * k + 50) + " vs step 50");
                }
                double growth = nonHeapMax[0] - afterWarmup[0].nonHeapRssMb();
                System.out.printf("memory discipline (DPS, 3000 guided steps) in %.2f s: live arrays %d at every "
                        + "checkpoint; non-heap RSS growth after warm-up %.1f MB%n", r.cost().seconds(), live.get(0),
                        growth);
                assertTrue(growth < 50, "non-heap RSS grew by " + growth + " MB after warm-up");
            }
            assertEquals(before, ProcessMemory.liveArrays(base), "the solve left arrays behind");
        }
    }

    @Test
    void theSameMeasureSeesAPriorThatLeaksOneTensorPerStep() {
        requireResidentSplit();
        NoiseSource noise = NoiseSource.seeded(2024);
        int steps = 300;
        long leakBytes = 1 << 20; // one (16, 1, 128, 128) FLOAT32 tensor per step
        try (NDManager base = NDManager.newBaseManager(); NDManager longLived = NDManager.newBaseManager()) {
            EpsPrior leaky = EpsPrior.of(SCHEDULE, (xt, t) -> {
                NDArray eps = GAUSSIAN.eps(xt, t);
                // the fault: a per-call array on a manager that outlives the step (written, so its pages are resident)
                NDArray kept = eps.repeat(2, 4).repeat(3, 4);
                kept.attach(longLived);
                return eps;
            });
            // warm up allocator and JIT without leaking
            Sampler.ddim(TimeGrid.ddpm(SCHEDULE, 49), 1.0).sample(GAUSSIAN, base, SHAPE, DataType.FLOAT32, noise)
                    .close();
            settle();
            boolean trimmed = trimNativeHeap();
            int liveBefore = ProcessMemory.liveArrays(longLived);
            double nonHeapBefore = resident().nonHeapRssMb();
            Sampler sampler = Sampler.ddim(TimeGrid.ddpm(SCHEDULE, steps - 1), 1.0);
            sampler.sample(leaky, base, SHAPE, DataType.FLOAT32, noise).close();
            settle();
            int leaked = ProcessMemory.liveArrays(longLived) - liveBefore;
            double growth = resident().nonHeapRssMb() - nonHeapBefore;
            double leakedMb = leaked * (double) leakBytes / (1 << 20);
            System.out.printf("leaking prior: %d sampler steps leaked %d arrays (%.1f MB of tensors), non-heap RSS "
                    + "grew %.1f MB (native heap trimmed first: %s)%n", steps, leaked, leakedMb, growth, trimmed);
            assertEquals(steps, leaked, "one leaked array per step");
            Assumptions.assumeTrue(trimmed || !System.getProperty("os.name", "").toLowerCase().contains("linux"),
                    "on Linux the RSS half of this check needs glibc's malloc_trim");
            assertTrue(growth > 50 && growth >= 0.5 * leakedMb, "non-heap RSS grew only " + growth + " MB for "
                    + leakedMb + " MB of leaked tensors");
        }
    }
}
