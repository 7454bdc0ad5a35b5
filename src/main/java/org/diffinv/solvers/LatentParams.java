package org.diffinv.solvers;

import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.TimeGrid;

/** Validation and shared defaults of the latent DPS family's hyperparameters ({@link Ldps}, {@link GmlDps}, {@link Psld}). */
final class LatentParams {

    private LatentParams() {
    }

    static void check(String who, TimeGrid grid, double eta, double omega, double p) {
        if (grid == null) {
            throw new IllegalArgumentException(who + " needs a time grid, got null");
        }
        if (!(eta >= 0 && eta <= 1)) {
            throw new IllegalArgumentException(who + " DDIM eta must be in [0, 1], got " + eta);
        }
        if (!(omega >= 0) || !Double.isFinite(omega)) {
            throw new IllegalArgumentException(who + " omega must be finite and >= 0, got " + omega);
        }
        if (!(p > 0) || !Double.isFinite(p)) {
            throw new IllegalArgumentException(who + " norm power p must be finite and > 0 (1 or 2), got " + p);
        }
    }

    static void checkGamma(String who, double gamma) {
        if (!(gamma >= 0) || !Double.isFinite(gamma)) {
            throw new IllegalArgumentException(who + " gamma must be finite and >= 0, got " + gamma);
        }
    }

    /** The reference's grid: 1000 DDIM steps (every index, eta 0). */
    static TimeGrid grid(NoiseSchedule schedule) {
        return TimeGrid.ddimUniform(schedule, schedule.steps());
    }

    /**
     * The measurement step size on the kit's latent prior, chosen on the validation split (see the notebook 03 and the
     * note of the latent-solver issue); the reference's FFHQ LDM values are omega = 0.1 (0.9 for SR x4).
     */
    static double omega(TaskKind kind) {
        return kind == TaskKind.SUPER_RESOLUTION ? 0.9 : 0.1;
    }

    /** The extra term's step size: the reference's gamma = 0.1 (FFHQ LDM and SD v1.5 settings). */
    static double gamma(TaskKind kind) {
        return 0.1;
    }
}
