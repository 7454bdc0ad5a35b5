package org.diffinv.notebook;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * How much work a notebook or experiment does: {@link #SMOKE} (seconds to a minute, what CI runs; tiny image and
 * step counts but the real code path), {@link #QUICK} (the interactive default; minutes on a laptop CPU) or
 * {@link #FULL} (the paper's step counts on the fixed test set; may take hours).
 *
 * <p>{@link #current()} resolves, first match wins: an override set in the notebook's first cell
 * ({@link #set(String)}), the system property {@value #PROPERTY} (e.g. in {@code JJAVA_JVM_OPTS}), the environment
 * variable {@value #ENV}, else {@link #QUICK}. Values are case-insensitive; an unknown value is an error naming the
 * accepted ones, never a silent fallback. Pick per-mode settings with {@link #pick}:
 * <pre>{@code
 * int steps = RunMode.current().pick(20, 200, 1000);
 * }</pre>
 */
public enum RunMode {
    /** Seconds to a minute: tiny sizes, the real code path (CI). */
    SMOKE,
    /** Minutes on a laptop CPU: the interactive default. */
    QUICK,
    /** The paper's settings: hours on CPU; saves tables and figures. */
    FULL;

    /** The environment variable read by {@link #current()}. */
    public static final String ENV = "DIFFINV_MODE";
    /** The system property read by {@link #current()} (takes precedence over {@link #ENV}). */
    public static final String PROPERTY = "diffinv.mode";

    private static volatile RunMode override;

    /** The mode in force (see the class comment for the order of sources). */
    public static RunMode current() {
        return resolve(override, System.getProperty(PROPERTY), System::getenv);
    }

    /** Overrides the mode for this JVM (a notebook's first cell), e.g. {@code RunMode.set("smoke")}. */
    public static RunMode set(String mode) {
        return set(parse(mode));
    }

    /** Overrides the mode for this JVM. */
    public static RunMode set(RunMode mode) {
        if (mode == null) {
            throw new IllegalArgumentException("mode is null; expected one of " + accepted());
        }
        override = mode;
        return mode;
    }

    /** Removes the override, so {@link #current()} reads the property and environment again. */
    public static void clearOverride() {
        override = null;
    }

    /**
     * Parses {@code smoke}, {@code quick} or {@code full} (case-insensitive, surrounding blanks ignored).
     *
     * @throws IllegalArgumentException for any other value, naming the accepted ones
     */
    public static RunMode parse(String value) {
        if (value != null) {
            String v = value.trim().toUpperCase(Locale.ROOT);
            for (RunMode m : values()) {
                if (m.name().equals(v)) {
                    return m;
                }
            }
        }
        throw new IllegalArgumentException("unknown run mode '" + value + "'; expected one of " + accepted());
    }

    /** Resolution with explicit sources (the override, the property value, an environment look-up). */
    static RunMode resolve(RunMode override, String property, UnaryOperator<String> env) {
        if (override != null) {
            return override;
        }
        if (property != null && !property.isBlank()) {
            try {
                return parse(property);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("system property " + PROPERTY + ": " + e.getMessage(), e);
            }
        }
        String fromEnv = env.apply(ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            try {
                return parse(fromEnv);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("environment variable " + ENV + ": " + e.getMessage(), e);
            }
        }
        return QUICK;
    }

    /**
     * The value for this mode among three, e.g. a step count {@code pick(20, 200, 1000)}.
     *
     * @throws IllegalArgumentException if the chosen value is null
     */
    public <T> T pick(T smoke, T quick, T full) {
        T v = switch (this) {
            case SMOKE -> smoke;
            case QUICK -> quick;
            case FULL -> full;
        };
        if (v == null) {
            throw new IllegalArgumentException("no value given for run mode " + label());
        }
        return v;
    }

    /** The lower-case name ({@code "smoke"}, {@code "quick"}, {@code "full"}). */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    private static String accepted() {
        return Arrays.toString(Arrays.stream(values()).map(RunMode::label).toArray());
    }
}
