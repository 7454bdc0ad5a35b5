package org.diffinv.notebook;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.XYChart;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** XChart helpers: series validation, line and bar charts, rendering and PNG files (headless). */
class ChartsTest {

    @Test
    void lineChartHoldsTheSeriesAndRenders(@TempDir Path dir) throws IOException {
        XYChart chart = Charts.line("PSNR vs steps", "steps", "PSNR (dB)",
                Charts.Series.of("DPS", new double[] {10, 20, 50}, new double[] {20.1, 24.3, 26.0}),
                Charts.Series.of("DDRM", new double[] {22, 25, 26.5}));
        assertEquals(2, chart.getSeriesMap().size());
        assertArrayEquals(new double[] {0, 1, 2}, chart.getSeriesMap().get("DDRM").getXData(), 0);
        BufferedImage im = Charts.toImage(chart);
        assertEquals(Charts.WIDTH, im.getWidth());
        assertEquals(Charts.HEIGHT, im.getHeight());
        assertTrue(distinctColours(im) > 10, "a rendered chart has lines, text and a legend");
        Path f = Charts.savePng(chart, dir.resolve("psnr.png"));
        assertEquals(Charts.WIDTH, ImageIO.read(f.toFile()).getWidth());
    }

    @Test
    void barChartGroupsSeriesByCategory() {
        Map<String, double[]> values = new LinkedHashMap<>();
        values.put("DPS", new double[] {24.1, 22.0});
        values.put("PSLD", new double[] {25.3, 23.9});
        CategoryChart chart = Charts.bar("PSNR by task", "task", "PSNR (dB)", List.of("SR x4", "inpaint"), values);
        assertEquals(List.of("DPS", "PSLD"), List.copyOf(chart.getSeriesMap().keySet()));
        assertTrue(distinctColours(Charts.toImage(chart)) > 10);
        values.put("bad", new double[] {1});
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Charts.bar("t", "x", "y", List.of("SR x4", "inpaint"), values)).getMessage().contains("'bad'"));
    }

    @Test
    void badSeriesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Charts.Series.of("a", new double[] {1, 2},
                new double[] {1}));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Charts.Series.of("loss",
                new double[] {1, Double.NaN})).getMessage().contains("loss"));
        assertThrows(IllegalArgumentException.class, () -> Charts.Series.of("", new double[] {1}));
        assertThrows(IllegalArgumentException.class, () -> Charts.line("t", "x", "y", List.of()));
        Charts.Series s = Charts.Series.of("a", new double[] {1});
        assertThrows(IllegalArgumentException.class, () -> Charts.line("t", "x", "y", s, s));
        double[] y = {1, 2};
        Charts.Series copy = Charts.Series.of("c", y);
        y[0] = 99;
        assertEquals(1, copy.y()[0], 0);
    }

    private static int distinctColours(BufferedImage im) {
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < im.getHeight(); y += 2) {
            for (int x = 0; x < im.getWidth(); x += 2) {
                colours.add(im.getRGB(x, y));
            }
        }
        return colours.size();
    }
}
