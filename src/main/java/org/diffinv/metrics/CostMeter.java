package org.diffinv.metrics;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.linalg.CgOptions;
import org.diffinv.linalg.CgResult;
import org.diffinv.operators.LinearOperator;
import org.diffinv.operators.Operator;
import org.diffinv.operators.SvdOperator;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.priors.Autoencoder;
import org.diffinv.priors.ConditionalEpsPrior;
import org.diffinv.priors.EpsPrior;
import org.diffinv.util.GradientRecording;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Counts the cost of one run, the kit's per-solve cost ledger: network evaluations (NFE), VJPs through the network,
 * forward-operator, adjoint and operator-VJP applications, operator solves (pseudo-inverse, prox) apart from SVD basis
 * changes, encoder and decoder calls, wall time and peak memory.
 *
 * <p>Typical use, with counting made automatic by decorators:
 * <pre>{@code
 * try (CostMeter meter = CostMeter.start()) {
 *     EpsPrior prior = meter.wrapPrior(trainedPrior);      // counts eps calls; VJPs detected (see below)
 *     SvdOperator a = meter.wrapOperator(superResolution); // still an SvdOperator
 *     NDArray xHat = solver.solve(a, y, prior, noise);
 *     Cost cost = meter.stop();                           // nfe, vjp, operatorCalls, seconds, peakRssMb ...
 * }
 * }</pre>
 * Counts can also be added by hand ({@link #countNfe}, {@link #countVjp}, ...), e.g. by a solver that knows it
 * back-propagates.
 *
 * <p><b>VJP detection</b> ({@link VjpCounting#AUTO}, the default of {@link #wrapPrior(EpsPrior)}): a call
 * {@code eps(x_t, t)} whose input was marked for input gradients ({@code x_t.setRequiresGradient(true)}, so
 * {@code x_t.hasGradient()} is true) counts one NFE and one VJP, since such a forward pass exists to be
 * back-propagated; this is the kit's pattern for DPS-style guidance (mark a fresh {@code x_t}, open a collector,
 * call {@code eps}, back-propagate). Limits, measured on DJL 0.32 / PyTorch 2.5.1: a tensor <em>derived</em> from a
 * marked one inside a collector reports {@code hasGradient() == false} through DJL (its torch
 * {@code requires_grad} reads false over JNI although it has a {@code grad_fn}), so a call on such an input is not
 * detected; the backward pass itself is not observed either (a taped forward never back-propagated is
 * over-counted, two backward passes through one forward under-counted). In those cases wrap with
 * {@link VjpCounting#MANUAL} and call {@link #countVjp} where the backward happens. Only the input is inspected (a
 * network's trainable parameters may require gradients without any VJP w.r.t. {@code x_t}).
 *
 * <p><b>Memory</b>: resident memory is sampled through {@link ProcessMemory} when the meter starts, at counted
 * events (at most once per millisecond), at every {@link #snapshot()}, and, when
 * {@link Builder#optSampleInterval(Duration)} is set, by a daemon thread at that interval (which also catches peaks
 * inside long calls). With {@link Builder#optWatch(NDManager)} the live NDArrays of that manager are counted at
 * the same moments. The peak is the largest sample, so a peak between two samples can be missed: use a sampling
 * interval for long single calls. {@link ProcessMemory.MemorySample#hwmMb()} gives the process-wide peak.
 *
 * <p>Thread-safe: counters are atomic; one meter may be shared by the threads of one run. A meter is stopped
 * once: counting after {@link #stop()} throws {@link IllegalStateException}.
 */
public final class CostMeter implements AutoCloseable {

    /** How a wrapped prior counts VJPs through the network. */
    public enum VjpCounting {
        /** Count one VJP per {@code eps} call whose input {@code x_t} is marked for gradients ({@code hasGradient()}). */
        AUTO,
        /** Never count VJPs in the wrapper; the caller calls {@link CostMeter#countVjp} itself. */
        MANUAL
    }

    private static final long SAMPLE_THROTTLE_NANOS = 1_000_000L;

    private final AtomicLong nfe = new AtomicLong();
    private final AtomicLong vjp = new AtomicLong();
    private final AtomicLong operatorCalls = new AtomicLong();
    private final AtomicLong adjointCalls = new AtomicLong();
    private final AtomicLong operatorVjps = new AtomicLong();
    private final AtomicLong operatorSolves = new AtomicLong();
    private final AtomicLong basisChanges = new AtomicLong();
    private final AtomicLong encoderCalls = new AtomicLong();
    private final AtomicLong decoderCalls = new AtomicLong();
    private final AtomicLong encoderVjps = new AtomicLong();
    private final AtomicLong decoderVjps = new AtomicLong();
    private final AtomicLong forwardNanos = new AtomicLong();

    private final LongSupplier clock;
    private final long startNanos;
    private final NDManager watched;
    private final ScheduledExecutorService sampler;
    private final double startRssMb;
    private final ProcessMemory.Source memorySource;

    private double peakRssMb;
    private long peakLiveArrays = -1;
    private long lastSampleNanos;
    private volatile long stopNanos = -1;
    private volatile Cost stoppedCost;

    private CostMeter(LongSupplier clock, NDManager watched, Duration sampleInterval) {
        this.clock = clock;
        this.watched = watched;
        ProcessMemory.MemorySample s = ProcessMemory.sample();
        this.startRssMb = s.rssMb();
        this.peakRssMb = s.rssMb();
        this.memorySource = s.source();
        if (watched != null) {
            this.peakLiveArrays = ProcessMemory.liveArrays(watched);
        }
        this.startNanos = clock.getAsLong();
        this.lastSampleNanos = startNanos;
        if (sampleInterval != null) {
            sampler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "diffinv-cost-meter");
                t.setDaemon(true);
                return t;
            });
            long ms = Math.max(1, sampleInterval.toMillis());
            sampler.scheduleAtFixedRate(this::sampleQuietly, ms, ms, TimeUnit.MILLISECONDS);
        } else {
            sampler = null;
        }
    }

    /** Starts a meter now: no watched manager, no background sampler. */
    public static CostMeter start() {
        return new CostMeter(System::nanoTime, null, null);
    }

    /** A builder for a meter with a watched manager and/or a background memory sampler. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builder of a {@link CostMeter}; all settings are optional. */
    public static final class Builder {
        private NDManager watched;
        private Duration sampleInterval;
        private LongSupplier clock = System::nanoTime;

        private Builder() {
        }

        /** Also count the live NDArrays of {@code manager} (and its sub-managers) at every memory sample. */
        public Builder optWatch(NDManager manager) {
            if (manager == null || !manager.isOpen()) {
                throw new IllegalArgumentException("watched manager must be open, got "
                        + (manager == null ? "null" : manager.getName() + " (closed)"));
            }
            this.watched = manager;
            return this;
        }

        /** Sample memory on a daemon thread every {@code interval} (at least 1 ms) until the meter stops. */
        public Builder optSampleInterval(Duration interval) {
            if (interval == null || interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("sample interval must be positive, got " + interval);
            }
            this.sampleInterval = interval;
            return this;
        }

        /** A nanosecond clock replacing {@link System#nanoTime()} (tests). */
        public Builder optClock(LongSupplier nanoClock) {
            this.clock = Objects.requireNonNull(nanoClock, "nanoClock");
            return this;
        }

        /** Starts the meter now. */
        public CostMeter start() {
            return new CostMeter(clock, watched, sampleInterval);
        }
    }

    /** Adds one network evaluation. */
    public void countNfe() {
        countNfe(1);
    }

    /** Adds {@code n >= 0} network evaluations. */
    public void countNfe(long n) {
        add(nfe, n, "nfe");
    }

    /** Adds one VJP through the network. */
    public void countVjp() {
        countVjp(1);
    }

    /** Adds {@code n >= 0} VJPs through the network. */
    public void countVjp(long n) {
        add(vjp, n, "vjp");
    }

    /** Adds {@code n >= 0} forward-operator applications {@code A(x)}. */
    public void countOperator(long n) {
        add(operatorCalls, n, "operatorCalls");
    }

    /** Adds {@code n >= 0} adjoint applications {@code A^T y}. */
    public void countAdjoint(long n) {
        add(adjointCalls, n, "adjointCalls");
    }

    /** Adds {@code n >= 0} VJPs through the operator. */
    public void countOperatorVjp(long n) {
        add(operatorVjps, n, "operatorVjps");
    }

    /** Adds {@code n >= 0} operator solves (pseudo-inverse, proximal map). */
    public void countOperatorSolve(long n) {
        add(operatorSolves, n, "operatorSolves");
    }

    /** Adds {@code n >= 0} SVD basis changes ({@code V^T, V, U^T, U}). */
    public void countBasisChange(long n) {
        add(basisChanges, n, "basisChanges");
    }

    /** Adds {@code n >= 0} encoder calls. */
    public void countEncoder(long n) {
        add(encoderCalls, n, "encoderCalls");
    }

    /** Adds {@code n >= 0} decoder calls. */
    public void countDecoder(long n) {
        add(decoderCalls, n, "decoderCalls");
    }

    /**
     * Adds {@code n >= 0} back-propagated encoder calls; each is also an encoder call, so count it with
     * {@link #countEncoder} too (the counted autoencoder does both).
     */
    public void countEncoderVjp(long n) {
        add(encoderVjps, n, "encoderVjps");
    }

    /**
     * Adds {@code n >= 0} back-propagated decoder calls; each is also a decoder call, so count it with
     * {@link #countDecoder} too (the counted autoencoder does both).
     */
    public void countDecoderVjp(long n) {
        add(decoderVjps, n, "decoderVjps");
    }

    /** Takes a memory sample now (also done automatically; see the class comment). */
    public void sampleMemory() {
        sample(true);
    }

    /**
     * A snapshot of the counts so far; the time is measured to now (or to {@link #stop()}), and memory is sampled
     * first.
     */
    public Cost snapshot() {
        Cost frozen = stoppedCost;
        if (frozen != null) {
            return frozen;
        }
        sample(true);
        long end = stopNanos >= 0 ? stopNanos : clock.getAsLong();
        synchronized (this) {
            return new Cost(nfe.get(), vjp.get(), operatorCalls.get(), adjointCalls.get(), operatorVjps.get(),
                    operatorSolves.get(), basisChanges.get(), encoderCalls.get(), decoderCalls.get(),
                    encoderVjps.get(), decoderVjps.get(), (end - startNanos) / 1e9, forwardNanos.get() / 1e9, startRssMb, peakRssMb, peakLiveArrays,
                    memorySource);
        }
    }

    /** Stops the clock and the background sampler and returns the final cost; later calls return the same. */
    public synchronized Cost stop() {
        if (stoppedCost != null) {
            return stoppedCost;
        }
        sample(true);
        stopNanos = clock.getAsLong();
        if (sampler != null) {
            sampler.shutdownNow();
        }
        stoppedCost = snapshot();
        return stoppedCost;
    }

    /** Whether {@link #stop()} was called. */
    public boolean isStopped() {
        return stoppedCost != null;
    }

    /** Same as {@link #stop()}, for try-with-resources. */
    @Override
    public void close() {
        stop();
    }

    /**
     * Wraps a prior so every {@code eps} call counts one NFE, and VJPs are detected ({@link VjpCounting#AUTO}).
     */
    public EpsPrior wrapPrior(EpsPrior prior) {
        return wrapPrior(prior, VjpCounting.AUTO);
    }

    /** Wraps a prior so every {@code eps} call counts one NFE, with the given VJP counting. */
    public EpsPrior wrapPrior(EpsPrior prior, VjpCounting vjpCounting) {
        Objects.requireNonNull(prior, "prior");
        Objects.requireNonNull(vjpCounting, "vjpCounting");
        return new CountingPrior(prior, vjpCounting);
    }

    /**
     * Wraps an operator so its calls are counted, keeping its tier: the result is a {@link SvdOperator} if
     * {@code op} is one at run time, else a {@link LinearOperator} if {@code op} is one, else an {@link Operator}.
     * Only these three interfaces are preserved. Internal calls inside the operator (e.g. the applications inside
     * a CG pseudo-inverse) are not visible and not counted.
     */
    public Operator wrapOperator(Operator op) {
        Objects.requireNonNull(op, "op");
        if (op instanceof SvdOperator svd) {
            return new CountingSvdOperator(svd);
        }
        if (op instanceof LinearOperator lin) {
            return new CountingLinearOperator(lin);
        }
        return new CountingOperator(op);
    }

    /**
     * Wraps a conditional prior so every {@code eps(z_t, t, c)} call counts one NFE; VJPs through it are counted
     * by the caller ({@link #countVjp}), as with {@link VjpCounting#MANUAL}.
     */
    public ConditionalEpsPrior wrapConditionalPrior(ConditionalEpsPrior prior) {
        Objects.requireNonNull(prior, "prior");
        return new ConditionalEpsPrior() {
            @Override
            public NoiseSchedule schedule() {
                return prior.schedule();
            }

            @Override
            public long[] conditionShape() {
                return prior.conditionShape();
            }

            @Override
            public NDArray eps(NDArray zt, int t, NDArray condition) {
                NDArray eps = timed(() -> prior.eps(zt, t, condition));
                countNfe(1);
                return eps;
            }

            @Override
            public String toString() {
                return "counted(" + prior + ")";
            }
        };
    }

    /**
     * Wraps an autoencoder so every encoder call ({@code encode}, {@code encodeSample}) and decoder call is counted;
     * a call made inside one of the kit's gradient recordings ({@link GradientRecording#active()}) is also counted as
     * an encoder or decoder VJP, since the kit records only what it back-propagates.
     */
    public Autoencoder wrapAutoencoder(Autoencoder ae) {
        Objects.requireNonNull(ae, "ae");
        return new Autoencoder() {
            @Override
            public Shape imageShape() {
                return ae.imageShape();
            }

            @Override
            public Shape latentShape() {
                return ae.latentShape();
            }

            @Override
            public double scaleFactor() {
                return ae.scaleFactor();
            }

            @Override
            public NDArray encode(NDArray x) {
                NDArray z = timed(() -> ae.encode(x));
                countEncoderCall();
                return z;
            }

            @Override
            public NDArray encodeSample(NDArray x, NoiseSource noise) {
                NDArray z = timed(() -> ae.encodeSample(x, noise));
                countEncoderCall();
                return z;
            }

            @Override
            public NDArray decode(NDArray z) {
                NDArray x = timed(() -> ae.decode(z));
                countDecoder(1);
                if (GradientRecording.active()) {
                    countDecoderVjp(1);
                }
                return x;
            }

            private void countEncoderCall() {
                countEncoder(1);
                if (GradientRecording.active()) {
                    countEncoderVjp(1);
                }
            }

            @Override
            public String toString() {
                return "counted(" + ae + ")";
            }
        };
    }

    /** {@link #wrapOperator(Operator)} typed for the linear tier. */
    public LinearOperator wrapOperator(LinearOperator op) {
        return (LinearOperator) wrapOperator((Operator) op);
    }

    /** {@link #wrapOperator(Operator)} typed for the SVD tier. */
    public SvdOperator wrapOperator(SvdOperator op) {
        return (SvdOperator) wrapOperator((Operator) op);
    }

    /**
     * Runs a network's forward call that does not go through the counted wrappers (e.g. a distilled consistency
     * model), adding its wall time to {@link Cost#forwardSeconds()}; count it with {@link #countNfe} too.
     */
    public NDArray timeForward(java.util.function.Supplier<NDArray> call) {
        return timed(call);
    }

    /** Runs a counted forward call, adding its wall time to {@link Cost#forwardSeconds()}. */
    private NDArray timed(java.util.function.Supplier<NDArray> call) {
        long t0 = clock.getAsLong();
        try {
            return call.get();
        } finally {
            forwardNanos.addAndGet(clock.getAsLong() - t0);
        }
    }

    private void add(AtomicLong counter, long n, String what) {
        if (n < 0) {
            throw new IllegalArgumentException("count of " + what + " must be >= 0, got " + n);
        }
        if (stoppedCost != null || stopNanos >= 0) {
            throw new IllegalStateException("cost meter is stopped; cannot count " + what + " any more");
        }
        counter.addAndGet(n);
        sample(false);
    }

    private void sampleQuietly() {
        try {
            sample(true);
        } catch (RuntimeException e) {
            // the watched manager may have closed under the sampler thread; the next foreground sample reports it
        }
    }

    private void sample(boolean force) {
        long now = clock.getAsLong();
        synchronized (this) {
            if (!force && now - lastSampleNanos < SAMPLE_THROTTLE_NANOS) {
                return;
            }
            lastSampleNanos = now;
        }
        double rss = ProcessMemory.sample().rssMb();
        long live = watched != null && watched.isOpen() ? ProcessMemory.liveArrays(watched) : -1;
        synchronized (this) {
            peakRssMb = Math.max(peakRssMb, rss);
            peakLiveArrays = Math.max(peakLiveArrays, live);
        }
    }

    /** Counting decorator of a prior. */
    private final class CountingPrior implements EpsPrior {
        private final EpsPrior inner;
        private final VjpCounting vjpCounting;

        CountingPrior(EpsPrior inner, VjpCounting vjpCounting) {
            this.inner = inner;
            this.vjpCounting = vjpCounting;
        }

        @Override
        public NoiseSchedule schedule() {
            return inner.schedule();
        }

        @Override
        public NDArray eps(NDArray xt, int t) {
            boolean taped = vjpCounting == VjpCounting.AUTO && xt != null && xt.hasGradient();
            NDArray eps = timed(() -> inner.eps(xt, t));
            countNfe(1);
            if (taped) {
                countVjp(1);
            }
            return eps;
        }

        @Override
        public String toString() {
            return "counted(" + inner + ")";
        }
    }

    /** Counting decorator of the forward tier. */
    private class CountingOperator implements Operator {
        final Operator inner;

        CountingOperator(Operator inner) {
            this.inner = inner;
        }

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public Shape outputShape(Shape inputShape) {
            return inner.outputShape(inputShape);
        }

        @Override
        public NDArray apply(NDArray x) {
            NDArray y = inner.apply(x);
            countOperator(1);
            return y;
        }

        @Override
        public NDArray vjp(NDArray x, NDArray v) {
            NDArray g = inner.vjp(x, v);
            countOperatorVjp(1);
            return g;
        }

        @Override
        public String toString() {
            return "counted(" + inner.name() + ")";
        }
    }

    /** Counting decorator of the linear tier. */
    private class CountingLinearOperator extends CountingOperator implements LinearOperator {
        private final LinearOperator lin;

        CountingLinearOperator(LinearOperator inner) {
            super(inner);
            this.lin = inner;
        }

        @Override
        public NDArray adjoint(NDArray y) {
            NDArray x = lin.adjoint(y);
            countAdjoint(1);
            return x;
        }

        /** The inner form, whose loops' evaluations count as the applications and VJPs they replace. */
        @Override
        public java.util.Optional<org.diffinv.operators.ScriptForm> script(NDArray x, ai.djl.ndarray.NDManager scope) {
            return lin.script(x, scope).map(f -> f.onUse((applies, adjoints, vjps) -> {
                countOperator(applies);
                countAdjoint(adjoints);
                countOperatorVjp(vjps);
            }));
        }

        @Override
        public NDArray pinv(NDArray y, CgOptions options) {
            NDArray x = lin.pinv(y, options);
            countOperatorSolve(1);
            return x;
        }

        @Override
        public NDArray proxL2(NDArray z, NDArray y, double gamma, CgOptions options) {
            NDArray x = lin.proxL2(z, y, gamma, options);
            countOperatorSolve(1);
            return x;
        }

        @Override
        public CgResult pinvResult(NDArray y, CgOptions options) {
            CgResult r = lin.pinvResult(y, options);
            countOperatorSolve(1);
            return r;
        }

        @Override
        public CgResult proxL2Result(NDArray z, NDArray y, double gamma, CgOptions options) {
            CgResult r = lin.proxL2Result(z, y, gamma, options);
            countOperatorSolve(1);
            return r;
        }
    }

    /** Counting decorator of the SVD tier. */
    private final class CountingSvdOperator extends CountingLinearOperator implements SvdOperator {
        private final SvdOperator svd;

        CountingSvdOperator(SvdOperator inner) {
            super(inner);
            this.svd = inner;
        }

        @Override
        public NDArray vt(NDArray x) {
            NDArray c = svd.vt(x);
            countBasisChange(1);
            return c;
        }

        @Override
        public NDArray v(NDArray c) {
            NDArray x = svd.v(c);
            countBasisChange(1);
            return x;
        }

        @Override
        public NDArray ut(NDArray y) {
            NDArray c = svd.ut(y);
            countBasisChange(1);
            return c;
        }

        @Override
        public NDArray u(NDArray c) {
            NDArray y = svd.u(c);
            countBasisChange(1);
            return y;
        }

        @Override
        public NDArray singularValues(NDArray like) {
            return svd.singularValues(like);
        }

        @Override
        public NDArray pinv(NDArray y) {
            NDArray x = svd.pinv(y);
            countOperatorSolve(1);
            return x;
        }

        @Override
        public NDArray project(NDArray x) {
            NDArray p = svd.project(x);
            countBasisChange(2);
            return p;
        }

        @Override
        public Shape measurementShape(Shape inputShape) {
            return svd.measurementShape(inputShape);
        }
    }
}
