package org.diffinv.operators;

import org.diffinv.diffusion.NoiseSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The mask generators: sizes, ratios, positions and seeded reproducibility. */
class MasksTest {

    @Test
    void fixedBoxZeroesExactlyTheBox() {
        Mask m = Masks.box(8, 10, 3, 4, 2, 5);
        double[] v = m.values();
        for (int i = 0; i < 8; i++) {
            for (int j = 0; j < 10; j++) {
                boolean inBox = i >= 2 && i < 5 && j >= 5 && j < 9;
                assertEquals(inBox ? 0.0 : 1.0, v[i * 10 + j]);
            }
        }
        assertEquals(12.0 / 80, m.holeRatio(), 1e-15);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Masks.box(8, 8, 4, 4, 6, 0));
        assertTrue(e.getMessage().contains("(6, 0)") && e.getMessage().contains("8x8"), e.getMessage());
    }

    @Test
    void randomBoxIsPerImageAndSeeded() {
        Mask a = Masks.randomBox(6, 16, 16, 8, 8, NoiseSource.seeded(1));
        Mask b = Masks.randomBox(6, 16, 16, 8, 8, NoiseSource.seeded(1));
        assertArrayEquals(a.values(), b.values());
        boolean differ = false;
        for (int n = 0; n < 6; n++) {
            assertEquals(0.25, a.holeRatio(n), 1e-15);
            differ |= !java.util.Arrays.equals(slice(a, 0), slice(a, n));
        }
        assertTrue(differ, "positions vary between images");
    }

    private static double[] slice(Mask m, int n) {
        int per = (int) (m.shape().size() / m.shape().get(0));
        return java.util.Arrays.copyOfRange(m.values(), n * per, (n + 1) * per);
    }

    @Test
    void randomPixelsKeepExactCount() {
        Mask m = Masks.randomPixels(3, 10, 10, 0.37, NoiseSource.seeded(2));
        for (int n = 0; n < 3; n++) {
            assertEquals(0.63, m.holeRatio(n), 1e-12);
        }
        Mask u = Masks.randomPixelsUniformKeep(50, 8, 8, 0.3, 0.7, NoiseSource.seeded(3));
        double min = 1;
        double max = 0;
        for (int n = 0; n < 50; n++) {
            double keep = 1 - u.holeRatio(n);
            assertTrue(keep >= 0.3 - 0.5 / 64 && keep <= 0.7 + 0.5 / 64, "keep " + keep);
            min = Math.min(min, keep);
            max = Math.max(max, keep);
        }
        assertTrue(max - min > 0.2, "keep ratios spread over U(0.3, 0.7)");
    }

    /** Free-form masks hit a hole ratio in [0.1, 0.2] at 8, 16 and 32 px, reproducibly. */
    @Test
    void freeFormHoleRatioInRange() {
        for (int size : new int[] {8, 16, 32}) {
            Mask m = Masks.freeForm(8, size, size, 0.1, 0.2, NoiseSource.seeded(size));
            for (int n = 0; n < 8; n++) {
                double r = m.holeRatio(n);
                assertTrue(r >= 0.1 && r <= 0.2, "size " + size + " image " + n + " hole ratio " + r);
            }
            assertArrayEquals(m.values(), Masks.freeForm(8, size, size, 0.1, 0.2, NoiseSource.seeded(size)).values());
        }
        assertFalse(java.util.Arrays.equals(Masks.freeForm(1, 32, 32, 0.1, 0.2, NoiseSource.seeded(1)).values(),
                Masks.freeForm(1, 32, 32, 0.1, 0.2, NoiseSource.seeded(2)).values()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Masks.freeForm(1, 8, 8, 0.3, 0.2, NoiseSource.seeded(1)));
        assertTrue(e.getMessage().contains("[0.3, 0.2]"), e.getMessage());
    }

    @Test
    void maskValuesMustBeBinary() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Mask.of(new double[] {1, 0, 0.5, 1}, new ai.djl.ndarray.types.Shape(1, 1, 2, 2)));
        assertTrue(e.getMessage().contains("0.5"), e.getMessage());
    }
}
