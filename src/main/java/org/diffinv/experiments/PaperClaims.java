package org.diffinv.experiments;

import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.util.ArrayList;
import java.util.List;

/**
 * A paper's comparative claims ("method A beats method B on metric M for task T"), checked against a results table of
 * the {@link ExperimentRunner}: for papers whose printed numbers are not available (DCDP's Tables 1, 2 and 4 lost
 * their values in extraction) the kit reproduces the stated ordering instead. Each claim becomes one row: the claim in
 * words, the kit's two values (means over seeds) and whether the kit agrees.
 */
public final class PaperClaims {

    private record Claim(String text, String task, String metric, String better, String worse, boolean higherIsBetter) {
    }

    private final List<Claim> claims = new ArrayList<>();

    /**
     * Adds "on {@code task}, {@code better} beats {@code worse} on {@code metric}" ({@code higherIsBetter} for PSNR and
     * SSIM, not for perceptual-kit or FD-kit), with the paper's wording in {@code text}.
     */
    public PaperClaims add(String text, String task, String metric, String better, String worse,
            boolean higherIsBetter) {
        claims.add(new Claim(text, task, metric, better, worse, higherIsBetter));
        return this;
    }

    /**
     * The claims checked against {@code results} (columns task, method and the metrics).
     *
     * @throws IllegalArgumentException naming the task and method when a claim's row is missing
     */
    public Table check(Table results) {
        StringColumn text = StringColumn.create("claim");
        StringColumn task = StringColumn.create("task");
        StringColumn metric = StringColumn.create("metric");
        DoubleColumn better = DoubleColumn.create("kit (claimed better)");
        DoubleColumn worse = DoubleColumn.create("kit (claimed worse)");
        StringColumn reproduced = StringColumn.create("reproduced?");
        for (Claim c : claims) {
            double b = mean(results, c.task(), c.better(), c.metric());
            double w = mean(results, c.task(), c.worse(), c.metric());
            text.append(c.text());
            task.append(c.task());
            metric.append(c.metric());
            better.append(b);
            worse.append(w);
            reproduced.append((c.higherIsBetter() ? b > w : b < w) ? "yes" : "no");
        }
        return Table.create("paper claims", text, task, metric, better, worse, reproduced);
    }

    private static double mean(Table results, String task, String method, String metric) {
        double sum = 0;
        int n = 0;
        for (int i = 0; i < results.rowCount(); i++) {
            if (results.stringColumn("task").get(i).equals(task) && results.stringColumn("method").get(i).equals(method)) {
                sum += results.doubleColumn(metric).get(i);
                n++;
            }
        }
        if (n == 0) {
            throw new IllegalArgumentException("no row for task '" + task + "' and method '" + method
                    + "' in the results; run it first");
        }
        return sum / n;
    }
}
