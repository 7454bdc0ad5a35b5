package org.diffinv.metrics;

import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * A snapshot of the cost of one run, taken by {@link CostMeter#snapshot()}.
 *
 * @param nfe network function evaluations: calls of the prior's {@code eps(x_t, t)}, one per call whatever the
 *     batch size (the convention of diffusion papers' "NFE" columns)
 * @param vjp vector-Jacobian products through the network (backward passes through {@code eps})
 * @param operatorCalls forward-operator applications {@code A(x)}
 * @param adjointCalls adjoint applications {@code A^T y}
 * @param operatorVjps VJPs through the operator, {@code (dA/dx)^T v}
 * @param operatorSolves solves with the operator: pseudo-inverses {@code A^+ y} and proximal maps {@code proxL2}
 *     (closed form on the SVD tier, CG on the linear tier); calls made <em>inside</em> such a solve are internal to
 *     the operator and not counted separately
 * @param basisChanges the SVD tier's orthogonal transforms {@code V^T x, V c, U^T y, U c} (a projector
 *     {@code P = V 1[s>0] V^T} counts two); a change of basis is not a solve and is counted apart
 * @param encoderCalls calls of an autoencoder's encoder {@code E(x)} (deterministic or sampled)
 * @param decoderCalls calls of an autoencoder's decoder {@code D(z)}
 * @param encoderVjps the encoder calls among {@code encoderCalls} that were back-propagated: made inside a gradient
 *     recording ({@link org.diffinv.util.GradientRecording}), so each cost a forward and a backward pass through
 *     the encoder (PSLD's gluing term, GML-DPS)
 * @param decoderVjps the decoder calls among {@code decoderCalls} that were back-propagated (every latent DPS-type
 *     step, ReSample's and latent DCDP's data-consistency iterations)
 * @param seconds wall time since the meter started (up to {@link CostMeter#stop()} if stopped)
 * @param forwardSeconds the part of {@code seconds} spent inside the counted forward calls of the networks: the
 *     prior's {@code eps} and the autoencoder's {@code encode}/{@code decode} (CPU engines compute synchronously, so
 *     this is their compute time as it ran in the solve); backward passes are not in it
 * @param startRssMb resident memory when the meter started, MB
 * @param peakRssMb the largest resident memory (VmRSS) sampled while the meter ran, MB (sampled at every counted
 *     event, throttled, and by the optional background sampler; see {@link CostMeter}); it includes Java-heap pages
 *     the garbage collector touches, so a growth here is not by itself a native leak: check
 *     {@link ProcessMemory#residentSplit()} for that
 * @param peakLiveArrays the most live NDArrays seen in the watched manager, or -1 when no manager is watched
 * @param memorySource where the memory numbers came from ({@link ProcessMemory.Source})
 */
public record Cost(long nfe, long vjp, long operatorCalls, long adjointCalls, long operatorVjps, long operatorSolves,
                   long basisChanges, long encoderCalls, long decoderCalls, long encoderVjps, long decoderVjps, double seconds, double forwardSeconds, double startRssMb, double peakRssMb, long peakLiveArrays,
                   ProcessMemory.Source memorySource) {

    /** Peak resident memory above the level at start, MB ({@code peakRssMb - startRssMb}, at least 0). */
    public double rssGrowthMb() {
        return Math.max(0, peakRssMb - startRssMb);
    }

    /**
     * An empty Tablesaw table with one column per field of a cost plus a leading {@code run} label column (columns:
     * run, nfe, vjp, operatorCalls, adjointCalls, operatorVjps, operatorSolves, basisChanges,
     * encoderCalls, decoderCalls, encoderVjps, decoderVjps, seconds, forwardSeconds, peakRssMb, rssGrowthMb,
     * peakLiveArrays); fill it with {@link #appendTo(Table, String)}.
     */
    public static Table newTable(String name) {
        return Table.create(name,
                StringColumn.create("run"),
                LongColumn.create("nfe"),
                LongColumn.create("vjp"),
                LongColumn.create("operatorCalls"),
                LongColumn.create("adjointCalls"),
                LongColumn.create("operatorVjps"),
                LongColumn.create("operatorSolves"),
                LongColumn.create("basisChanges"),
                LongColumn.create("encoderCalls"),
                LongColumn.create("decoderCalls"),
                LongColumn.create("encoderVjps"),
                LongColumn.create("decoderVjps"),
                DoubleColumn.create("seconds"),
                DoubleColumn.create("forwardSeconds"),
                DoubleColumn.create("peakRssMb"),
                DoubleColumn.create("rssGrowthMb"),
                LongColumn.create("peakLiveArrays"));
    }

    /**
     * Appends this cost as one row of a table made by {@link #newTable(String)}; {@code peakLiveArrays} is left
     * missing when no manager was watched.
     *
     * @return the same table
     * @throws IllegalArgumentException if the table lacks one of the columns
     */
    public Table appendTo(Table table, String run) {
        for (String c : newTable("").columnNames()) {
            if (!table.containsColumn(c)) {
                throw new IllegalArgumentException("table " + table.name() + " has no column '" + c
                        + "'; create it with Cost.newTable");
            }
        }
        table.stringColumn("run").append(run);
        table.longColumn("nfe").append(nfe);
        table.longColumn("vjp").append(vjp);
        table.longColumn("operatorCalls").append(operatorCalls);
        table.longColumn("adjointCalls").append(adjointCalls);
        table.longColumn("operatorVjps").append(operatorVjps);
        table.longColumn("operatorSolves").append(operatorSolves);
        table.longColumn("basisChanges").append(basisChanges);
        table.longColumn("encoderCalls").append(encoderCalls);
        table.longColumn("decoderCalls").append(decoderCalls);
        table.longColumn("encoderVjps").append(encoderVjps);
        table.longColumn("decoderVjps").append(decoderVjps);
        table.doubleColumn("seconds").append(seconds);
        table.doubleColumn("forwardSeconds").append(forwardSeconds);
        table.doubleColumn("peakRssMb").append(peakRssMb);
        table.doubleColumn("rssGrowthMb").append(rssGrowthMb());
        if (peakLiveArrays >= 0) {
            table.longColumn("peakLiveArrays").append(peakLiveArrays);
        } else {
            table.longColumn("peakLiveArrays").appendMissing();
        }
        return table;
    }
}
