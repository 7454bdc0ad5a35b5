package org.diffinv.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tests of the Fashion-MNIST reader on the real installed files. */
class FashionMnistTest {

    private static FashionMnist test;

    @BeforeAll
    static void load() {
        test = FashionMnist.load(FashionMnist.Split.TEST);
    }

    @Test
    void splitsHaveTheDocumentedSizesAndTheTestSplitIsBalanced() {
        assertEquals(10_000, test.size());
        int[] counts = test.classCounts();
        for (int c = 0; c < 10; c++) {
            assertEquals(1000, counts[c], "upstream t10k has exactly 1000 images per class");
        }
        FashionMnist validation = FashionMnist.load(FashionMnist.Split.VALIDATION);
        assertEquals(5_000, validation.size());
        assertEquals(5_000, Arrays.stream(validation.classCounts()).sum());
    }

    @Test
    void batchesAreShapedPaddedAndInRange() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = test.images(m, new int[] {0, 1, 2, 3});
            assertEquals(new ai.djl.ndarray.types.Shape(4, 1, 32, 32), x.getShape());
            float[] v = x.toFloatArray();
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (float f : v) {
                min = Math.min(min, f);
                max = Math.max(max, f);
            }
            assertTrue(min >= -1f && max <= 1f, "values in [-1, 1]: " + min + " .. " + max);
            assertEquals(-1f, min, 0f, "the background (raw 0) maps to -1");
            assertTrue(max > 0.9f, "every Fashion-MNIST image has bright pixels, max " + max);
            // the 2-pixel border is padding: exactly the background value
            for (int n = 0; n < 4; n++) {
                for (int i = 0; i < 32; i++) {
                    for (int k : new int[] {0, 1, 30, 31}) {
                        assertEquals(-1f, v[n * 1024 + k * 32 + i], 0f);
                        assertEquals(-1f, v[n * 1024 + i * 32 + k], 0f);
                    }
                }
            }
        }
    }

    @Test
    void firstTestLabelsMatchTheUpstreamFile() {
        // upstream t10k-labels begin 9 (ankle boot), 2 (pullover), 1 (trouser), 1, 6 (shirt)
        assertArrayEquals(new int[] {9, 2, 1, 1, 6}, test.labels(new int[] {0, 1, 2, 3, 4}));
    }

    @Test
    void committedTestSetEqualsTheRuleAndIsClassBalanced() throws IOException {
        int[] rule = FashionMnist.fixedTestIndices();
        List<Integer> committed = new ArrayList<>();
        for (String line : Files.readAllLines(DataPaths.dataDir().resolve("test-set.txt"))) {
            if (!line.isBlank() && !line.startsWith("#")) {
                String[] f = line.trim().split("\\s+");
                committed.add(Integer.parseInt(f[0]));
                assertEquals(test.label(Integer.parseInt(f[0])), Integer.parseInt(f[1]), line);
            }
        }
        assertArrayEquals(rule, committed.stream().mapToInt(Integer::intValue).toArray());
        int[] perClass = new int[10];
        for (int i : rule) {
            perClass[test.label(i)]++;
        }
        for (int c = 0; c < 10; c++) {
            assertEquals(FashionMnist.TEST_SET_PER_CLASS, perClass[c]);
        }
    }

    @Test
    void committedHashFileMatchesTheCompiledHashes() throws IOException {
        Map<String, String> fromFile = new HashMap<>();
        for (String line : Files.readAllLines(DataPaths.dataDir().resolve("fashion-mnist.sha256"))) {
            if (!line.isBlank()) {
                String[] f = line.trim().split("\\s+");
                fromFile.put(f[1], f[0]);
            }
        }
        assertEquals(FashionMnist.SHA256, fromFile);
    }

    @Test
    void checksumMismatchNamesTheFileAndBothHashes(@TempDir Path dir) throws IOException {
        Path src = FashionMnist.locate().resolve("t10k-labels-idx1-ubyte.gz");
        Path bad = dir.resolve("t10k-labels-idx1-ubyte.gz");
        byte[] bytes = Files.readAllBytes(src);
        bytes[bytes.length / 2] ^= 0x5a;
        Files.write(bad, bytes);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> FashionMnist.verify(bad));
        assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(FashionMnist.SHA256.get("t10k-labels-idx1-ubyte.gz")), e.getMessage());
        assertTrue(e.getMessage().contains("environment/kit setup"), e.getMessage());
    }

    @Test
    void missingDataListsEveryPathTried(@TempDir Path dir) {
        List<Path> tried = List.of(dir.resolve("a"), dir.resolve("b"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> FashionMnist.locate(tried));
        for (Path p : tried) {
            assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        }
        assertTrue(e.getMessage().contains("environment/kit setup"), e.getMessage());
    }

    @Test
    void truncatedAndWrongMagicIdxFilesGiveClearErrors(@TempDir Path dir) throws IOException {
        Path truncated = dir.resolve("labels-idx1-ubyte.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(truncated))) {
            out.write(new byte[] {0, 0, 8, 1, 0, 0, 0, 10, 1, 2, 3}); // declares 10 labels, holds 3
        }
        IdxReader.IdxFormatException e = assertThrows(IdxReader.IdxFormatException.class,
                () -> IdxReader.readLabels(truncated));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains(truncated.toString()),
                e.getMessage());
        Path wrongMagic = dir.resolve("images-idx3-ubyte");
        Files.write(wrongMagic, new byte[] {0, 0, 8, 1, 0, 0, 0, 1, 7});
        e = assertThrows(IdxReader.IdxFormatException.class, () -> IdxReader.readImages(wrongMagic));
        assertTrue(e.getMessage().contains("0x00000801") && e.getMessage().contains("0x00000803"), e.getMessage());
        Path notGzip = dir.resolve("x-idx1-ubyte.gz");
        Files.write(notGzip, new byte[] {1, 2, 3, 4, 5, 6});
        e = assertThrows(IdxReader.IdxFormatException.class, () -> IdxReader.readLabels(notGzip));
        assertTrue(e.getMessage().contains("gzip"), e.getMessage());
    }

    @Test
    void shuffledBatchesArePermutationsAndDependOnlyOnSeedAndStep() {
        ShuffledBatches a = new ShuffledBatches(10, 3, 42);
        ShuffledBatches b = new ShuffledBatches(10, 3, 42);
        assertEquals(3, a.batchesPerEpoch());
        boolean[] seen = new boolean[10];
        for (int s = 0; s < 3; s++) {
            for (int i : a.batch(s)) {
                assertTrue(!seen[i], "no repeats within an epoch");
                seen[i] = true;
            }
        }
        assertArrayEquals(a.batch(7), b.batch(7), "random access by step (resume) gives the same batch");
        assertArrayEquals(a.batch(1), new ShuffledBatches(10, 3, 42).batch(1));
        assertTrue(!Arrays.equals(a.batch(0), new ShuffledBatches(10, 3, 43).batch(0))
                || !Arrays.equals(a.batch(1), new ShuffledBatches(10, 3, 43).batch(1)));
    }
}
