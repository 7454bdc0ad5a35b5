package org.diffinv.notebook;

import ai.djl.ndarray.NDArray;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A labelled image grid: one row per image set (e.g. ground truth, measurement, each method), one column per
 * image, optional row labels on the left and column labels on top, nearest upscaling so 32x32 images are visible.
 *
 * <pre>{@code
 * BufferedImage grid = ImageGrid.builder()
 *         .addRow("truth", x0)            // (N, 1, 32, 32) in [-1, 1]
 *         .addRow("y = A(x)", y)          // (N, 1, 8, 8): upscaled to the same cell size
 *         .addRow("DPS", xHat)
 *         .optColumnLabels("img 0", "img 1", "img 2")
 *         .optScale(3)
 *         .build();
 * }</pre>
 *
 * <p>Layout: every cell has the size of the largest image times {@code scale}; each image is upscaled by the
 * largest integer factor that fits its cell (so an 8x8 measurement beside 32x32 images fills the same cell) and
 * centred. Cells are separated by {@code padding} white pixels. The grid is {@link BufferedImage#TYPE_INT_RGB}
 * (grey images are copied to the three channels unchanged; images of other types than grey, RGB and ARGB go
 * through {@link BufferedImage#getRGB}). Rows may have different lengths.
 */
public final class ImageGrid {

    private ImageGrid() {
    }

    /** A new builder (scale 3, padding 2, font size 12). */
    public static Builder builder() {
        return new Builder();
    }

    /** Builder of an image grid: {@code addRow} at least once (required), the rest optional. */
    public static final class Builder {
        private final List<String> rowLabels = new ArrayList<>();
        private final List<List<BufferedImage>> rows = new ArrayList<>();
        private List<String> columnLabels = List.of();
        private int scale = 3;
        private int padding = 2;
        private int fontSize = 12;

        private Builder() {
        }

        /**
         * Adds a row of the images of a batch ({@code (N, C, H, W)} or one {@code (C, H, W)}), converted by
         * {@link Images#toImages(NDArray)}.
         *
         * @param label the row label, or null for none
         */
        public Builder addRow(String label, NDArray images) {
            try {
                return addRow(label, Images.toImages(images));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("row " + rows.size() + (label == null ? "" : " ('" + label + "')")
                        + ": " + e.getMessage(), e);
            }
        }

        /**
         * Adds a row of ready images.
         *
         * @param label the row label, or null for none
         * @param images at least one image
         */
        public Builder addRow(String label, List<BufferedImage> images) {
            if (images == null || images.isEmpty()) {
                throw new IllegalArgumentException("row " + rows.size() + " must hold at least one image");
            }
            rowLabels.add(label);
            rows.add(List.copyOf(images));
            return this;
        }

        /** Labels of the columns, left to right; at most as many as the longest row. */
        public Builder optColumnLabels(List<String> labels) {
            this.columnLabels = List.copyOf(labels);
            return this;
        }

        /** Labels of the columns, left to right. */
        public Builder optColumnLabels(String... labels) {
            return optColumnLabels(Arrays.asList(labels));
        }

        /** Nearest upscaling factor of the largest image, 1 to 64 (default 3: 32x32 becomes 96x96). */
        public Builder optScale(int scale) {
            if (scale < 1 || scale > 64) {
                throw new IllegalArgumentException("scale must be in [1, 64], got " + scale);
            }
            this.scale = scale;
            return this;
        }

        /** White pixels between cells and around labels, 0 to 64 (default 2). */
        public Builder optPadding(int padding) {
            if (padding < 0 || padding > 64) {
                throw new IllegalArgumentException("padding must be in [0, 64], got " + padding);
            }
            this.padding = padding;
            return this;
        }

        /** Label font size in points, 6 to 72 (default 12). */
        public Builder optFontSize(int fontSize) {
            if (fontSize < 6 || fontSize > 72) {
                throw new IllegalArgumentException("font size must be in [6, 72], got " + fontSize);
            }
            this.fontSize = fontSize;
            return this;
        }

        /**
         * Renders the grid.
         *
         * @throws IllegalArgumentException if no row was added or there are more column labels than columns
         */
        public BufferedImage build() {
            if (rows.isEmpty()) {
                throw new IllegalArgumentException("an image grid needs at least one row (call addRow)");
            }
            int columns = rows.stream().mapToInt(List::size).max().orElseThrow();
            if (columnLabels.size() > columns) {
                throw new IllegalArgumentException(columnLabels.size() + " column labels for " + columns
                        + " columns");
            }
            int cellW = 0;
            int cellH = 0;
            for (List<BufferedImage> row : rows) {
                for (BufferedImage im : row) {
                    cellW = Math.max(cellW, im.getWidth() * scale);
                    cellH = Math.max(cellH, im.getHeight() * scale);
                }
            }
            Font font = new Font(Font.SANS_SERIF, Font.PLAIN, fontSize);
            FontMetrics metrics = metrics(font);
            boolean anyRowLabel = rowLabels.stream().anyMatch(l -> l != null && !l.isEmpty());
            int left = 0;
            if (anyRowLabel) {
                for (String l : rowLabels) {
                    left = Math.max(left, l == null ? 0 : metrics.stringWidth(l));
                }
                left += 2 * padding + 4;
            }
            int top = columnLabels.isEmpty() ? 0 : metrics.getHeight() + 2 * padding;
            int width = left + padding + columns * (cellW + padding);
            int height = top + padding + rows.size() * (cellH + padding);

            BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = out.createGraphics();
            try {
                g.setColor(Color.WHITE);
                g.fillRect(0, 0, width, height);
                WritableRaster raster = out.getRaster();
                for (int r = 0; r < rows.size(); r++) {
                    int y0 = top + padding + r * (cellH + padding);
                    List<BufferedImage> row = rows.get(r);
                    for (int c = 0; c < row.size(); c++) {
                        int x0 = left + padding + c * (cellW + padding);
                        paste(raster, row.get(c), x0, y0, cellW, cellH);
                    }
                }
                g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
                g.setFont(font);
                g.setColor(Color.BLACK);
                for (int c = 0; c < columnLabels.size(); c++) {
                    String l = columnLabels.get(c);
                    if (l != null) {
                        int x0 = left + padding + c * (cellW + padding);
                        int tx = x0 + Math.max(0, (cellW - metrics.stringWidth(l)) / 2);
                        g.drawString(l, tx, padding + metrics.getAscent());
                    }
                }
                for (int r = 0; r < rows.size(); r++) {
                    String l = rowLabels.get(r);
                    if (l != null) {
                        int y0 = top + padding + r * (cellH + padding);
                        g.drawString(l, padding, y0 + (cellH + metrics.getAscent() - metrics.getDescent()) / 2);
                    }
                }
            } finally {
                g.dispose();
            }
            return out;
        }

        private static FontMetrics metrics(Font font) {
            BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = probe.createGraphics();
            try {
                return g.getFontMetrics(font);
            } finally {
                g.dispose();
            }
        }

        /** Copies {@code im} upscaled by the largest integer factor fitting the cell, centred, sample by sample. */
        private static void paste(WritableRaster dst, BufferedImage im, int x0, int y0, int cellW, int cellH) {
            int f = Math.max(1, Math.min(cellW / im.getWidth(), cellH / im.getHeight()));
            int w = im.getWidth() * f;
            int h = im.getHeight() * f;
            int ox = x0 + (cellW - w) / 2;
            int oy = y0 + (cellH - h) / 2;
            WritableRaster src = im.getRaster();
            int bands = src.getNumBands();
            boolean direct = Images.isPlain(im);
            int[] p = new int[Math.max(3, bands)];
            int[] rgb = new int[3];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    if (!direct) {
                        int argb = im.getRGB(x / f, y / f);
                        rgb[0] = (argb >> 16) & 0xFF;
                        rgb[1] = (argb >> 8) & 0xFF;
                        rgb[2] = argb & 0xFF;
                        dst.setPixel(ox + x, oy + y, rgb);
                        continue;
                    }
                    src.getPixel(x / f, y / f, p);
                    if (bands == 1) {
                        rgb[0] = p[0];
                        rgb[1] = p[0];
                        rgb[2] = p[0];
                    } else {
                        rgb[0] = p[0];
                        rgb[1] = p[1];
                        rgb[2] = p[2];
                    }
                    dst.setPixel(ox + x, oy + y, rgb);
                }
            }
        }
    }
}
