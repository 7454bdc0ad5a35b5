package org.diffinv.notebook;

import org.diffinv.metrics.MeanStd;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.ColumnType;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.Table;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tables from records and rows (column types, missing values, errors) and the HTML rendering with a row limit. */
class TablesTest {

    record Row(String method, int steps, long nfe, double psnr, boolean latent, MeanStd ssim) {
    }

    @Test
    void recordsBecomeTypedColumns() {
        Table t = Tables.fromRecords("results", List.of(
                new Row("DPS", 1000, 1000, 24.5, false, MeanStd.of(0.80, 0.82)),
                new Row("PSLD", 500, 500, 25.25, true, MeanStd.of(0.85, 0.86))));
        assertEquals(List.of("method", "steps", "nfe", "psnr", "latent", "ssim"), t.columnNames());
        assertEquals(ColumnType.STRING, t.column("method").type());
        assertEquals(ColumnType.INTEGER, t.column("steps").type());
        assertEquals(ColumnType.LONG, t.column("nfe").type());
        assertEquals(ColumnType.DOUBLE, t.column("psnr").type());
        assertEquals(ColumnType.BOOLEAN, t.column("latent").type());
        assertEquals(25.25, t.doubleColumn("psnr").get(1), 0);
        assertEquals("0.810 ± 0.014", t.stringColumn("ssim").get(0));
        assertThrows(IllegalArgumentException.class, () -> Tables.fromRecords("x", List.of()));
    }

    @Test
    void rowsInferTypesAndReportMisfits() {
        Table t = Tables.fromRows("t", List.of("name", "value", "n"), List.of(
                Arrays.asList("a", null, 3),
                Arrays.asList("b", 2.5, 4)));
        assertEquals(ColumnType.DOUBLE, t.column("value").type());
        assertTrue(t.doubleColumn("value").isMissing(0));
        assertEquals(4, ((IntColumn) t.column("n")).get(1));
        String msg = assertThrows(IllegalArgumentException.class, () -> Tables.fromRows("t", List.of("n"),
                List.of(List.of(3), List.of(2.5)))).getMessage();
        assertTrue(msg.contains("row 1") && msg.contains("'n'"), msg);
        assertThrows(IllegalArgumentException.class, () -> Tables.fromRows("t", List.of("a", "a"), List.of()));
        assertThrows(IllegalArgumentException.class, () -> Tables.fromRows("t", List.of("a", "b"),
                List.of(List.of(1))));
        assertThrows(IllegalArgumentException.class, () -> Tables.fromRows("t", List.of("n"),
                List.of(List.of("text"), List.of(5))));
    }

    @Test
    void htmlIsLimitedAndEscaped() {
        List<List<?>> rows = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            rows.add(List.of("r" + i, i));
        }
        Table t = Tables.fromRows("<PSNR> table", List.of("run", "i"), rows);
        String html = Tables.toHtml(t, 5);
        assertTrue(html.contains("&lt;PSNR&gt; table"));
        assertTrue(html.contains("55 more rows (60 in all)"));
        assertTrue(html.contains(">r4<") && !html.contains(">r5<"), html);
        assertEquals(5 + 1, html.split("<tr").length - 1, "header row + 5 rows");
        assertFalse(Tables.toHtml(t).contains(">r50<"));
        assertFalse(Tables.toHtml(t, 100).contains("more rows"));
        assertThrows(IllegalArgumentException.class, () -> Tables.toHtml(t, 0));
    }
}
