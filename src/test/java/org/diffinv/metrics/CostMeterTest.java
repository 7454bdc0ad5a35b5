package org.diffinv.metrics;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.linalg.CgOptions;
import org.diffinv.operators.LinearOperator;
import org.diffinv.operators.Operator;
import org.diffinv.operators.SvdOperator;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.priors.Autoencoder;
import org.diffinv.priors.LinearAutoencoder;
import org.diffinv.priors.EpsPrior;
import org.diffinv.solvers.Guidance;
import org.diffinv.util.GradientRecording;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.Table;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Counting decorators (prior and the three operator tiers), VJP detection, time, memory and the table row. */
class CostMeterTest {
    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** Exact eps of a N(0, 1) data prior: x_t ~ N(0, 1) for every t, eps = sqrt(1 - alphaBar_t) x_t. */
    private static final class StandardGaussianPrior implements EpsPrior {
        private final NoiseSchedule schedule = NoiseSchedule.ddpmLinear();

        @Override
        public NoiseSchedule schedule() {
            return schedule;
        }

        @Override
        public NDArray eps(NDArray xt, int t) {
            return xt.mul(Math.sqrt(1 - schedule.alphaBar(t)));
        }
    }

    /** A = 2 I as an SVD operator (U = V = I, s = 2). */
    private static final class TwiceIdentity implements SvdOperator {
        public String name() {
            return "2I";
        }

        public Shape outputShape(Shape inputShape) {
            return inputShape;
        }

        public NDArray apply(NDArray x) {
            return x.mul(2);
        }

        public NDArray vjp(NDArray x, NDArray v) {
            return v.mul(2);
        }

        public NDArray adjoint(NDArray y) {
            return y.mul(2);
        }

        public NDArray pinv(NDArray y, CgOptions options) {
            return y.div(2);
        }

        public NDArray proxL2(NDArray z, NDArray y, double gamma, CgOptions options) {
            return y.mul(2).add(z.div(gamma)).div(4 + 1 / gamma);
        }

        public NDArray vt(NDArray x) {
            return x.duplicate();
        }

        public NDArray v(NDArray c) {
            return c.duplicate();
        }

        public NDArray ut(NDArray y) {
            return y.duplicate();
        }

        public NDArray u(NDArray c) {
            return c.duplicate();
        }

        public NDArray singularValues(NDArray like) {
            return like.onesLike().mul(2);
        }

        public NDArray pinv(NDArray y) {
            return y.div(2);
        }

        public NDArray project(NDArray x) {
            return x.duplicate();
        }
    }

    /** A linear but not SVD operator: keep the first half of a flattened image (a mask). */
    private static final class KeepPositive implements LinearOperator {
        public String name() {
            return "mask";
        }

        public Shape outputShape(Shape inputShape) {
            return inputShape;
        }

        public NDArray apply(NDArray x) {
            return x.mul(x.getManager().create(new double[] {1, 0, 1, 0}).reshape(x.getShape()));
        }

        public NDArray vjp(NDArray x, NDArray v) {
            return adjoint(v);
        }

        public NDArray adjoint(NDArray y) {
            return apply(y);
        }

        public NDArray pinv(NDArray y, CgOptions options) {
            return apply(y);
        }

        public NDArray proxL2(NDArray z, NDArray y, double gamma, CgOptions options) {
            throw new UnsupportedOperationException("not needed");
        }
    }

    /** A nonlinear forward operator A(x) = x^2 with VJP 2 x v. */
    private static final class Square implements Operator {
        public String name() {
            return "square";
        }

        public Shape outputShape(Shape inputShape) {
            return inputShape;
        }

        public NDArray apply(NDArray x) {
            return x.square();
        }

        public NDArray vjp(NDArray x, NDArray v) {
            return x.mul(v).mul(2);
        }
    }

    @Test
    void wrappedOperatorsKeepTheirTierAndCountEveryCall() {
        CostMeter meter = CostMeter.start();
        Operator svdAsOperator = new TwiceIdentity();
        Operator wrapped = meter.wrapOperator(svdAsOperator);
        assertInstanceOf(SvdOperator.class, wrapped);
        SvdOperator a = (SvdOperator) wrapped;
        assertInstanceOf(LinearOperator.class, meter.wrapOperator((Operator) new KeepPositive()));
        assertFalse(meter.wrapOperator((Operator) new KeepPositive()) instanceof SvdOperator);
        assertFalse(meter.wrapOperator(new Square()) instanceof LinearOperator);

        NDArray x = manager.create(new double[] {1, -2, 3, 0.5}).reshape(1, 1, 2, 2);
        assertArrayEquals(new double[] {2, -4, 6, 1}, a.apply(x).toDoubleArray(), 0);
        a.apply(x);
        assertArrayEquals(new double[] {2, -4, 6, 1}, a.adjoint(x).toDoubleArray(), 0);
        a.vjp(x, x);
        assertArrayEquals(new double[] {0.5, -1, 1.5, 0.25}, a.pinv(x).toDoubleArray(), 0);
        a.pinv(x, CgOptions.EXACT);
        a.proxL2(x, x, 1.0, CgOptions.EXACT);
        a.vt(x);
        a.v(x);
        a.ut(x);
        a.u(x);
        a.project(x);
        a.singularValues(x); // a table look-up, not counted
        assertEquals("2I", a.name());
        assertEquals(x.getShape(), a.measurementShape(x.getShape()));

        Operator square = meter.wrapOperator(new Square());
        assertArrayEquals(new double[] {1, 4, 9, 0.25}, square.apply(x).toDoubleArray(), 0);
        assertArrayEquals(new double[] {2, 8, 18, 0.5}, square.vjp(x, x).toDoubleArray(), 0);

        Cost c = meter.stop();
        assertEquals(3, c.operatorCalls());
        assertEquals(1, c.adjointCalls());
        assertEquals(2, c.operatorVjps());
        assertEquals(3, c.operatorSolves()); // pinv x2, proxL2
        assertEquals(6, c.basisChanges()); // vt, v, ut, u, project (two)
        assertEquals(0, c.nfe());
    }

    @Test
    void wrappedPriorCountsNfeAndDetectsVjps() {
        CostMeter meter = CostMeter.start();
        EpsPrior prior = meter.wrapPrior(new StandardGaussianPrior());
        EpsPrior manual = meter.wrapPrior(new StandardGaussianPrior(), CostMeter.VjpCounting.MANUAL);
        NDArray x = manager.ones(new Shape(2, 1, 4, 4), DataType.FLOAT64);
        NDArray eps = prior.eps(x, 999);
        assertEquals(Math.sqrt(1 - NoiseSchedule.ddpmLinear().alphaBar(999)), eps.getDouble(0, 0, 0, 0), 1e-15);
        prior.eps(x, 10);
        assertEquals(0, meter.snapshot().vjp());

        // DPS-style: a fresh x_t marked for gradients, inside a collector -> AUTO counts a VJP, MANUAL does not
        NDArray xt = manager.ones(new Shape(2, 1, 4, 4), DataType.FLOAT64).mul(0.5);
        xt.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray e = prior.eps(xt, 500);
            NDArray e2 = manual.eps(xt, 500);
            gc.backward(e.add(e2).sum());
        }
        // d/dx_t sum(2 * sqrt(1 - alphaBar_500) x_t) = 2 sqrt(1 - alphaBar_500)
        assertEquals(2 * Math.sqrt(1 - NoiseSchedule.ddpmLinear().alphaBar(500)), xt.getGradient().getDouble(1, 0, 3, 3),
                1e-12);
        assertEquals(1, meter.snapshot().vjp());
        meter.countVjp(); // the caller counts the manual one

        // documented limit: an input derived inside the collector is not detected (DJL reports hasGradient false)
        NDArray x0 = manager.ones(new Shape(2, 1, 4, 4), DataType.FLOAT64);
        x0.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(prior.eps(x0.mul(0.5), 500).sum());
        }
        Cost c = meter.stop();
        assertEquals(5, c.nfe());
        assertEquals(2, c.vjp());
        assertEquals(NoiseSchedule.ddpmLinear(), prior.schedule());
    }

    @Test
    void wrappedAutoencoderCountsCallsAndTellsBackPropagatedOnes() {
        // E = W^T, D = W with W orthogonal (square): E(D(z)) = z exactly
        Autoencoder exact = LinearAutoencoder.orthonormal(new Shape(1, 2, 2), new Shape(1, 2, 2), NoiseSource.seeded(5));
        CostMeter meter = CostMeter.start();
        Autoencoder ae = meter.wrapAutoencoder(exact);
        NDArray z = manager.ones(new Shape(1, 1, 2, 2), DataType.FLOAT64);
        ae.decode(z);
        ae.encode(z);
        assertFalse(GradientRecording.active());
        // d/dz sum(E(D(z))) = d/dz sum(z) = 1: one decoder and one encoder VJP, inside the kit's recording
        NDArray g = Guidance.gradient(z, leaf -> ae.encode(ae.decode(leaf)).sum()).gradient();
        assertEquals(1.0, g.getDouble(0, 0, 1, 1), 1e-12);
        assertFalse(GradientRecording.active(), "the recording ends with its gradient");
        ae.decode(z);
        Cost c = meter.stop();
        assertEquals(3, c.decoderCalls());
        assertEquals(1, c.decoderVjps());
        assertEquals(2, c.encoderCalls());
        assertEquals(1, c.encoderVjps());
        Table t = Cost.newTable("cost");
        c.appendTo(t, "ae");
        assertEquals(1L, t.longColumn("decoderVjps").get(0));
        assertEquals(1L, t.longColumn("encoderVjps").get(0));
    }

    @Test
    void timeComesFromTheClockAndStopFreezesIt() {
        AtomicLong nanos = new AtomicLong(1_000);
        CostMeter meter = CostMeter.builder().optClock(nanos::get).start();
        nanos.addAndGet(2_500_000_000L);
        meter.countNfe(10);
        assertEquals(2.5, meter.snapshot().seconds(), 1e-12);
        // a forward call that takes 0.25 s on the clock: inside seconds, and counted as forward time
        EpsPrior slow = meter.wrapPrior(EpsPrior.of(NoiseSchedule.ddpmLinear(), (x, t) -> {
            nanos.addAndGet(250_000_000L);
            return x;
        }));
        slow.eps(manager.zeros(new Shape(1, 1, 2, 2)), 10);
        assertEquals(0.25, meter.snapshot().forwardSeconds(), 1e-12);
        assertEquals(2.75, meter.snapshot().seconds(), 1e-12);
        Cost stopped = meter.stop();
        nanos.addAndGet(7_000_000_000L);
        assertEquals(2.75, meter.snapshot().seconds(), 1e-12);
        assertEquals(stopped, meter.stop());
        assertTrue(meter.isStopped());
        assertEquals(11, stopped.nfe());
        assertEquals(0.25, stopped.forwardSeconds(), 1e-12);
        assertThrows(IllegalStateException.class, meter::countNfe);
        assertThrows(IllegalArgumentException.class, () -> CostMeter.start().countOperator(-1));
    }

    @Test
    void peakMemorySeesANativeAllocationAndWatchedArrays() {
        try (CostMeter meter = CostMeter.builder().optWatch(manager).optSampleInterval(Duration.ofMillis(5)).start()) {
            // 64 x 1024 x 1024 float32 ones = 256 MiB of native memory, written (so resident)
            NDArray big = manager.ones(new Shape(64, 1024, 1024), DataType.FLOAT32);
            NDArray small1 = manager.zeros(new Shape(3));
            NDArray small2 = manager.zeros(new Shape(3));
            meter.sampleMemory();
            big.close();
            small1.close();
            small2.close();
            Cost c = meter.stop();
            if (c.memorySource() == ProcessMemory.Source.PROC_STATUS) {
                assertTrue(c.rssGrowthMb() > 200, "peak RSS growth " + c.rssGrowthMb() + " MB for 256 MiB");
                assertTrue(ProcessMemory.sample().hwmMb() >= c.peakRssMb() - 1);
            }
            assertEquals(3, c.peakLiveArrays());
            assertTrue(c.peakRssMb() >= c.startRssMb() && c.startRssMb() > 0);
        }
    }

    @Test
    void costBecomesATableRow() {
        CostMeter meter = CostMeter.start();
        meter.countNfe(100);
        meter.countVjp(100);
        meter.countOperator(100);
        Table t = Cost.newTable("cost");
        meter.stop().appendTo(t, "dps");
        CostMeter.builder().optWatch(manager).start().stop().appendTo(t, "none");
        assertEquals(2, t.rowCount());
        assertEquals("dps", t.stringColumn("run").get(0));
        assertEquals(100L, t.longColumn("nfe").get(0));
        assertEquals(100L, t.longColumn("operatorCalls").get(0));
        assertTrue(t.longColumn("peakLiveArrays").isMissing(0));
        assertFalse(t.longColumn("peakLiveArrays").isMissing(1));
        assertThrows(IllegalArgumentException.class, () -> meter.stop().appendTo(Table.create("x"), "r"));
    }

    @Test
    void liveArraysCountSubManagersAndClosing() {
        int before = ProcessMemory.liveArrays(manager);
        NDArray a = manager.zeros(new Shape(2));
        try (NDManager sub = manager.newSubManager()) {
            sub.zeros(new Shape(2));
            sub.zeros(new Shape(2));
            assertEquals(before + 3, ProcessMemory.liveArrays(manager));
        }
        assertEquals(before + 1, ProcessMemory.liveArrays(manager));
        a.close();
        assertEquals(before, ProcessMemory.liveArrays(manager));
        ProcessMemory.MemorySample s = ProcessMemory.sample();
        assertTrue(s.rssMb() > 0 && s.hwmMb() >= s.rssMb());
    }
}
