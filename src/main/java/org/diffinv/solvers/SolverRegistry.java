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
        add(new Mcg(Mcg.Params.paper(NoiseSchedule.ddpmLinear(), TaskKind.DENOISING)),
                (s, k) -> new Mcg(Mcg.Params.paper(s, k)));
        add(new ScoreSdeProjection(ScoreSdeProjection.Params.paper(NoiseSchedule.ddpmLinear(), TaskKind.DENOISING)),
                (s, k) -> new ScoreSdeProjection(ScoreSdeProjection.Params.paper(s, k)));
        add(new DiffPir(DiffPir.Params.paper(NoiseSchedule.ddpmLinear(), TaskKind.DENOISING)),
                (s, k) -> new DiffPir(DiffPir.Params.paper(s, k)));
        add(new CPigdm(CPigdm.Params.paper(TaskKind.DENOISING)), (s, k) -> new CPigdm(CPigdm.Params.paper(k)));
        add(new CPigdm(CPigdm.Params.noisy(TaskKind.DENOISING)), (s, k) -> new CPigdm(CPigdm.Params.noisy(k)));
        add(new PigdmVp(PigdmVp.Params.paper(TaskKind.DENOISING)), (s, k) -> new PigdmVp(PigdmVp.Params.paper(k)));
        add(new Dds(Dds.Params.paper(NoiseSchedule.ddpmLinear(), TaskKind.DENOISING)),
                (s, k) -> new Dds(Dds.Params.paper(s, k)));
        add(new PnpAdmm(PnpAdmm.Params.paper(NoiseSchedule.ddpmLinear(), TaskKind.DENOISING)),
                (s, k) -> new PnpAdmm(PnpAdmm.Params.paper(s, k)));
        add(new AdmmTv(AdmmTv.Params.paper(TaskKind.DENOISING)), (s, k) -> new AdmmTv(AdmmTv.Params.paper(k)));
        add(new Daps(Daps.Params.paper(NoiseSchedule.ddpmLinear(), TaskKind.DENOISING)),
                (s, k) -> new Daps(Daps.Params.paper(s, k)));
        for (Dcdp.Version v : Dcdp.Version.values()) {
            add(new Dcdp(Dcdp.Params.paper(NoiseSchedule.ddpmLinear(), TaskKind.DENOISING, v)),
                    (s, k) -> new Dcdp(Dcdp.Params.paper(s, k, v)));
        }
        add(new Dcdp(Dcdp.Params.paper(NoiseSchedule.ddpmLinear(), TaskKind.DENOISING, Dcdp.Version.DDIM)
                .withConstantSchedule()),
                (s, k) -> new Dcdp(Dcdp.Params.paper(s, k, Dcdp.Version.DDIM).withConstantSchedule()));
        add(new DcdpCm(DcdpCm.Params.paper(NoiseSchedule.ddpmLinear(), TaskKind.DENOISING),
                org.diffinv.priors.ConsistencyModel.shippedLazily()),
                (s, k) -> new DcdpCm(DcdpCm.Params.paper(s, k), org.diffinv.priors.ConsistencyModel.shippedLazily()));
        add(PseudoInverse.paper(), (s, k) -> PseudoInverse.paper());
        add(new TweediePseudoInverse(TweediePseudoInverse.Params.paper(NoiseSchedule.ddpmLinear(), TaskKind.DENOISING)),
                (s, k) -> new TweediePseudoInverse(TweediePseudoInverse.Params.paper(s, k)));
    }

    private SolverRegistry() {
    }

    private static void add(Solver<?> example, BiFunction<NoiseSchedule, TaskKind, Solver<?>> paper) {
        ENTRIES.put(example.name(), new Entry(example.name(), example.citation(), Solver.tierName(example.tier()),
                paper));
    }

    /**
     * A copy of {@code solver} with one numeric hyperparameter changed, by name: the component {@code name} of its
     * {@code Params} record (e.g. {@code zeta} of DPS, {@code eta} of DDRM, {@code w} of PiGDM) set to
     * {@code value} (an integer component, such as {@code steps}, takes an integral value). For sweeps from the command line ({@code kit solve --set zeta=0.3}); code uses the records'
     * {@code withX} copies.
     *
     * @throws IllegalArgumentException naming the solver's numeric parameters when {@code name} is not one of them
     */
    public static Solver<?> withParameter(Solver<?> solver, String name, double value) {
        return withParameter(solver, solver.name(), name, value);
    }

    /**
     * The reflective copy behind {@link #withParameter(Solver, String, double)} and
     * {@link LatentSolverRegistry#withParameter}: {@code solver}'s {@code params()} record with the numeric component
     * {@code name} set to {@code value}, passed to the solver class's constructor taking that record.
     */
    @SuppressWarnings("unchecked")
    static <T> T withParameter(T solver, String solverName, String name, double value) {
        try {
            Object params = solver.getClass().getMethod("params").invoke(solver);
            Class<?> type = params.getClass();
            java.lang.reflect.RecordComponent[] parts = type.getRecordComponents();
            Object[] values = new Object[parts.length];
            Class<?>[] types = new Class<?>[parts.length];
            List<String> numeric = new java.util.ArrayList<>();
            boolean found = false;
            for (int i = 0; i < parts.length; i++) {
                types[i] = parts[i].getType();
                values[i] = parts[i].getAccessor().invoke(params);
                if (types[i] == double.class || types[i] == int.class) {
                    numeric.add(parts[i].getName());
                    if (parts[i].getName().equals(name)) {
                        if (types[i] == int.class) {
                            if (value != Math.rint(value) || Math.abs(value) > Integer.MAX_VALUE) {
                                throw new IllegalArgumentException(solverName + "'s parameter '" + name
                                        + "' is an integer, got " + value);
                            }
                            values[i] = (int) value;
                        } else {
                            values[i] = value;
                        }
                        found = true;
                    }
                }
            }
            if (!found) {
                throw new IllegalArgumentException(solverName + " has no numeric parameter '" + name
                        + "'; its numeric parameters: " + numeric);
            }
            Object changed = type.getDeclaredConstructor(types).newInstance(values);
            return (T) solver.getClass().getConstructor(type).newInstance(changed);
        } catch (java.lang.reflect.InvocationTargetException e) {
            if (e.getCause() instanceof IllegalArgumentException iae) {
                throw iae;
            }
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException(solverName + " does not expose a Params record to change: " + e);
        }
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
            if (LatentSolverRegistry.names().contains(name)) {
                throw new IllegalArgumentException("'" + name + "' is a latent solver: it needs a latent prior "
                        + "(LatentSolverRegistry.paper); pixel solvers: " + names());
            }
            throw new IllegalArgumentException("no solver named '" + name + "'; known solvers: " + names()
                    + ", latent solvers: " + LatentSolverRegistry.names());
        }
        return e.paper().apply(schedule, kind);
    }
}
