package org.diffinv.notebook;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.RenderedImage;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Converts kit image tensors to {@link BufferedImage}s, upscales them and writes PNG files; plain Java (no notebook
 * dependency), and a {@code BufferedImage} displays as image/png in JJava.
 *
 * <p>Conversion: a tensor in [-1, 1] of shape {@code (C, H, W)} (or {@code (1, C, H, W)}) with {@code C = 1}
 * (grey, {@link BufferedImage#TYPE_BYTE_GRAY}) or {@code C = 3} (RGB, {@link BufferedImage#TYPE_INT_RGB}) becomes
 * 8-bit intensities {@code round(255 * clip((x + 1) / 2, 0, 1))}: values a sampler overshoots beyond [-1, 1] show as
 * black or white, as when saving an image file. Samples are written to the raster directly (no colour-space
 * conversion), so a grey value v is stored exactly as v. NaN or infinite values are an error, never a silent
 * black pixel. For grids with labels see {@link ImageGrid}.
 */
public final class Images {

    private Images() {
    }

    /**
     * One image tensor as a {@link BufferedImage}.
     *
     * @param image {@code (C, H, W)} or {@code (1, C, H, W)}, {@code C} in {1, 3}, floating type, values in [-1, 1]
     *     (clipped)
     * @return a grey ({@code C = 1}) or RGB ({@code C = 3}) image of size {@code W x H}
     * @throws IllegalArgumentException for another rank, a batch of more than one image, another channel count, a
     *     non-floating type, or a NaN / infinite value
     */
    public static BufferedImage toImage(NDArray image) {
        Shape s = image.getShape();
        if (s.dimension() == 4) {
            if (s.get(0) != 1) {
                throw new IllegalArgumentException("toImage takes one image; got a batch of shape " + s
                        + " (use toImages or ImageGrid)");
            }
            s = new Shape(s.get(1), s.get(2), s.get(3));
        } else if (s.dimension() != 3) {
            throw new IllegalArgumentException("expected an image (C, H, W) or (1, C, H, W), got shape " + s);
        }
        return fromPlanes(floats(image), 0, (int) s.get(0), (int) s.get(1), (int) s.get(2), "image");
    }

    /**
     * Every image of a batch as a {@link BufferedImage}.
     *
     * @param batch {@code (N, C, H, W)} or one image {@code (C, H, W)}, {@code C} in {1, 3}, values in [-1, 1]
     * @return {@code N} images in batch order
     * @throws IllegalArgumentException as {@link #toImage(NDArray)}, naming the index of a bad image
     */
    public static List<BufferedImage> toImages(NDArray batch) {
        Shape s = batch.getShape();
        if (s.dimension() == 3) {
            return List.of(toImage(batch));
        }
        if (s.dimension() != 4) {
            throw new IllegalArgumentException("expected images (N, C, H, W) or (C, H, W), got shape " + s);
        }
        int n = (int) s.get(0);
        int c = (int) s.get(1);
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        float[] data = floats(batch);
        List<BufferedImage> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(fromPlanes(data, i * c * h * w, c, h, w, "image " + i));
        }
        return out;
    }

    /**
     * Nearest-neighbour upscaling by an integer factor (pixels become {@code factor x factor} blocks); grey stays
     * grey, everything else becomes RGB (alpha is dropped); factor 1 returns the image itself.
     *
     * @param factor 1 to 64
     */
    public static BufferedImage upscale(BufferedImage image, int factor) {
        if (factor < 1 || factor > 64) {
            throw new IllegalArgumentException("upscale factor must be in [1, 64], got " + factor);
        }
        if (factor == 1) {
            return image;
        }
        int w = image.getWidth();
        int h = image.getHeight();
        if (!isPlain(image)) {
            BufferedImage out = new BufferedImage(w * factor, h * factor, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < h * factor; y++) {
                for (int x = 0; x < w * factor; x++) {
                    out.setRGB(x, y, image.getRGB(x / factor, y / factor));
                }
            }
            return out;
        }
        BufferedImage out = new BufferedImage(w * factor, h * factor, image.getType() == BufferedImage.TYPE_BYTE_GRAY
                ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        WritableRaster src = image.getRaster();
        WritableRaster dst = out.getRaster();
        int bands = dst.getNumBands();
        int[] pixel = new int[Math.max(bands, src.getNumBands())];
        for (int y = 0; y < h * factor; y++) {
            for (int x = 0; x < w * factor; x++) {
                src.getPixel(x / factor, y / factor, pixel);
                dst.setPixel(x, y, pixel);
            }
        }
        return out;
    }

    /**
     * A plain grid of a batch without labels: images in row-major order, {@code columns} per row, each upscaled by
     * {@code scale}, separated by 2 white pixels. Equivalent to an {@link ImageGrid} with the batch split into rows.
     *
     * @param batch {@code (N, C, H, W)} in [-1, 1], {@code C} in {1, 3}
     * @param columns images per row, at least 1
     * @param scale nearest upscaling factor, 1 to 64
     */
    public static BufferedImage grid(NDArray batch, int columns, int scale) {
        if (columns < 1) {
            throw new IllegalArgumentException("columns must be at least 1, got " + columns);
        }
        List<BufferedImage> images = toImages(batch);
        ImageGrid.Builder b = ImageGrid.builder().optScale(scale);
        for (int i = 0; i < images.size(); i += columns) {
            b.addRow(null, images.subList(i, Math.min(images.size(), i + columns)));
        }
        return b.build();
    }

    /**
     * Writes an image as a PNG file, creating parent directories.
     *
     * @return the file written
     * @throws IllegalArgumentException if the file name does not end in {@code .png}
     * @throws UncheckedIOException if writing fails
     */
    public static Path savePng(RenderedImage image, Path file) {
        if (!file.getFileName().toString().toLowerCase().endsWith(".png")) {
            throw new IllegalArgumentException("PNG file name must end in .png, got " + file);
        }
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            if (!ImageIO.write(image, "png", file.toFile())) {
                throw new IOException("no PNG writer for image type " + image.getClass().getName());
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write PNG " + file + ": " + e.getMessage(), e);
        }
    }

    private static float[] floats(NDArray a) {
        DataType t = a.getDataType();
        if (!t.isFloating()) {
            throw new IllegalArgumentException("images must have a floating type with values in [-1, 1], got " + t);
        }
        if (t == DataType.FLOAT32) {
            return a.toFloatArray();
        }
        try (NDArray f = a.toType(DataType.FLOAT32, true)) {
            return f.toFloatArray();
        }
    }

    private static BufferedImage fromPlanes(float[] data, int offset, int c, int h, int w, String what) {
        if (c != 1 && c != 3) {
            throw new IllegalArgumentException(what + " has " + c + " channels; expected 1 (grey) or 3 (RGB)");
        }
        if (h < 1 || w < 1) {
            throw new IllegalArgumentException(what + " is empty (" + h + "x" + w + ")");
        }
        BufferedImage img = new BufferedImage(w, h, c == 1 ? BufferedImage.TYPE_BYTE_GRAY
                : BufferedImage.TYPE_INT_RGB);
        WritableRaster raster = img.getRaster();
        int plane = h * w;
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    float v = data[offset + ch * plane + y * w + x];
                    if (!Float.isFinite(v)) {
                        throw new IllegalArgumentException(what + " has value " + v + " at (c=" + ch + ", y=" + y
                                + ", x=" + x + "); expected finite values in [-1, 1]");
                    }
                    raster.setSample(x, y, ch, toByte(v));
                }
            }
        }
        return img;
    }

    /** Whether the image's raster samples are grey or R, G, B(, A) in that order (the types this class makes). */
    static boolean isPlain(BufferedImage im) {
        int t = im.getType();
        return t == BufferedImage.TYPE_BYTE_GRAY || t == BufferedImage.TYPE_INT_RGB || t == BufferedImage.TYPE_INT_ARGB;
    }

    /** {@code round(255 * clip((v + 1) / 2, 0, 1))}. */
    static int toByte(double v) {
        double u = Math.min(1.0, Math.max(0.0, (v + 1) / 2));
        return (int) Math.round(255 * u);
    }
}
