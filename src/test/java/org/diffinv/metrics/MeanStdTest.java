package org.diffinv.metrics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Mean and Bessel-corrected std of per-image values, and their "mean ± std" text. */
class MeanStdTest {

    @Test
    void meanAndSampleStd() {
        // 1, 2, 3, 4: mean 2.5, sum of squares about the mean 5, sample variance 5/3
        MeanStd s = MeanStd.of(1, 2, 3, 4);
        assertEquals(2.5, s.mean(), 0);
        assertEquals(Math.sqrt(5.0 / 3.0), s.std(), 1e-15);
        assertEquals(4, s.n());
        assertTrue(s.hasSpread());
        assertEquals(Math.sqrt(5.0 / 3.0) / 2, s.standardError(), 1e-15);
    }

    @Test
    void printsMeanPlusMinusStd() {
        assertEquals("28.41 ± 1.20", new MeanStd(28.4142, 1.2, 5).toString());
        assertEquals("0.812 ± 0.012", new MeanStd(0.81234, 0.0123, 5).toString());
        assertEquals("28.4 ± 1.2", new MeanStd(28.4142, 1.2, 5).format(1));
        assertEquals("0.5000 ± 0.0000", MeanStd.of(0.5, 0.5).toString());
        assertEquals("31.00 (n=1)", MeanStd.of(31).format(2));
        assertFalse(MeanStd.of(31).hasSpread());
    }

    @Test
    void rejectsNonFiniteAndEmptyInput() {
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> MeanStd.of(30, Double.POSITIVE_INFINITY)).getMessage().contains("value[1]"));
        assertThrows(IllegalArgumentException.class, () -> MeanStd.of(Double.NaN));
        assertThrows(IllegalArgumentException.class, MeanStd::of);
        assertThrows(IllegalArgumentException.class, () -> new MeanStd(1, -1, 3));
        assertThrows(IllegalArgumentException.class, () -> new MeanStd(1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new MeanStd(1, 1, 3).format(-1));
    }
}
