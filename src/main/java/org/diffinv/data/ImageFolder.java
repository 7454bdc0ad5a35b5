package org.diffinv.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.diffinv.util.HostArrays;

import javax.imageio.ImageIO;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * A folder of PNG / JPEG images loaded as one batch in {@code [-1, 1]}: each image is resized so its shorter side
 * is {@code size} (bilinear or area averaging), centre-cropped to {@code size x size}, converted to grey
 * ({@code Y = 0.299 R + 0.587 G + 0.114 B}) or RGB, and mapped by {@code x = v / 127.5 - 1}.
 *
 * <p>Files are read in lexicographic order of their names; only {@code .png}, {@code .jpg} and {@code .jpeg}
 * (any case) are taken. An unreadable file raises an error naming it.
 */
public final class ImageFolder {

    /** How to resample when resizing. */
    public enum Resize { BILINEAR, AREA }

    private final List<Path> files;
    private final int size;
    private final int channels;
    private final Resize resize;

    private ImageFolder(List<Path> files, int size, int channels, Resize resize) {
        this.files = files;
        this.size = size;
        this.channels = channels;
        this.resize = resize;
    }

    /**
     * The images in {@code dir}, to be loaded at {@code size x size} with {@code channels} (1 = grey, 3 = RGB).
     *
     * @throws IllegalArgumentException if {@code dir} is not a directory, holds no image, or an argument is bad
     */
    public static ImageFolder of(Path dir, int size, int channels, Resize resize) {
        if (size < 1) {
            throw new IllegalArgumentException("size must be >= 1, got " + size);
        }
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 (grey) or 3 (RGB), got " + channels);
        }
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("image folder " + dir.toAbsolutePath() + " is not a directory");
        }
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(Files::isRegularFile).filter(p -> {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
            }).sorted().forEach(files::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException("image folder " + dir.toAbsolutePath()
                    + " holds no .png, .jpg or .jpeg file");
        }
        return new ImageFolder(List.copyOf(files), size, channels, resize);
    }

    /** The image files, in load order. */
    public List<Path> files() {
        return files;
    }

    /** All images as a FLOAT32 batch of shape {@code (N, channels, size, size)} in {@code [-1, 1]}. */
    public NDArray load(NDManager manager) {
        int n = files.size();
        float[] out = new float[n * channels * size * size];
        for (int i = 0; i < n; i++) {
            BufferedImage img = read(files.get(i));
            BufferedImage sq = resizeAndCrop(img, size, resize);
            int base = i * channels * size * size;
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    int rgb = sq.getRGB(x, y);
                    int r = (rgb >> 16) & 0xff;
                    int g = (rgb >> 8) & 0xff;
                    int b = rgb & 0xff;
                    if (channels == 1) {
                        double yv = 0.299 * r + 0.587 * g + 0.114 * b;
                        out[base + y * size + x] = (float) (yv / 127.5 - 1);
                    } else {
                        out[base + y * size + x] = r / 127.5f - 1f;
                        out[base + size * size + y * size + x] = g / 127.5f - 1f;
                        out[base + 2 * size * size + y * size + x] = b / 127.5f - 1f;
                    }
                }
            }
        }
        return HostArrays.of(manager, out, new Shape(n, channels, size, size));
    }

    private static BufferedImage read(Path file) {
        try {
            BufferedImage img = ImageIO.read(file.toFile());
            if (img == null) {
                throw new IllegalArgumentException("image file " + file.toAbsolutePath()
                        + " is not a readable PNG or JPEG");
            }
            return img;
        } catch (IOException e) {
            throw new IllegalArgumentException("image file " + file.toAbsolutePath() + " cannot be read: "
                    + e.getMessage(), e);
        }
    }

    /** Resizes so the shorter side is {@code size}, then centre-crops to {@code size x size}. */
    static BufferedImage resizeAndCrop(BufferedImage img, int size, Resize resize) {
        int w = img.getWidth();
        int h = img.getHeight();
        double scale = (double) size / Math.min(w, h);
        int nw = Math.max(size, (int) Math.round(w * scale));
        int nh = Math.max(size, (int) Math.round(h * scale));
        BufferedImage scaled = new BufferedImage(nw, nh, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scaled.createGraphics();
        try {
            if (resize == Resize.AREA) {
                java.awt.Image s = img.getScaledInstance(nw, nh, java.awt.Image.SCALE_AREA_AVERAGING);
                g.drawImage(s, 0, 0, null);
            } else {
                g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
                g.drawImage(img, 0, 0, nw, nh, null);
            }
        } finally {
            g.dispose();
        }
        int x0 = (nw - size) / 2;
        int y0 = (nh - size) / 2;
        return scaled.getSubimage(x0, y0, size, size);
    }
}
