package org.diffinv.nn;

import org.diffinv.diffusion.NoiseSchedule;

/**
 * A noise schedule as written in a training config: {@code kind} ("linear", "scaled-linear" or "cosine"),
 * {@code betaStart}, {@code betaEnd} and {@code steps} T.
 *
 * @param kind "linear", "scaled-linear" or "cosine"
 * @param betaStart first beta (ignored by cosine)
 * @param betaEnd last beta (ignored by cosine)
 * @param steps T
 */
public record ScheduleSpec(String kind, double betaStart, double betaEnd, int steps) {

    /** The schedule this spec describes. */
    public NoiseSchedule build() {
        if (kind == null) {
            throw new IllegalArgumentException("schedule kind is missing (linear, scaled-linear or cosine)");
        }
        return switch (kind) {
            case "linear" -> NoiseSchedule.linear(betaStart, betaEnd, steps);
            case "scaled-linear" -> NoiseSchedule.scaledLinear(betaStart, betaEnd, steps);
            case "cosine" -> NoiseSchedule.cosine(steps);
            default -> throw new IllegalArgumentException("schedule kind must be linear, scaled-linear or cosine, "
                    + "got " + kind);
        };
    }
}
