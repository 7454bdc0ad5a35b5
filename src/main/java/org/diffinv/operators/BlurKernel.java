package org.diffinv.operators;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An immutable 2-D blur kernel: square, odd size {@code K x K}, finite non-negative entries summing to 1.
 * Used by {@link MotionBlur} as the correlation kernel {@code y[i, j] = sum_{a,b} k[a, b] x[i + a - p, j + b - p]},
 * {@code p = (K - 1)/2}.
 *
 * <p>Kernels come from {@link MotionKernels#generate} or from files ({@link #load(Path)}): a plain-text/CSV
 * matrix (numbers separated by commas, semicolons or white space, one row per line, {@code #} comments) or a
 * grayscale PNG. Every source is validated (square, odd size, finite, non-negative, positive sum) and
 * normalised to sum 1 on creation. Odd size keeps the kernel centred on the output pixel.
 */
public final class BlurKernel {

    private final double[][] k;
    private final String origin;

    private BlurKernel(double[][] k, String origin) {
        this.k = k;
        this.origin = origin;
    }

    /**
     * A kernel from a matrix (copied), validated and normalised to sum 1.
     *
     * @param values a square {@code K x K} matrix, {@code K} odd, finite non-negative entries with positive sum
     * @param origin where the kernel came from (for messages and names)
     * @throws IllegalArgumentException naming the first violated condition
     */
    public static BlurKernel of(double[][] values, String origin) {
        if (values == null || values.length == 0) {
            throw new IllegalArgumentException("kernel from " + origin + " is empty");
        }
        int size = values.length;
        double sum = 0;
        for (int i = 0; i < size; i++) {
            if (values[i] == null || values[i].length != size) {
                throw new IllegalArgumentException("kernel from " + origin + " must be square: row " + i + " has "
                        + (values[i] == null ? 0 : values[i].length) + " entries, expected " + size);
            }
            for (int j = 0; j < size; j++) {
                double v = values[i][j];
                if (!Double.isFinite(v)) {
                    throw new IllegalArgumentException("kernel from " + origin + " has a non-finite entry " + v + " at ("
                            + i + ", " + j + ")");
                }
                if (v < 0) {
                    throw new IllegalArgumentException("kernel from " + origin + " has a negative entry " + v + " at ("
                            + i + ", " + j + "); expected non-negative values");
                }
                sum += v;
            }
        }
        if (size % 2 == 0) {
            throw new IllegalArgumentException("kernel from " + origin + " has even size " + size + "x" + size
                    + "; expected an odd size so that it has a centre pixel");
        }
        if (!(sum > 0)) {
            throw new IllegalArgumentException("kernel from " + origin + " sums to " + sum + "; expected a positive sum");
        }
        double[][] n = new double[size][size];
        for (int i = 0; i < size; i++) {
            for (int j = 0; j < size; j++) {
                n[i][j] = values[i][j] / sum;
            }
        }
        return new BlurKernel(n, origin);
    }

    /**
     * Loads a kernel from a {@code .png} (grayscale) or a text file ({@code .csv}, {@code .txt}, {@code .tsv},
     * {@code .dat}); validated and normalised to sum 1.
     *
     * @throws IllegalArgumentException when the file is missing, unreadable, of another type or invalid
     */
    public static BlurKernel load(Path file) {
        if (file == null || !Files.isRegularFile(file)) {
            throw new IllegalArgumentException("kernel file " + file + " does not exist or is not a regular file");
        }
        String lower = file.getFileName().toString().toLowerCase(Locale.ROOT);
        try {
            if (lower.endsWith(".png")) {
                return of(readPng(file), file.toString());
            }
            if (lower.endsWith(".csv") || lower.endsWith(".txt") || lower.endsWith(".tsv") || lower.endsWith(".dat")) {
                return of(readText(file), file.toString());
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read kernel file " + file + ": " + e.getMessage(), e);
        }
        throw new IllegalArgumentException("kernel file " + file + " has an unknown type; expected .png, .csv, .txt, "
                + ".tsv or .dat");
    }

    private static double[][] readText(Path file) throws IOException {
        List<double[]> rows = new ArrayList<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNo++;
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            String[] parts = t.split("[,;\\s]+");
            double[] row = new double[parts.length];
            for (int j = 0; j < parts.length; j++) {
                try {
                    row[j] = Double.parseDouble(parts[j]);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("kernel file " + file + " line " + lineNo + ": '" + parts[j]
                            + "' is not a number", e);
                }
            }
            rows.add(row);
        }
        return rows.toArray(new double[0][]);
    }

    private static double[][] readPng(Path file) throws IOException {
        BufferedImage img = ImageIO.read(file.toFile());
        if (img == null) {
            throw new IllegalArgumentException("kernel file " + file + " is not a readable PNG image");
        }
        Raster raster = img.getRaster();
        if (raster.getNumBands() != 1) {
            throw new IllegalArgumentException("kernel PNG " + file + " has " + raster.getNumBands()
                    + " bands; expected a single-band grayscale image");
        }
        int h = img.getHeight();
        int w = img.getWidth();
        double[][] v = new double[h][w];
        for (int i = 0; i < h; i++) {
            for (int j = 0; j < w; j++) {
                v[i][j] = raster.getSampleDouble(j, i, 0);
            }
        }
        return v;
    }

    /** The kernel size {@code K}. */
    public int size() {
        return k.length;
    }

    /** The entry at row {@code i}, column {@code j}. */
    public double get(int i, int j) {
        return k[i][j];
    }

    /** A copy of the normalised values. */
    public double[][] values() {
        double[][] c = new double[k.length][];
        for (int i = 0; i < k.length; i++) {
            c[i] = k[i].clone();
        }
        return c;
    }

    /** The values flattened row-major. */
    public double[] flat() {
        int s = k.length;
        double[] f = new double[s * s];
        for (int i = 0; i < s; i++) {
            System.arraycopy(k[i], 0, f, i * s, s);
        }
        return f;
    }

    /** Where the kernel came from. */
    public String origin() {
        return origin;
    }

    /** Writes the kernel as a CSV matrix (full double precision), readable by {@link #load(Path)}. */
    public void saveCsv(Path file) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (double[] row : k) {
            for (int j = 0; j < row.length; j++) {
                sb.append(j == 0 ? "" : ",").append(row[j]);
            }
            sb.append('\n');
        }
        Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "BlurKernel[" + k.length + "x" + k.length + ", " + origin + "]";
    }
}
