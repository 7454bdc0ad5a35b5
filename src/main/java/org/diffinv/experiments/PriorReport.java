package org.diffinv.experiments;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.diffinv.data.DataPaths;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What the kit's shipped priors are and how good they are, as tables: one row per checkpoint of
 * {@code data/checkpoints} from its JSON sidecar (the numbers the model cards print), and the training curves
 * recorded beside the checkpoints ({@code NAME.curve.csv}, parsed from the trainer's log by
 * {@link #curveFromLog}).
 *
 * <p>Command line: {@code PriorReport curve NAME LOG...} records {@code NAME.curve.csv} from trainer logs;
 * {@code PriorReport card NAME} writes {@code NAME.md} again from the sidecar and {@code NAME.notes.md} (for a
 * corrected note; nothing is measured).
 */
public final class PriorReport {

    /** The trainer's log line: {@code NAME step S/T loss L (avg A) ...}. */
    private static final Pattern STEP_LINE =
            Pattern.compile("^\\S+ step (\\d+)/(\\d+) loss ([0-9.eE+-]+|NaN) \\(avg ([0-9.eE+-]+|NaN)\\)");

    private PriorReport() {
    }

    /** True when checkpoint {@code name} ({@code NAME.params} and {@code NAME.json}) is in {@code data/checkpoints}. */
    public static boolean shipped(String name) {
        Path dir = DataPaths.checkpointsDir();
        return Files.isRegularFile(dir.resolve(name + ".params")) && Files.isRegularFile(dir.resolve(name + ".json"));
    }

    /**
     * One row per shipped checkpoint: kind, training steps, wall time, and every number of its {@code quality}
     * block (a column per quality key; empty where a checkpoint has no such number).
     */
    public static Table qualityTable() {
        return qualityTable(DataPaths.checkpointsDir());
    }

    /** {@link #qualityTable()} for a given checkpoint folder. */
    public static Table qualityTable(Path dir) {
        List<JsonObject> cards = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(p -> p.toString().endsWith(".json")).sorted().forEach(p -> {
                try {
                    JsonObject o = JsonParser.parseString(Files.readString(p)).getAsJsonObject();
                    if (o.has("sha256") && o.has("kind")) {
                        cards.add(o);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read model card sidecar " + p, e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the checkpoint folder " + dir, e);
        }
        Table t = Table.create("shipped priors (data/checkpoints)").addColumns(StringColumn.create("checkpoint"),
                StringColumn.create("kind"), IntColumn.create("steps"), DoubleColumn.create("train hours"));
        for (JsonObject card : cards) {
            JsonObject training = card.has("training") ? card.getAsJsonObject("training") : new JsonObject();
            t.stringColumn("checkpoint").append(card.get("name").getAsString());
            t.stringColumn("kind").append(card.get("kind").getAsString());
            t.intColumn("steps").append(training.has("steps") ? training.get("steps").getAsInt() : 0);
            t.doubleColumn("train hours").append(training.has("wallSeconds")
                    ? Math.round(training.get("wallSeconds").getAsDouble() / 36.0) / 100.0 : Double.NaN);
        }
        for (int row = 0; row < cards.size(); row++) {
            JsonObject card = cards.get(row);
            if (!card.has("quality")) {
                continue;
            }
            for (Map.Entry<String, JsonElement> e : card.getAsJsonObject("quality").entrySet()) {
                if (!e.getValue().isJsonPrimitive() || !e.getValue().getAsJsonPrimitive().isNumber()) {
                    continue;
                }
                if (!t.containsColumn(e.getKey())) {
                    DoubleColumn c = DoubleColumn.create(e.getKey(), t.rowCount());
                    for (int i = 0; i < t.rowCount(); i++) {
                        c.setMissing(i);
                    }
                    t.addColumns(c);
                }
                t.doubleColumn(e.getKey()).set(row, e.getValue().getAsDouble());
            }
        }
        return t;
    }

    /**
     * The training curve recorded for checkpoint {@code name} ({@code data/checkpoints/NAME.curve.csv}: columns
     * step, loss, avgLoss), or an empty table with those columns when none was recorded.
     */
    public static Table curve(String name) {
        Path csv = DataPaths.checkpointsDir().resolve(name + ".curve.csv");
        if (!Files.isRegularFile(csv)) {
            return emptyCurve(name);
        }
        return Table.read().csv(csv.toFile()).setName(name);
    }

    /**
     * Parses a trainer log (lines {@code NAME step S/T loss L (avg A) ...}, as printed by
     * {@code environment/kit train}) into a curve table; later lines for the same step (a resumed run) win.
     *
     * @throws IllegalArgumentException naming the file when it holds no step line
     */
    public static Table curveFromLog(String name, List<Path> logs) {
        java.util.TreeMap<Integer, double[]> byStep = new java.util.TreeMap<>();
        for (Path log : logs) {
            try {
                for (String line : Files.readAllLines(log, java.nio.charset.StandardCharsets.ISO_8859_1)) {
                    Matcher m = STEP_LINE.matcher(line.trim());
                    if (m.find()) {
                        byStep.put(Integer.parseInt(m.group(1)),
                                new double[] {Double.parseDouble(m.group(3)), Double.parseDouble(m.group(4))});
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read training log " + log, e);
            }
        }
        if (byStep.isEmpty()) {
            throw new IllegalArgumentException("no 'NAME step S/T loss L (avg A)' line in " + logs);
        }
        Table t = emptyCurve(name);
        byStep.forEach((step, v) -> {
            t.intColumn("step").append(step);
            t.doubleColumn("loss").append(v[0]);
            t.doubleColumn("avgLoss").append(v[1]);
        });
        return t;
    }

    /**
     * Command line: {@code PriorReport curve NAME LOG...} writes {@code data/checkpoints/NAME.curve.csv} from the
     * trainer's logs (in order; a resumed run's later lines win).
     */
    public static void main(String[] args) throws IOException {
        if (args.length == 2 && args[0].equals("card")) {
            // the card again from its sidecar and NAME.notes.md (after the notes were corrected), no re-measurement
            Path dir = DataPaths.checkpointsDir();
            if (!Files.isRegularFile(dir.resolve(args[1] + ".json"))) {
                throw new IllegalArgumentException("no checkpoint sidecar " + dir.resolve(args[1] + ".json")
                        + "; expected the name of an exported checkpoint");
            }
            org.diffinv.train.ModelCard.write(dir, args[1]);
            System.out.println("wrote " + dir.resolve(args[1] + ".md"));
            return;
        }
        if (args.length < 3 || !args[0].equals("curve")) {
            System.err.println("usage: PriorReport curve NAME LOG... | PriorReport card NAME");
            System.exit(2);
        }
        List<Path> logs = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            Path log = Path.of(args[i]);
            if (!Files.isRegularFile(log)) {
                throw new IllegalArgumentException("no training log at " + log.toAbsolutePath());
            }
            logs.add(log);
        }
        Table t = curveFromLog(args[1], logs);
        Path out = DataPaths.checkpointsDir().resolve(args[1] + ".curve.csv");
        t.write().csv(out.toFile());
        System.out.println("wrote " + t.rowCount() + " points to " + out);
    }

    private static Table emptyCurve(String name) {
        return Table.create(name).addColumns(IntColumn.create("step"), DoubleColumn.create("loss"),
                DoubleColumn.create("avgLoss"));
    }
}
