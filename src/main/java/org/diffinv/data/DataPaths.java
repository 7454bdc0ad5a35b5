package org.diffinv.data;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the kit's files live: the kit home (the repository root that holds {@code data/} and {@code pom.xml}).
 *
 * <p>Resolved in this order: the system property {@code diffinv.home}, the environment variable
 * {@code DIFFINV_HOME}, then the current directory and its ancestors, the first that holds both {@code pom.xml}
 * and {@code data/}. Falls back to the current directory.
 */
public final class DataPaths {

    private DataPaths() {
    }

    /** The kit home directory (see the class comment for the resolution order). */
    public static Path home() {
        String prop = System.getProperty("diffinv.home");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop).toAbsolutePath().normalize();
        }
        String env = System.getenv("DIFFINV_HOME");
        if (env != null && !env.isBlank()) {
            return Path.of(env).toAbsolutePath().normalize();
        }
        Path cwd = Path.of("").toAbsolutePath().normalize();
        for (Path p = cwd; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("pom.xml")) && Files.isDirectory(p.resolve("data"))) {
                return p;
            }
        }
        return cwd;
    }

    /** {@code home()/data}. */
    public static Path dataDir() {
        return home().resolve("data");
    }

    /** {@code home()/data/checkpoints}, where the shipped checkpoints and their model cards live. */
    public static Path checkpointsDir() {
        return dataDir().resolve("checkpoints");
    }
}
