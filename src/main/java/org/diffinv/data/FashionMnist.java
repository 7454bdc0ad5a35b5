package org.diffinv.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.util.HostArrays;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Fashion-MNIST data set (Xiao, Rasul and Vollgraf 2017) as the kit uses it: 28x28 grey images of ten
 * clothing classes, mapped to {@code [-1, 1]} and padded to 32x32, with the kit's fixed splits.
 *
 * <p>Pixel mapping: a raw byte {@code p in [0, 255]} becomes {@code x = p / 127.5 - 1}; the 28x28 image is then
 * padded by 2 pixels on every side with the background value {@code -1} (raw 0, black), giving 32x32.
 *
 * <p>Splits (fixed; see {@code data/README.md}): {@link Split#TRAIN} = the first 55,000 images of the upstream
 * training file, {@link Split#VALIDATION} = its last 5,000 (for tuning), {@link Split#TEST} = the 10,000 upstream
 * test images (for tables). {@link #fixedTestIndices()} is the one subset of the test split every table uses.
 *
 * <p>Location: the four upstream {@code .gz} files are looked for in, in order, the system property
 * {@value #PROPERTY}, the environment variable {@value #ENV}, {@code <kit home>/data/cache/fashion-mnist} and
 * {@code /usr/share/datasets/fashion-mnist} (the Debian package {@code dataset-fashion-mnist}). Each file's
 * SHA-256 is checked against the upstream hash (also listed in {@code data/fashion-mnist.sha256}).
 */
public final class FashionMnist {

    /** The three fixed splits. */
    public enum Split { TRAIN, VALIDATION, TEST }

    /** The class names, index = label. */
    public static final List<String> CLASS_NAMES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** Side of the images the kit uses (after padding). */
    public static final int SIZE = 32;
    /** Side of the upstream images. */
    public static final int RAW_SIZE = 28;
    /** Padding on each side, in pixels, filled with the background value {@code -1}. */
    public static final int PAD = (SIZE - RAW_SIZE) / 2;
    /** Number of training-split images (the first of the upstream training file). */
    public static final int TRAIN_SIZE = 55_000;
    /** Number of validation-split images (the last of the upstream training file). */
    public static final int VALIDATION_SIZE = 5_000;
    /** System property naming a directory with the four upstream files. */
    public static final String PROPERTY = "diffinv.fashionMnist";
    /** Environment variable naming a directory with the four upstream files. */
    public static final String ENV = "DIFFINV_FASHION_MNIST";
    /** The Debian package's install location. */
    public static final Path SYSTEM_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    /** The command that installs the data where it is missing. */
    public static final String INSTALL_COMMAND = "environment/kit setup";
    /** Images per class in {@link #fixedTestIndices()}. */
    public static final int TEST_SET_PER_CLASS = 10;
    /** Seed of the rule that picks {@link #fixedTestIndices()}. */
    public static final long TEST_SET_SEED = 20240601L;

    /** Upstream file name to its SHA-256 (hex), the upstream release files. */
    public static final Map<String, String> SHA256;

    static {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("train-images-idx3-ubyte.gz", "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7");
        m.put("train-labels-idx1-ubyte.gz", "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056");
        m.put("t10k-images-idx3-ubyte.gz", "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa");
        m.put("t10k-labels-idx1-ubyte.gz", "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05");
        SHA256 = java.util.Collections.unmodifiableMap(m);
    }

    private static final Map<String, FashionMnist> CACHE = new ConcurrentHashMap<>();

    private final Split split;
    private final byte[] pixels; // n * 28 * 28 raw bytes
    private final byte[] labels;

    private FashionMnist(Split split, byte[] pixels, byte[] labels) {
        this.split = split;
        this.pixels = pixels;
        this.labels = labels;
    }

    /** Loads a split from the first directory of {@link #candidateDirs()} that holds the files (cached). */
    public static FashionMnist load(Split split) {
        Path dir = locate();
        return CACHE.computeIfAbsent(split + "@" + dir, k -> load(split, dir));
    }

    /**
     * Loads a split from {@code dir}, which must hold the four upstream {@code .gz} files; their SHA-256 and
     * IDX headers are checked.
     *
     * @throws IllegalStateException naming the file if one is missing, has a wrong hash or is corrupt
     */
    public static FashionMnist load(Split split, Path dir) {
        Objects.requireNonNull(split, "split");
        String prefix = split == Split.TEST ? "t10k" : "train";
        Path imagesFile = dir.resolve(prefix + "-images-idx3-ubyte.gz");
        Path labelsFile = dir.resolve(prefix + "-labels-idx1-ubyte.gz");
        verify(imagesFile);
        verify(labelsFile);
        IdxReader.IdxData images;
        IdxReader.IdxData labelData;
        try {
            images = IdxReader.readImages(imagesFile);
            labelData = IdxReader.readLabels(labelsFile);
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage() + "; reinstall with `" + INSTALL_COMMAND + "`", e);
        }
        if (images.dims()[1] != RAW_SIZE || images.dims()[2] != RAW_SIZE) {
            throw new IllegalStateException("Fashion-MNIST images in " + imagesFile + " are " + images.dims()[1]
                    + "x" + images.dims()[2] + ", expected 28x28");
        }
        if (images.count() != labelData.count()) {
            throw new IllegalStateException(imagesFile + " has " + images.count() + " images but " + labelsFile
                    + " has " + labelData.count() + " labels");
        }
        int from;
        int to;
        switch (split) {
            case TRAIN -> { from = 0; to = TRAIN_SIZE; }
            case VALIDATION -> { from = TRAIN_SIZE; to = TRAIN_SIZE + VALIDATION_SIZE; }
            default -> { from = 0; to = images.count(); }
        }
        if (to > images.count()) {
            throw new IllegalStateException(imagesFile + " has " + images.count() + " images, the " + split
                    + " split needs " + to);
        }
        int px = RAW_SIZE * RAW_SIZE;
        byte[] p = java.util.Arrays.copyOfRange(images.data(), from * px, to * px);
        byte[] l = java.util.Arrays.copyOfRange(labelData.data(), from, to);
        for (int i = 0; i < l.length; i++) {
            if (l[i] < 0 || l[i] >= CLASS_NAMES.size()) {
                throw new IllegalStateException(labelsFile + " has label " + l[i] + " at index " + (from + i)
                        + ", expected 0..9");
            }
        }
        return new FashionMnist(split, p, l);
    }

    /** The directories searched for the upstream files, in order (unset property / variable are skipped). */
    public static List<Path> candidateDirs() {
        List<Path> dirs = new ArrayList<>();
        String prop = System.getProperty(PROPERTY);
        if (prop != null && !prop.isBlank()) {
            dirs.add(Path.of(prop));
        }
        String env = System.getenv(ENV);
        if (env != null && !env.isBlank()) {
            dirs.add(Path.of(env));
        }
        dirs.add(DataPaths.dataDir().resolve("cache").resolve("fashion-mnist"));
        dirs.add(SYSTEM_DIR);
        return dirs;
    }

    /**
     * The first candidate directory that holds all four upstream files.
     *
     * @throws IllegalStateException naming every path tried and the install command if none does
     */
    public static Path locate() {
        return locate(candidateDirs());
    }

    /**
     * The first of {@code tried} that holds all four upstream files.
     *
     * @throws IllegalStateException naming every path tried and the install command if none does
     */
    public static Path locate(List<Path> tried) {
        for (Path d : tried) {
            boolean all = SHA256.keySet().stream().allMatch(f -> Files.isRegularFile(d.resolve(f)));
            if (all) {
                return d;
            }
        }
        StringBuilder sb = new StringBuilder("Fashion-MNIST not found: none of these directories holds all of "
                + SHA256.keySet() + ":");
        for (Path d : tried) {
            sb.append("\n  ").append(d.toAbsolutePath());
        }
        sb.append("\nInstall it with `").append(INSTALL_COMMAND).append("` (downloads the upstream files into ")
                .append("data/cache/fashion-mnist and checks their SHA-256), or set -D").append(PROPERTY)
                .append("=DIR or ").append(ENV).append("=DIR.");
        throw new IllegalStateException(sb.toString());
    }

    /**
     * Checks one upstream file's SHA-256 against {@link #SHA256}.
     *
     * @throws IllegalStateException naming the file, the expected and the actual hash on a mismatch, or the file
     *     if it is missing or unknown
     */
    public static void verify(Path file) {
        String name = file.getFileName().toString();
        String expected = SHA256.get(name);
        if (expected == null) {
            throw new IllegalArgumentException("unknown Fashion-MNIST file name " + name + ", expected one of "
                    + SHA256.keySet());
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("Fashion-MNIST file " + file + " is missing; install with `"
                    + INSTALL_COMMAND + "`");
        }
        String actual = sha256(file);
        if (!expected.equals(actual)) {
            throw new IllegalStateException("Fashion-MNIST file " + file + " has SHA-256 " + actual + ", expected "
                    + expected + " (the upstream file): it is corrupt or truncated; delete it and run `"
                    + INSTALL_COMMAND + "`");
        }
    }

    /** The SHA-256 of a file as lower-case hex. */
    public static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + " to hash it", e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The fixed test subset every table uses: {@value #TEST_SET_PER_CLASS} test-split indices per class, 100 in
     * all, ordered by class then by index. Rule: for each class c, the test indices with label c are shuffled by a
     * Fisher-Yates pass driven by {@code NoiseSource.seeded(TEST_SET_SEED).fork(c)} and the first
     * {@value #TEST_SET_PER_CLASS} kept, then sorted. The same list is committed as {@code data/test-set.txt}.
     */
    public static int[] fixedTestIndices() {
        return balancedSubset(load(Split.TEST), TEST_SET_PER_CLASS, TEST_SET_SEED);
    }

    /**
     * A class-balanced subset of {@code data}: {@code perClass} indices of each class chosen by the seeded rule
     * of {@link #fixedTestIndices()}, grouped by class, ascending within a class.
     */
    public static int[] balancedSubset(FashionMnist data, int perClass, long seed) {
        int k = CLASS_NAMES.size();
        int[] out = new int[k * perClass];
        NoiseSource root = NoiseSource.seeded(seed);
        for (int c = 0; c < k; c++) {
            List<Integer> ofClass = new ArrayList<>();
            for (int i = 0; i < data.size(); i++) {
                if (data.labels[i] == c) {
                    ofClass.add(i);
                }
            }
            if (ofClass.size() < perClass) {
                throw new IllegalArgumentException("class " + c + " has " + ofClass.size() + " images, fewer than "
                        + perClass + " requested");
            }
            int[] idx = ofClass.stream().mapToInt(Integer::intValue).toArray();
            NoiseSource rng = root.fork(c);
            for (int i = idx.length - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = idx[i];
                idx[i] = idx[j];
                idx[j] = t;
            }
            int[] pick = java.util.Arrays.copyOf(idx, perClass);
            java.util.Arrays.sort(pick);
            System.arraycopy(pick, 0, out, c * perClass, perClass);
        }
        return out;
    }

    /** The split this instance holds. */
    public Split split() {
        return split;
    }

    /** The number of images. */
    public int size() {
        return labels.length;
    }

    /** The label (0..9) of image {@code i}. */
    public int label(int i) {
        checkIndex(i);
        return labels[i];
    }

    /** The labels of the given images. */
    public int[] labels(int[] indices) {
        int[] out = new int[indices.length];
        for (int j = 0; j < indices.length; j++) {
            out[j] = label(indices[j]);
        }
        return out;
    }

    /** How many images of each class this split holds (length 10). */
    public int[] classCounts() {
        int[] counts = new int[CLASS_NAMES.size()];
        for (byte l : labels) {
            counts[l]++;
        }
        return counts;
    }

    /**
     * The given images as a FLOAT32 batch of shape {@code (n, 1, 32, 32)} in {@code [-1, 1]} (padding = -1), on
     * {@code manager}.
     */
    public NDArray images(NDManager manager, int[] indices) {
        float[] out = new float[indices.length * SIZE * SIZE];
        java.util.Arrays.fill(out, -1f);
        for (int j = 0; j < indices.length; j++) {
            int i = indices[j];
            checkIndex(i);
            int src = i * RAW_SIZE * RAW_SIZE;
            int dst = j * SIZE * SIZE;
            for (int r = 0; r < RAW_SIZE; r++) {
                for (int c = 0; c < RAW_SIZE; c++) {
                    int p = pixels[src + r * RAW_SIZE + c] & 0xff;
                    out[dst + (r + PAD) * SIZE + c + PAD] = p / 127.5f - 1f;
                }
            }
        }
        return HostArrays.of(manager, out, new Shape(indices.length, 1, SIZE, SIZE));
    }

    /** Images {@code [from, from + count)} as a batch (see {@link #images(NDManager, int[])}). */
    public NDArray images(NDManager manager, int from, int count) {
        int[] idx = new int[count];
        for (int j = 0; j < count; j++) {
            idx[j] = from + j;
        }
        return images(manager, idx);
    }

    private void checkIndex(int i) {
        if (i < 0 || i >= labels.length) {
            throw new IndexOutOfBoundsException("image index " + i + " is outside [0, " + labels.length + ") of the "
                    + split + " split");
        }
    }
}
