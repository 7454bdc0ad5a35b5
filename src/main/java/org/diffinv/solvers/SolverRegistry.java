package org.diffinv.solvers;

import org.diffinv.diffusion.NoiseSchedule;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The pixel solvers by name, each with its paper defaults for a task kind: the one list that {@code kit solve},
 * {@code kit list}, the experiment runner and the exact-posterior benchmark read. A new solver joins all of them
 * by one line here.
 */
public final class SolverRegistry {

    /** One registered solver: its name, citation, tier and its factory of paper defaults. */
    public record Entry(String name, String citation, String tier,
                        BiFunction<NoiseSchedule, TaskKind, Solver<?>> paper) {
    }

    private static final Map<String, Entry> ENTRIES = new LinkedHashMap<>();

    static {
        add(new Dps(Dps.Params.paper(NoiseSchedule.ddpmLinear(), TaskKind.DENOISING)),
                (s, k) -> new Dps(Dps.Params.paper(s, k)));
        add(new Ddrm(Ddrm.Params.paper(NoiseSchedule.ddpmLinear(), TaskKind.DENOISING)),
                (s, k) -> new Ddrm(Ddrm.Params.paper(s, k)));
        add(new Pigdm(Pigdm.Params.paper(NoiseSchedule.ddpmLinear(), TaskKind.DENOISING)),
                (s, k) -> new Pigdm(Pigdm.Params.paper(s, k)));
    }

    private SolverRegistry() {
    }

    private static void add(Solver<?> example, BiFunction<NoiseSchedule, TaskKind, Solver<?>> paper) {
        ENTRIES.put(example.name(), new Entry(example.name(), example.citation(), Solver.tierName(example.tier()),
                paper));
    }

    /** Every registered solver, in registration order. */
    public static List<Entry> entries() {
        return List.copyOf(ENTRIES.values());
    }

    /** The names of every registered solver. */
    public static List<String> names() {
        return List.copyOf(ENTRIES.keySet());
    }

    /**
     * The solver {@code name} with its paper defaults for {@code kind} on {@code schedule}.
     *
     * @throws IllegalArgumentException naming the known solvers when {@code name} is not one of them
     */
    public static Solver<?> paper(String name, NoiseSchedule schedule, TaskKind kind) {
        Entry e = ENTRIES.get(name);
        if (e == null) {
            throw new IllegalArgumentException("no solver named '" + name + "'; known solvers: " + names());
        }
        return e.paper().apply(schedule, kind);
    }
}
