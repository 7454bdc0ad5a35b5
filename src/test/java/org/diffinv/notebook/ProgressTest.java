package org.diffinv.notebook;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Notebook-mode HTML (rates, ETA, throttling), interrupts, limits, and console mode. */
class ProgressTest {

    /** Records every show/update call. */
    private static final class RecordingSink implements DisplaySink {
        final List<String> shown = new ArrayList<>();
        final List<String> updates = new ArrayList<>();

        @Override
        public String show(String html) {
            shown.add(html);
            return "id-" + shown.size();
        }

        @Override
        public void update(String id, String html) {
            assertEquals("id-1", id);
            updates.add(html);
        }
    }

    @AfterEach
    void reset() {
        Progress.setDefaultSink(null);
        Thread.interrupted();
    }

    @Test
    void notebookModeShowsRatesEtaAndThrottles() {
        AtomicLong nanos = new AtomicLong(0);
        RecordingSink sink = new RecordingSink();
        Progress p = Progress.notebook("sample", 10, sink, nanos::get, 250_000_000L);
        assertEquals(1, sink.shown.size());
        assertTrue(sink.shown.get(0).contains("0/10"));
        // 0.1 s per step: an update when >= 0.25 s passed since the last one, and at the last step
        for (int i = 1; i <= 4; i++) {
            nanos.addAndGet(100_000_000L);
            p.step();
        }
        assertEquals(1, sink.updates.size());
        String html = p.html();
        // 4 steps in 0.4 s = 10 it/s; ETA = 6 / 10 = 0.6 s -> "0:01"
        assertTrue(html.contains("40% 4/10") && html.contains("10.00 it/s") && html.contains("ETA 0:01"), html);
        p.setMetric("loss", 0.123456);
        p.setMessage("t=<600>");
        html = p.html();
        assertTrue(html.contains("t=&lt;600&gt; loss=0.1235"), html);
        for (int i = 5; i <= 10; i++) {
            nanos.addAndGet(100_000_000L);
            p.step();
        }
        assertEquals(4, sink.updates.size()); // after steps 3, 6, 9 (0.3 s since the last) and 10 (the end)
        String last = sink.updates.get(sink.updates.size() - 1);
        assertTrue(last.contains("100% 10/10") && last.contains("done"), last);
        p.close();
        assertEquals(5, sink.updates.size()); // close renders the final state once more
        p.close();
        assertEquals(5, sink.updates.size());
        assertThrows(IllegalStateException.class, p::step);
    }

    @Test
    void slowLoopsShowSecondsPerIteration() {
        AtomicLong nanos = new AtomicLong(0);
        Progress p = Progress.notebook("train", 3600, new RecordingSink(), nanos::get, 0);
        nanos.addAndGet(4_000_000_000L);
        p.step();
        String html = p.html();
        // 1 step in 4 s -> 4.00 s/it; ETA 3599 * 4 s = 14396 s = 3:59:56
        assertTrue(html.contains("4.00 s/it") && html.contains("ETA 3:59:56"), html);
        assertEquals("1:02:05", Progress.clockText(3725));
    }

    @Test
    void interruptStopsTheLoopCleanly() {
        RecordingSink sink = new RecordingSink();
        Progress p = Progress.notebook("train", 100, sink, System::nanoTime, 0);
        p.step();
        Thread.currentThread().interrupt();
        InterruptedRunException e = assertThrows(InterruptedRunException.class, p::step);
        assertTrue(e.getMessage().contains("1/100"), e.getMessage());
        assertFalse(Thread.currentThread().isInterrupted(), "flag cleared so the next cell runs");
        assertTrue(p.wasInterrupted());
        assertEquals(1, p.current());
        assertTrue(sink.updates.get(sink.updates.size() - 1).contains("interrupted"));
        Thread.currentThread().interrupt();
        assertThrows(InterruptedRunException.class, Progress::checkInterrupted);
        Progress.checkInterrupted(); // flag was cleared
    }

    @Test
    void limitsAreChecked() {
        Progress p = Progress.notebook("x", 2, new RecordingSink(), System::nanoTime, 0);
        p.stepBy(2);
        assertTrue(assertThrows(IllegalStateException.class, p::step).getMessage().contains("total is 2"));
        assertThrows(IllegalArgumentException.class, () -> Progress.notebook("x", 0, new RecordingSink()));
        assertThrows(IllegalArgumentException.class, () -> Progress.notebook("", 1, new RecordingSink()));
        assertThrows(IllegalArgumentException.class, () -> p.stepBy(-1));
    }

    @Test
    void startPicksNotebookModeWhenASinkIsInstalled() {
        RecordingSink sink = new RecordingSink();
        Progress.setDefaultSink(DisplaySink.of(sink::show, sink::update));
        try (Progress p = Progress.start("eval", 5)) {
            p.step();
        }
        assertEquals(1, sink.shown.size());
        assertTrue(sink.updates.get(sink.updates.size() - 1).contains("1/5"));
    }

    @Test
    void consoleModeWritesABar() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try (Progress p = Progress.console("console-task", 5, out)) {
            for (int i = 0; i < 5; i++) {
                p.setMetric("loss", 1.0 / (i + 1));
                p.step();
            }
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("console-task") && text.contains("5/5") && text.contains("loss=0.2000"), text);
    }
}
