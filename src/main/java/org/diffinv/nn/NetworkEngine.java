package org.diffinv.nn;

import java.util.Locale;

/**
 * How the kit runs a network's forward pass: {@link #TORCHSCRIPT} (the default) writes the network as one
 * TorchScript module and runs it in a single engine call ({@link TorchScript}); {@link #BLOCKS} runs DJL's blocks
 * operation by operation. Both compute the same function (to float rounding, 1e-5 on every shipped network) and both
 * are differentiable in their inputs and, when the weights require gradients (training), in the weights
 * ({@code TrainerTest}: six Adam steps on either engine end within 1e-4 of each other).
 *
 * <p>Chosen by the system property {@code diffinv.network} or the environment variable {@code DIFFINV_NETWORK}
 * ({@code torchscript} or {@code blocks}); {@link #use} switches it for a region of code (the benches compare both
 * in one run).
 */
public enum NetworkEngine {
    /** The network as one TorchScript module, one engine call per forward pass. */
    TORCHSCRIPT,
    /** DJL's blocks, one engine call per operation. */
    BLOCKS;

    private static volatile NetworkEngine current = configured();

    /** The engine forward passes use now. */
    public static NetworkEngine current() {
        return current;
    }

    /**
     * Switches to {@code engine} until the returned handle is closed, which restores the engine before. Global to the
     * process (all threads).
     */
    public static Restore use(NetworkEngine engine) {
        if (engine == null) {
            throw new IllegalArgumentException("engine must be TORCHSCRIPT or BLOCKS, got null");
        }
        NetworkEngine before = current;
        current = engine;
        return () -> current = before;
    }

    /** Restores the engine that was current before {@link #use}. */
    @FunctionalInterface
    public interface Restore extends AutoCloseable {
        @Override
        void close();
    }

    /** The engine named by {@code diffinv.network} / {@code DIFFINV_NETWORK}, {@link #TORCHSCRIPT} when unset. */
    static NetworkEngine configured() {
        String v = System.getProperty("diffinv.network");
        String source = "system property diffinv.network";
        if (v == null) {
            v = System.getenv("DIFFINV_NETWORK");
            source = "DIFFINV_NETWORK";
        }
        return v == null || v.isBlank() ? TORCHSCRIPT : parse(v, source);
    }

    static NetworkEngine parse(String v, String source) {
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "torchscript" -> TORCHSCRIPT;
            case "blocks" -> BLOCKS;
            default -> throw new IllegalArgumentException(source + " must be torchscript or blocks, got '" + v + "'");
        };
    }
}
