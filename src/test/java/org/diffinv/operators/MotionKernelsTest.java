package org.diffinv.operators;

import org.diffinv.diffusion.NoiseSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The motion-kernel generator and the kernel files: normalisation, reproducibility, validation. */
class MotionKernelsTest {

    @TempDir
    Path dir;

    @Test
    void generatedKernelsAreNormalisedAndSeeded() {
        for (int size : new int[] {3, 9, 15}) {
            BlurKernel k = MotionKernels.generate(size, 0.5, NoiseSource.seeded(7));
            assertEquals(size, k.size());
            double sum = 0;
            for (double v : k.flat()) {
                assertTrue(v >= 0);
                sum += v;
            }
            assertEquals(1.0, sum, 1e-12);
            assertArrayEquals(k.flat(), MotionKernels.generate(size, 0.5, NoiseSource.seeded(7)).flat());
            assertFalse(java.util.Arrays.equals(k.flat(), MotionKernels.generate(size, 0.5, NoiseSource.seeded(8)).flat()));
        }
    }

    /** Higher intensity spreads the kernel further from its centre (mean second moment over 20 seeds). */
    @Test
    void intensityIncreasesSpread() {
        double low = 0;
        double high = 0;
        for (int seed = 0; seed < 20; seed++) {
            low += secondMoment(MotionKernels.generate(15, 0.0, NoiseSource.seeded(seed)));
            high += secondMoment(MotionKernels.generate(15, 1.0, NoiseSource.seeded(seed)));
        }
        assertTrue(high > 1.5 * low, "spread intensity 1: " + high / 20 + ", intensity 0: " + low / 20);
    }

    private static double secondMoment(BlurKernel k) {
        int s = k.size();
        double my = 0;
        double mx = 0;
        for (int i = 0; i < s; i++) {
            for (int j = 0; j < s; j++) {
                my += i * k.get(i, j);
                mx += j * k.get(i, j);
            }
        }
        double m2 = 0;
        for (int i = 0; i < s; i++) {
            for (int j = 0; j < s; j++) {
                m2 += ((i - my) * (i - my) + (j - mx) * (j - mx)) * k.get(i, j);
            }
        }
        return m2;
    }

    @Test
    void csvRoundTripAndNormalisationOnLoad() throws IOException {
        BlurKernel k = MotionKernels.generate(7, 0.5, NoiseSource.seeded(3));
        Path f = dir.resolve("k.csv");
        k.saveCsv(f);
        assertArrayEquals(k.flat(), BlurKernel.load(f).flat(), 1e-16);
        Path t = dir.resolve("k.txt");
        Files.writeString(t, "# a box\n1 1 1\n1 2 1\n1 1 1\n");
        BlurKernel loaded = BlurKernel.load(t);
        assertEquals(0.2, loaded.get(1, 1), 1e-15);
        assertEquals(0.1, loaded.get(0, 0), 1e-15);
    }

    @Test
    void pngLoads() throws IOException {
        BufferedImage img = new BufferedImage(5, 5, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setSample(2, 2, 0, 200);
        img.getRaster().setSample(3, 2, 0, 50);
        Path f = dir.resolve("k.png");
        ImageIO.write(img, "png", f.toFile());
        BlurKernel k = BlurKernel.load(f);
        assertEquals(0.8, k.get(2, 2), 1e-15);
        assertEquals(0.2, k.get(2, 3), 1e-15);
        BufferedImage rgb = new BufferedImage(5, 5, BufferedImage.TYPE_INT_RGB);
        Path g = dir.resolve("rgb.png");
        ImageIO.write(rgb, "png", g.toFile());
        assertMessage(() -> BlurKernel.load(g), "bands");
    }

    @Test
    void invalidKernelsAreRejected() throws IOException {
        assertMessage(() -> BlurKernel.of(new double[][] {{1, -1, 1}, {1, 1, 1}, {1, 1, 1}}, "test"), "negative entry -1.0");
        assertMessage(() -> BlurKernel.of(new double[][] {{1, Double.NaN, 1}, {1, 1, 1}, {1, 1, 1}}, "test"), "NaN");
        assertMessage(() -> BlurKernel.of(new double[][] {{1, 1}, {1, 1}}, "test"), "even size 2x2");
        assertMessage(() -> BlurKernel.of(new double[][] {{1, 1, 1}, {1, 1}, {1, 1, 1}}, "test"), "square");
        assertMessage(() -> BlurKernel.of(new double[][] {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}}, "test"), "sums to 0.0");
        assertMessage(() -> BlurKernel.load(dir.resolve("missing.csv")), "missing.csv");
        Path bad = dir.resolve("k.bin");
        Files.writeString(bad, "1");
        assertMessage(() -> BlurKernel.load(bad), "unknown type");
        Path text = dir.resolve("bad.csv");
        Files.writeString(text, "1,2,x\n");
        assertMessage(() -> BlurKernel.load(text), "'x'");
        assertMessage(() -> MotionKernels.generate(4, 0.5, NoiseSource.seeded(1)), "got 4");
        assertMessage(() -> MotionKernels.generate(5, 1.5, NoiseSource.seeded(1)), "got 1.5");
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable call, String fragment) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(fragment), () -> "message '" + e.getMessage() + "' lacks '" + fragment + "'");
    }
}
