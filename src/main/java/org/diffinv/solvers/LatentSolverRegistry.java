package org.diffinv.solvers;

import org.diffinv.diffusion.NoiseSchedule;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The latent solvers by name, each with its paper defaults for a task kind on the latent prior's schedule: the one list
 * that {@code kit solve}, {@code kit list}, the experiment runner and the exact-posterior benchmark read for latent
 * methods (the pixel ones are in {@link SolverRegistry}).
 */
public final class LatentSolverRegistry {

    /** One registered latent solver: its name, citation and operator tier. */
    public record Entry(String name, String citation, String tier) {
    }

    private static final Map<String, Entry> ENTRIES = new LinkedHashMap<>();
    private static final Map<String, BiFunction<NoiseSchedule, TaskKind, LatentSolver<?>>> FACTORIES =
            new LinkedHashMap<>();

    static {
        NoiseSchedule ldm = NoiseSchedule.ldmScaledLinear();
        add(new Ldps(Ldps.Params.paper(ldm, TaskKind.DENOISING)), (s, k) -> new Ldps(Ldps.Params.paper(s, k)));
        add(new GmlDps(GmlDps.Params.paper(ldm, TaskKind.DENOISING)), (s, k) -> new GmlDps(GmlDps.Params.paper(s, k)));
        add(new Psld(Psld.Params.paper(ldm, TaskKind.DENOISING)), (s, k) -> new Psld(Psld.Params.paper(s, k)));
        add(new Ldir(Ldir.Params.paper(ldm, TaskKind.DENOISING)), (s, k) -> new Ldir(Ldir.Params.paper(s, k)));
        add(new ReSample(ReSample.Params.paper(ldm, TaskKind.DENOISING)),
                (s, k) -> new ReSample(ReSample.Params.paper(s, k)));
        for (LatentDcdp.Approach approach : LatentDcdp.Approach.values()) {
            for (Dcdp.Version v : Dcdp.Version.values()) {
                add(new LatentDcdp(LatentDcdp.Params.paper(ldm, TaskKind.DENOISING, approach, v)),
                        (s, k) -> new LatentDcdp(LatentDcdp.Params.paper(s, k, approach, v)));
            }
        }
    }

    private LatentSolverRegistry() {
    }

    private static void add(LatentSolver<?> example, BiFunction<NoiseSchedule, TaskKind, LatentSolver<?>> paper) {
        ENTRIES.put(example.name(), new Entry(example.name(), example.citation(), Solver.tierName(example.tier())));
        FACTORIES.put(example.name(), paper);
    }

    /** Every registered latent solver (name, citation, tier), in registration order. */
    public static List<Entry> entries() {
        return List.copyOf(ENTRIES.values());
    }

    /** The names of every registered latent solver. */
    public static List<String> names() {
        return List.copyOf(ENTRIES.keySet());
    }

    /** Whether {@code name} is a registered latent solver. */
    public static boolean contains(String name) {
        return ENTRIES.containsKey(name);
    }

    /**
     * The latent solver {@code name} with its paper defaults for {@code kind} on the latent prior's {@code schedule}.
     *
     * @throws IllegalArgumentException naming the known latent solvers when {@code name} is not one of them
     */
    public static LatentSolver<?> paper(String name, NoiseSchedule schedule, TaskKind kind) {
        BiFunction<NoiseSchedule, TaskKind, LatentSolver<?>> f = FACTORIES.get(name);
        if (f == null) {
            throw new IllegalArgumentException("no latent solver named '" + name + "'; known latent solvers: "
                    + names());
        }
        return f.apply(schedule, kind);
    }

    /** A copy of {@code solver} with one numeric hyperparameter changed by name (see {@link SolverRegistry#withParameter}). */
    public static LatentSolver<?> withParameter(LatentSolver<?> solver, String name, double value) {
        return SolverRegistry.withParameter(solver, solver.name(), name, value);
    }
}
