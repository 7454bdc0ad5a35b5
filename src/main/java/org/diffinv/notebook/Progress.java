package org.diffinv.notebook;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * A progress display for long loops (training, sampling, benchmark sweeps) that also makes them interruptible.
 *
 * <pre>{@code
 * try (Progress p = Progress.start("train", steps)) {
 *     for (int i = 0; i < steps; i++) {
 *         double loss = trainStep();
 *         p.setMetric("loss", loss);
 *         p.step();                    // throws InterruptedRunException after a notebook interrupt
 *     }
 * }
 * }</pre>
 *
 * <p>Two modes:
 * <ul>
 *   <li><b>console</b>: me.tongfei {@code progressbar} (ASCII style) with the message and metrics, it/s and ETA,
 *       to {@code System.err} or a given stream: for the {@code kit} command line and tests;</li>
 *   <li><b>notebook</b>: a small HTML bar (task, percent, n/total, it/s, elapsed, ETA, message) pushed through a
 *       {@link DisplaySink}: shown once, then replaced in place at most every 250 ms and at the end (JJava's
 *       {@code display}/{@code updateDisplay}).</li>
 * </ul>
 * {@link #start(String, long)} picks notebook mode when a default sink was installed with
 * {@link #setDefaultSink(DisplaySink)} (the notebook start-up script does so) and console mode otherwise.
 *
 * <p><b>Interrupts</b>: every {@link #step()} first checks {@code Thread.currentThread().isInterrupted()}; if set,
 * it clears the flag, renders the bar as interrupted and throws {@link InterruptedRunException}. Rates: it/s is
 * {@code n / elapsed} since the start, and the ETA is {@code (total - n) / rate}. Not meant to be shared between
 * threads (methods are synchronized, but one loop should own it).
 */
public final class Progress implements AutoCloseable {

    /** Minimum time between two notebook updates, in milliseconds. */
    public static final long NOTEBOOK_UPDATE_MILLIS = 250;

    private static volatile DisplaySink defaultSink;

    private final String task;
    private final long total;
    private final LongSupplier clock;
    private final long startNanos;
    private final ProgressBar bar;
    private final DisplaySink sink;
    private final String displayId;
    private final long minIntervalNanos;
    private final Map<String, Double> metrics = new LinkedHashMap<>();

    private long current;
    private String message = "";
    private long lastRenderNanos;
    private boolean closed;
    private boolean interrupted;

    private Progress(String task, long total, ProgressBar bar, DisplaySink sink, LongSupplier clock,
                     long minIntervalNanos) {
        this.task = task;
        this.total = total;
        this.bar = bar;
        this.sink = sink;
        this.clock = clock;
        this.minIntervalNanos = minIntervalNanos;
        this.startNanos = clock.getAsLong();
        this.lastRenderNanos = startNanos;
        this.displayId = sink == null ? null : sink.show(html());
    }

    /**
     * Installs the sink used by {@link #start(String, long)} for notebook mode (the JJava start-up script calls
     * this once); {@code null} removes it, so {@code start} falls back to console mode.
     */
    public static void setDefaultSink(DisplaySink sink) {
        defaultSink = sink;
    }

    /** The installed default sink, or null when none is installed (console mode). */
    public static DisplaySink defaultSink() {
        return defaultSink;
    }

    /**
     * A progress display in notebook mode if a default sink is installed, else in console mode on
     * {@code System.err}.
     *
     * @param task a short name shown before the bar
     * @param total the number of steps, at least 1
     */
    public static Progress start(String task, long total) {
        DisplaySink s = defaultSink;
        return s != null ? notebook(task, total, s) : console(task, total);
    }

    /** Console mode on {@code System.err}. */
    public static Progress console(String task, long total) {
        return console(task, total, System.err);
    }

    /** Console mode on the given stream (me.tongfei progressbar, ASCII style, it/s and ETA shown). */
    public static Progress console(String task, long total, PrintStream out) {
        check(task, total);
        Objects.requireNonNull(out, "out");
        ProgressBar bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).showSpeed()
                .setConsumer(new ConsoleProgressBarConsumer(out)).build();
        return new Progress(task, total, bar, null, System::nanoTime, 0);
    }

    /** Notebook mode: HTML through {@code sink}, updated at most every {@value #NOTEBOOK_UPDATE_MILLIS} ms. */
    public static Progress notebook(String task, long total, DisplaySink sink) {
        return notebook(task, total, sink, System::nanoTime, NOTEBOOK_UPDATE_MILLIS * 1_000_000L);
    }

    /** Notebook mode with an explicit nanosecond clock and update interval (tests). */
    static Progress notebook(String task, long total, DisplaySink sink, LongSupplier clock, long minIntervalNanos) {
        check(task, total);
        Objects.requireNonNull(sink, "sink");
        return new Progress(task, total, null, sink, clock, minIntervalNanos);
    }

    /**
     * Throws {@link InterruptedRunException} (clearing the flag) if the current thread was interrupted; for loops
     * that have no progress display but must stay stoppable from a notebook.
     */
    public static void checkInterrupted() {
        if (Thread.interrupted()) {
            throw new InterruptedRunException("interrupted (Thread.interrupt, e.g. a notebook interrupt)");
        }
    }

    /** Advances by one step. */
    public void step() {
        stepBy(1);
    }

    /** Sets the message and advances by one step. */
    public void step(String message) {
        setMessage(message);
        stepBy(1);
    }

    /**
     * Advances by {@code n >= 0} steps after checking for an interrupt.
     *
     * @throws InterruptedRunException if the thread was interrupted (the step is not counted)
     * @throws IllegalStateException if the display is closed or the steps would exceed the total
     */
    public synchronized void stepBy(long n) {
        if (closed) {
            throw new IllegalStateException("progress '" + task + "' is closed");
        }
        if (n < 0) {
            throw new IllegalArgumentException("steps must be >= 0, got " + n);
        }
        if (Thread.interrupted()) {
            interrupted = true;
            closeQuietly();
            throw new InterruptedRunException("'" + task + "' interrupted at step " + current + "/" + total);
        }
        if (current + n > total) {
            throw new IllegalStateException("progress '" + task + "' would reach " + (current + n)
                    + " steps but its total is " + total);
        }
        current += n;
        if (bar != null) {
            bar.stepBy(n);
        } else {
            long now = clock.getAsLong();
            if (current == total || now - lastRenderNanos >= minIntervalNanos) {
                lastRenderNanos = now;
                sink.update(displayId, html());
            }
        }
    }

    /** Sets the free-text message shown after the rates (e.g. {@code "t=420"}); null clears it. */
    public synchronized void setMessage(String message) {
        this.message = message == null ? "" : message;
        refreshExtra();
    }

    /** Sets a named metric shown as {@code name=value} (4 significant digits), e.g. the running loss. */
    public synchronized void setMetric(String name, double value) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("metric name must be non-empty");
        }
        metrics.put(name, value);
        refreshExtra();
    }

    /** Steps done so far. */
    public synchronized long current() {
        return current;
    }

    /** The total number of steps. */
    public long total() {
        return total;
    }

    /** The task name. */
    public String task() {
        return task;
    }

    /** Whether the loop was stopped by an interrupt. */
    public synchronized boolean wasInterrupted() {
        return interrupted;
    }

    /**
     * The current state as an HTML fragment: task, a bar, percent, {@code n/total}, it/s, elapsed, ETA (or "done in"
     * / "interrupted"), and the message with metrics.
     */
    public synchronized String html() {
        double elapsed = (clock.getAsLong() - startNanos) / 1e9;
        double fraction = (double) current / total;
        String colour = interrupted ? "#d9534f" : current == total ? "#5cb85c" : "#337ab7";
        StringBuilder h = new StringBuilder();
        h.append("<div class=\"diffinv-progress\" style=\"font-family:monospace;font-size:12px;line-height:1.5\">");
        h.append("<div><b>").append(Tables.escape(task)).append("</b> ");
        h.append(String.format(Locale.ROOT, "%.0f%% %d/%d", 100 * fraction, current, total));
        h.append(" · ").append(rateText(elapsed));
        h.append(" · elapsed ").append(clockText(elapsed));
        if (interrupted) {
            h.append(" · <b>interrupted</b>");
        } else if (current == total) {
            h.append(" · done");
        } else {
            h.append(" · ETA ").append(eta(elapsed));
        }
        String extra = extra();
        if (!extra.isEmpty()) {
            h.append(" · ").append(Tables.escape(extra));
        }
        h.append("</div>");
        h.append("<div style=\"background:#e6e6e6;width:360px;height:10px;border-radius:3px\">");
        h.append(String.format(Locale.ROOT, "<div style=\"background:%s;width:%.1f%%;height:100%%;"
                + "border-radius:3px\"></div>", colour, 100 * fraction));
        h.append("</div></div>");
        return h.toString();
    }

    /** Renders the final state (notebook) or closes the console bar; idempotent. */
    @Override
    public synchronized void close() {
        closeQuietly();
    }

    private void closeQuietly() {
        if (closed) {
            return;
        }
        closed = true;
        if (bar != null) {
            if (interrupted) {
                bar.setExtraMessage("interrupted " + extra());
            }
            bar.close();
        } else {
            sink.update(displayId, html());
        }
    }

    private void refreshExtra() {
        if (bar != null) {
            bar.setExtraMessage(extra());
        }
    }

    private String extra() {
        StringBuilder b = new StringBuilder(message);
        for (Map.Entry<String, Double> e : metrics.entrySet()) {
            if (b.length() > 0) {
                b.append(' ');
            }
            b.append(e.getKey()).append('=').append(String.format(Locale.ROOT, "%.4g", e.getValue()));
        }
        return b.toString();
    }

    private String rateText(double elapsed) {
        if (current == 0 || elapsed <= 0) {
            return "- it/s";
        }
        double rate = current / elapsed;
        return rate >= 1 ? String.format(Locale.ROOT, "%.2f it/s", rate)
                : String.format(Locale.ROOT, "%.2f s/it", 1 / rate);
    }

    private String eta(double elapsed) {
        if (current == 0 || elapsed <= 0) {
            return "-";
        }
        double rate = current / elapsed;
        return clockText((total - current) / rate);
    }

    /** {@code m:ss} or {@code h:mm:ss}. */
    static String clockText(double seconds) {
        long s = Math.round(seconds);
        long h = s / 3600;
        long m = (s % 3600) / 60;
        long sec = s % 60;
        return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, sec)
                : String.format(Locale.ROOT, "%d:%02d", m, sec);
    }

    private static void check(String task, long total) {
        if (task == null || task.isEmpty()) {
            throw new IllegalArgumentException("task name must be non-empty");
        }
        if (total < 1) {
            throw new IllegalArgumentException("total steps must be at least 1, got " + total);
        }
    }
}
