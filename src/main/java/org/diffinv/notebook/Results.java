package org.diffinv.notebook;

import org.knowm.xchart.internal.chartpart.Chart;
import tech.tablesaw.api.Table;

import java.awt.image.RenderedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * Writes a run's artifacts (CSV tables, PNG figures and images, text) into its results directory.
 *
 * <p>The directory of a run named {@code name} is {@code <root>/<name>}, where {@code root} is the environment
 * variable {@value #ENV} if set and non-blank, else {@code results} (relative paths resolve against the working
 * directory, which for a notebook is its folder). So by default a notebook {@code dps} writes to
 * {@code results/dps/}, and a headless reproduction run with {@code DIFFINV_RESULTS=/tmp/run1} writes to
 * {@code /tmp/run1/dps/}; several notebooks can share one root. Directories are created on the first write.
 *
 * <p>File names are relative paths inside the directory (sub-folders allowed, e.g. {@code "figures/psnr.png"});
 * absolute names and names escaping the directory with {@code ..} are rejected, and each save method checks the
 * extension, so nothing lands where it was not meant to. Existing files are overwritten.
 */
public final class Results {

    /** The environment variable giving the results root. */
    public static final String ENV = "DIFFINV_RESULTS";
    /** The root used when {@link #ENV} is not set. */
    public static final String DEFAULT_ROOT = "results";

    private final Path dir;

    private Results(Path dir) {
        this.dir = dir;
    }

    /**
     * The results of the run or notebook {@code name}: {@code ($DIFFINV_RESULTS or "results")/name}.
     *
     * @param name a plain name: letters, digits, {@code . _ -}, not starting with a dot
     */
    public static Results forRun(String name) {
        return forRun(name, System::getenv);
    }

    /** {@link #forRun(String)} with an explicit environment look-up (tests). */
    static Results forRun(String name, UnaryOperator<String> env) {
        if (name == null || !name.matches("[A-Za-z0-9_\\-][A-Za-z0-9_.\\-]*")) {
            throw new IllegalArgumentException("run name must be letters, digits, '.', '_' or '-' (not starting with"
                    + " '.'), got '" + name + "'");
        }
        String root = env.apply(ENV);
        Path base = Path.of(root == null || root.isBlank() ? DEFAULT_ROOT : root);
        return new Results(base.resolve(name));
    }

    /** Results in an explicit directory. */
    public static Results at(Path dir) {
        if (dir == null) {
            throw new IllegalArgumentException("results directory is null");
        }
        return new Results(dir);
    }

    /** The results directory (may not exist yet). */
    public Path dir() {
        return dir;
    }

    /**
     * The path of {@code fileName} inside the directory, with its parent directories created.
     *
     * @throws IllegalArgumentException for an empty or absolute name or one escaping the directory
     */
    public Path file(String fileName) {
        if (fileName == null || fileName.isBlank()) {
            throw new IllegalArgumentException("file name must be non-empty");
        }
        Path rel = Path.of(fileName);
        if (rel.isAbsolute()) {
            throw new IllegalArgumentException("file name must be relative to " + dir + ", got " + fileName);
        }
        Path target = dir.resolve(rel).normalize();
        if (!target.startsWith(dir.normalize()) || target.equals(dir.normalize())) {
            throw new IllegalArgumentException("file name '" + fileName + "' leaves the results directory " + dir);
        }
        try {
            Files.createDirectories(target.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the directory of " + target + ": " + e.getMessage(), e);
        }
        return target;
    }

    /** Writes a table as CSV (Tablesaw's writer, with a header row) to {@code fileName} ending in {@code .csv}. */
    public Path saveCsv(String fileName, Table table) {
        Path f = file(requireExtension(fileName, ".csv"));
        if (table == null) {
            throw new IllegalArgumentException("table is null");
        }
        try {
            table.write().csv(f.toFile());
        } catch (RuntimeException e) {
            throw new UncheckedIOException("cannot write CSV " + f + ": " + e.getMessage(),
                    e.getCause() instanceof IOException io ? io : new IOException(e));
        }
        return f;
    }

    /** Writes an image as PNG to {@code fileName} ending in {@code .png}. */
    public Path savePng(String fileName, RenderedImage image) {
        if (image == null) {
            throw new IllegalArgumentException("image is null");
        }
        return Images.savePng(image, file(requireExtension(fileName, ".png")));
    }

    /** Writes a chart as PNG to {@code fileName} ending in {@code .png}. */
    public Path savePng(String fileName, Chart<?, ?> chart) {
        return Images.savePng(Charts.toImage(chart), file(requireExtension(fileName, ".png")));
    }

    /** Writes UTF-8 text (e.g. a Markdown summary or an HTML table) to {@code fileName}. */
    public Path saveText(String fileName, String text) {
        Path f = file(fileName);
        try {
            Files.writeString(f, text == null ? "" : text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + f + ": " + e.getMessage(), e);
        }
        return f;
    }

    private static String requireExtension(String fileName, String ext) {
        if (fileName == null || !fileName.toLowerCase(Locale.ROOT).endsWith(ext)) {
            throw new IllegalArgumentException("file name must end in " + ext + ", got '" + fileName + "'");
        }
        return fileName;
    }

    @Override
    public String toString() {
        return "Results(" + dir + ")";
    }
}
