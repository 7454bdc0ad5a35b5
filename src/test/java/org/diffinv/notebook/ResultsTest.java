package org.diffinv.notebook;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The results directory from the environment, safe file names, and CSV / PNG / text artifacts. */
class ResultsTest {

    @Test
    void directoryComesFromTheEnvironmentOrDefaults() {
        assertEquals(Path.of("results", "dps"), Results.forRun("dps", k -> null).dir());
        assertEquals(Path.of("/tmp/run1", "dps"), Results.forRun("dps", k -> "/tmp/run1").dir());
        assertEquals(Path.of("results", "p2l"), Results.forRun("p2l", k -> "  ").dir());
        assertThrows(IllegalArgumentException.class, () -> Results.forRun("../x", k -> null));
        assertThrows(IllegalArgumentException.class, () -> Results.forRun("a/b", k -> null));
        assertThrows(IllegalArgumentException.class, () -> Results.forRun("", k -> null));
    }

    @Test
    void writesArtifactsAndCreatesDirectories(@TempDir Path tmp) throws IOException {
        Results r = Results.at(tmp.resolve("run"));
        Table t = Tables.fromRows("psnr", List.of("method", "psnr"), List.of(List.of("DPS", 24.5),
                List.of("DDRM", 26.0)));
        Path csv = r.saveCsv("tables/psnr.csv", t);
        List<String> lines = Files.readAllLines(csv);
        assertEquals(List.of("method,psnr", "DPS,24.5", "DDRM,26.0"), lines);

        BufferedImage im = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
        Path png = r.savePng("figures/x.png", im);
        assertEquals(3, ImageIO.read(png.toFile()).getWidth());
        Path chart = r.savePng("curve.png", Charts.line("c", "x", "y", Charts.Series.of("s", new double[] {1, 2})));
        assertEquals(Charts.WIDTH, ImageIO.read(chart.toFile()).getWidth());
        Path md = r.saveText("summary.md", "# done\n");
        assertEquals("# done\n", Files.readString(md));
        assertTrue(png.startsWith(tmp.resolve("run")));
    }

    @Test
    void rejectsNamesOutsideTheDirectoryAndWrongExtensions(@TempDir Path tmp) {
        Results r = Results.at(tmp.resolve("run"));
        assertThrows(IllegalArgumentException.class, () -> r.file("../escape.csv"));
        assertThrows(IllegalArgumentException.class, () -> r.file(tmp.resolve("abs.csv").toString()));
        assertThrows(IllegalArgumentException.class, () -> r.file(""));
        assertThrows(IllegalArgumentException.class, () -> r.saveCsv("t.txt", Table.create("t")));
        assertThrows(IllegalArgumentException.class,
                () -> r.savePng("x.jpg", new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB)));
    }
}
