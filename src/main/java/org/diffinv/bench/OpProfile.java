package org.diffinv.bench;

import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The engine operations one call issues, read from PyTorch's autograd profiler (started and stopped through DJL's
 * {@code JniUtils.startProfile / stopProfile}, which write a Chrome trace).
 *
 * <p><b>Top-level operations</b> are the trace's events not nested inside another event of the same thread: the
 * operations the kit asked the engine for ({@code aten::linear} counts once, not also its inner {@code aten::addmm}).
 * This is the count to compare with a PyTorch eager forward pass profiled the same way. <b>All operations</b> counts
 * every event, nested ones included.
 *
 * @param topLevel operations called directly (not from inside another operation)
 * @param all every profiled operation, nested ones included
 * @param byName the top-level operations by name ({@code aten::} prefix removed), most frequent first
 */
public record OpProfile(int topLevel, int all, Map<String, Integer> byName) {

    /** The top-level operations by name as a table (columns: operation, calls), most frequent first. */
    public tech.tablesaw.api.Table table(String title) {
        tech.tablesaw.api.StringColumn op = tech.tablesaw.api.StringColumn.create("operation");
        tech.tablesaw.api.IntColumn calls = tech.tablesaw.api.IntColumn.create("calls");
        byName.forEach((k, v) -> {
            op.append(k);
            calls.append(v);
        });
        return tech.tablesaw.api.Table.create(title + " (" + topLevel + " top-level, " + all + " in all)", op, calls);
    }

    /** Profiles one run of {@code call}. The profiler is process-wide: do not profile two calls at once. */
    public static OpProfile of(Runnable call) {
        Path trace;
        try {
            trace = Files.createTempFile("diffinv-profile", ".json");
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a temporary file for the profiler trace: " + e, e);
        }
        try {
            JniUtils.startProfile(false, false, false);
            try {
                call.run();
            } finally {
                JniUtils.stopProfile(trace.toString());
            }
            return parse(trace);
        } finally {
            try {
                Files.deleteIfExists(trace);
            } catch (IOException ignored) {
                // a temporary file left behind is harmless
            }
        }
    }

    /** Reads a Chrome trace of complete events ({@code "ph": "X"}) into counts. */
    static OpProfile parse(Path trace) {
        JsonArray events;
        try (Reader r = Files.newBufferedReader(trace)) {
            events = JsonParser.parseReader(r).getAsJsonArray();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot read the profiler trace " + trace + ": " + e, e);
        }
        record Event(String name, double start, double end, String thread) {
        }
        List<Event> list = new ArrayList<>();
        for (JsonElement el : events) {
            if (!el.isJsonObject()) {
                continue;
            }
            JsonObject o = el.getAsJsonObject();
            if (!o.has("ph") || !"X".equals(o.get("ph").getAsString())) {
                continue;
            }
            double ts = o.get("ts").getAsDouble();
            list.add(new Event(o.get("name").getAsString(), ts, ts + o.get("dur").getAsDouble(),
                    o.has("tid") ? o.get("tid").getAsString() : ""));
        }
        list.sort(Comparator.comparing(Event::thread).thenComparingDouble(Event::start)
                .thenComparing(Comparator.comparingDouble(Event::end).reversed()));
        Map<String, Integer> counts = new TreeMap<>();
        int top = 0;
        String thread = null;
        double openUntil = Double.NEGATIVE_INFINITY;
        for (Event e : list) {
            if (!e.thread().equals(thread)) {
                thread = e.thread();
                openUntil = Double.NEGATIVE_INFINITY;
            }
            if (e.start() >= openUntil) {
                top++;
                counts.merge(e.name().replace("aten::", ""), 1, Integer::sum);
                openUntil = e.end();
            }
        }
        Map<String, Integer> sorted = new LinkedHashMap<>();
        counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .forEach(en -> sorted.put(en.getKey(), en.getValue()));
        return new OpProfile(top, list.size(), sorted);
    }
}
