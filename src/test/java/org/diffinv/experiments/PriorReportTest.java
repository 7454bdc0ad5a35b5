package org.diffinv.experiments;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PriorReportTest {

    @Test
    void parsesTrainerLogsAndLetsResumedLinesWin(@TempDir Path dir) throws IOException {
        Path a = dir.resolve("a.log");
        Path b = dir.resolve("b.log");
        Files.writeString(a, "training pixel-unet (pixel-eps), 40000 steps\n"
                + "pixel-unet step 10/40000 loss 1.03364 (avg 1.08725) lr 1.00e-05 0.337 it/s\n"
                + "noise line\npixel-unet step 20/40000 loss 0.90792 (avg 1.06703) lr 2.00e-05\n");
        Files.writeString(b, "pixel-unet step 20/40000 loss 0.5 (avg 0.75) lr 2.00e-05\n"
                + "\rpixel-unet step 30/40000 loss 2.5e-1 (avg 0.7) lr 2.00e-05\n");
        Table t = PriorReport.curveFromLog("pixel-unet", List.of(a, b));
        assertEquals(3, t.rowCount());
        assertEquals(List.of(10, 20, 30), t.intColumn("step").asList());
        assertEquals(0.5, t.doubleColumn("loss").get(1), 0);
        assertEquals(0.25, t.doubleColumn("loss").get(2), 0);
        assertEquals(1.08725, t.doubleColumn("avgLoss").get(0), 0);
        Path empty = dir.resolve("empty.log");
        Files.writeString(empty, "nothing here\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PriorReport.curveFromLog("x", List.of(empty)));
        assertTrue(e.getMessage().contains("empty.log"));
    }

    @Test
    void qualityTableHasOneRowPerCardAndAColumnPerQualityNumber(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("classifier.json"), "{\"kind\":\"feature-classifier\",\"name\":\"classifier\","
                + "\"sha256\":\"ab\",\"training\":{\"steps\":1500,\"wallSeconds\":3600},"
                + "\"quality\":{\"testAccuracy\":0.87,\"testImages\":10000}}");
        Files.writeString(dir.resolve("autoencoder.json"), "{\"kind\":\"kl-autoencoder\",\"name\":\"autoencoder\","
                + "\"sha256\":\"cd\",\"training\":{\"steps\":3000,\"wallSeconds\":1800},"
                + "\"quality\":{\"testPsnrDb\":27.5,\"note\":\"text is skipped\"}}");
        Files.writeString(dir.resolve("config.json"), "{\"not\":\"a card\"}");
        Table t = PriorReport.qualityTable(dir);
        assertEquals(2, t.rowCount());
        assertEquals(List.of("autoencoder", "classifier"), t.stringColumn("checkpoint").asList());
        assertEquals(27.5, t.doubleColumn("testPsnrDb").get(0), 0);
        assertTrue(t.doubleColumn("testPsnrDb").isMissing(1));
        assertEquals(0.87, t.doubleColumn("testAccuracy").get(1), 0);
        assertEquals(0.5, t.doubleColumn("train hours").get(0), 0);
        assertTrue(!t.containsColumn("note"));
    }
}
