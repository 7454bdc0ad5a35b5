package org.diffinv.experiments;

import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.solvers.CPigdm;
import org.diffinv.solvers.Ddrm;
import org.diffinv.solvers.Dps;
import org.diffinv.solvers.Pigdm;
import org.diffinv.solvers.PigdmVp;
import org.diffinv.solvers.Solver;

import java.util.List;

/**
 * The methods of the C-PiGDM notebook (06-c-pigdm) by name: {@code FAMILY-N}, a family at {@code N} NFE, for the
 * experiment runner ({@link ExperimentRunner#withSolvers}). Families:
 * <ul>
 *   <li>{@code c-pigdm}: noiseless C-PiGDM at its validated weight for the task and NFE
 *       ({@link CPigdm.Params#validated}), whatever the problem's noise;</li>
 *   <li>{@code c-pigdm-noisy-working} / {@code c-pigdm-noisy-reference}: noisy C-PiGDM with the working-range
 *       sigma in {@code c3} at w = 2, or the reference's sigma at w = 3, the largest integer weights whose first-order
 *       inverse holds on SR x4 at sigma_y = 0.05 ([0, 1] units; {@link CPigdm#firstOrderRatio});</li>
 *   <li>{@code pigdm-vp}: the continuous PiGDM baseline at its validated weight ({@link PigdmVp.Params#validated});</li>
 *   <li>{@code pigdm}, {@code dps}, {@code ddrm}: the discrete methods' paper settings on an N-step uniform DDIM grid.</li>
 * </ul>
 */
public final class CPigdmMethods {

    /** The families {@link #solver} knows. */
    public static final List<String> FAMILIES = List.of("c-pigdm", "c-pigdm-noisy-working",
            "c-pigdm-noisy-reference", "pigdm-vp", "pigdm", "dps", "ddrm");

    private CPigdmMethods() {
    }

    /**
     * The solver named {@code FAMILY-N} for {@code task} on the discrete schedule {@code schedule}.
     *
     * @throws IllegalArgumentException naming the families when the name is not {@code FAMILY-N} of a known family
     */
    public static Solver<?> solver(String name, Task task, NoiseSchedule schedule) {
        int dash = name == null ? -1 : name.lastIndexOf('-');
        String family = dash < 0 ? "" : name.substring(0, dash);
        int n;
        try {
            n = dash < 0 ? -1 : Integer.parseInt(name.substring(dash + 1));
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 1 || !FAMILIES.contains(family)) {
            throw new IllegalArgumentException("'" + name + "' is not FAMILY-N with N >= 1 and FAMILY one of " + FAMILIES);
        }
        TimeGrid grid = TimeGrid.ddimUniform(schedule, n);
        return switch (family) {
            case "c-pigdm" -> new CPigdm(CPigdm.Params.validated(task.kind(), n));
            case "c-pigdm-noisy-working" -> new CPigdm(CPigdm.Params.spec().withSteps(n).withW(2));
            case "c-pigdm-noisy-reference" -> new CPigdm(CPigdm.Params.spec().withSteps(n).withW(3)
                    .withNoise(CPigdm.Noise.REFERENCE));
            case "pigdm-vp" -> new PigdmVp(PigdmVp.Params.validated(task.kind(), n));
            case "pigdm" -> new Pigdm(Pigdm.Params.paper(schedule, task.kind()).withGrid(grid));
            case "dps" -> new Dps(Dps.Params.paper(schedule, task.kind()).withGrid(grid));
            default -> new Ddrm(Ddrm.Params.paper(schedule, task.kind()).withGrid(grid));
        };
    }
}
