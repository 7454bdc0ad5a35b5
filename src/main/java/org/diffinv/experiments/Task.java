package org.diffinv.experiments;

import org.diffinv.operators.MeasurementNoise;
import org.diffinv.operators.Operator;
import org.diffinv.operators.Operators;
import org.diffinv.solvers.TaskKind;

import java.util.function.IntFunction;

/**
 * One degradation of the papers, scaled to the kit's 32x32 grey images: the operator (built per batch size, since
 * random masks are drawn per image from a fixed seed), the measurement noise and a one-line note of how it was
 * scaled from the papers' 256x256 setting.
 *
 * @param name the task's name, e.g. {@code "sr4-bicubic"}
 * @param kind the kind the methods' paper defaults are chosen by
 * @param operator the operator for a batch of {@code N} images
 * @param noise the measurement noise
 * @param note how the papers' setting was scaled
 */
public record Task(String name, TaskKind kind, IntFunction<Operator> operator, MeasurementNoise noise, String note) {

    /** The operator's tier in words ("SVD", "linear", "forward"). */
    public String tierName() {
        return Operators.tier(operator.apply(1));
    }

    /** This task with another noise level (a noise-robustness sweep). */
    public Task withNoise(MeasurementNoise other) {
        return new Task(name, kind, operator, other, note);
    }
}
