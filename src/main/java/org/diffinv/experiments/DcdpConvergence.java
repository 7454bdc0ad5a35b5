package org.diffinv.experiments;

import ai.djl.ndarray.NDArray;
import org.diffinv.metrics.Psnr;
import org.diffinv.operators.Operator;
import org.diffinv.priors.EpsPrior;
import org.diffinv.solvers.Dcdp;
import org.diffinv.solvers.Problem;
import org.diffinv.solvers.Reconstruction;
import org.diffinv.solvers.Run;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * DCDP's convergence over its rounds (the paper's Figure 8): for each round, after the data consistency and after the
 * purification, the mean PSNR against the ground truth and the data-consistency error {@code ||A x - y|| / ||y||}
 * (mean over the batch), in one table with a column naming the schedule. Used by notebooks/05-dcdp to set the linearly
 * decaying schedule against a constant one.
 */
public final class DcdpConvergence {

    private DcdpConvergence() {
    }

    /**
     * Runs {@code params} on {@code problem} (ground truth {@code x}) and records every round.
     *
     * @param label the schedule's name in the table, e.g. {@code "linear decay"}
     * @return columns: schedule, round, phase ("data consistency" or "purification"), psnr, dcError
     */
    public static Table trace(String label, Dcdp.Params params, Problem<? extends Operator> problem, NDArray x,
            EpsPrior prior, long seed) {
        Table t = Table.create("DCDP convergence", StringColumn.create("schedule"), IntColumn.create("round"),
                StringColumn.create("phase"), DoubleColumn.create("psnr"), DoubleColumn.create("dcError"));
        Operator a = problem.a();
        NDArray y = problem.y();
        double yNorm = y.norm().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
        Dcdp.RoundObserver observer = (k, consistent, purified) -> {
            for (Object[] phase : new Object[][] {{"data consistency", consistent}, {"purification", purified}}) {
                NDArray estimate = (NDArray) phase[1];
                try (NDArray clipped = estimate.clip(-1, 1); NDArray ax = a.apply(estimate);
                     NDArray r = ax.sub(y); NDArray rn = r.norm()) {
                    t.stringColumn("schedule").append(label);
                    t.intColumn("round").append(k);
                    t.stringColumn("phase").append((String) phase[0]);
                    t.doubleColumn("psnr").append(Psnr.batch(x, clipped).mean());
                    t.doubleColumn("dcError").append(rn.toType(ai.djl.ndarray.types.DataType.FLOAT64, false)
                            .getDouble() / yNorm);
                }
            }
        };
        try (Reconstruction r = new Dcdp(params, observer).solveAny(problem, prior, Run.seeded(seed))) {
            return t;
        }
    }
}
