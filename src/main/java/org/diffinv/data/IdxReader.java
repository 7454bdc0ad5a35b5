package org.diffinv.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * A reader for LeCun's IDX format (MNIST, Fashion-MNIST), plain or gzip-compressed.
 *
 * <p>An IDX file is a big-endian header {@code 0x00 0x00 type ndim}, then {@code ndim} 32-bit dimension sizes,
 * then the data. Only unsigned bytes (type {@code 0x08}) are supported, which is what the (Fashion-)MNIST files
 * hold: images have magic {@value #IMAGES_MAGIC} ({@code ndim = 3}: count, rows, columns), labels have magic
 * {@value #LABELS_MAGIC} ({@code ndim = 1}: count). A wrong magic number, a truncated body or a corrupt gzip
 * stream raises {@link IdxFormatException} naming the file.
 */
public final class IdxReader {

    /** Magic number of an unsigned-byte image file: {@code 0x00000803}. */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** Magic number of an unsigned-byte label file: {@code 0x00000801}. */
    public static final int LABELS_MAGIC = 0x00000801;

    private IdxReader() {
    }

    /** The contents of an IDX file: its dimension sizes and the raw unsigned bytes in row-major order. */
    public record IdxData(int[] dims, byte[] data) {
        /** The number of items (the first dimension). */
        public int count() {
            return dims[0];
        }
    }

    /** An IDX file that is not what it should be (wrong magic, truncated, corrupt compression). */
    public static final class IdxFormatException extends IOException {
        private static final long serialVersionUID = 1L;

        /** An exception with a message that names the file and the problem. */
        public IdxFormatException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Reads an image file (magic {@value #IMAGES_MAGIC}, dims {@code (count, rows, cols)}); gzip if the name
     * ends in {@code .gz}.
     */
    public static IdxData readImages(Path file) throws IOException {
        return read(file, IMAGES_MAGIC, 3);
    }

    /** Reads a label file (magic {@value #LABELS_MAGIC}, dims {@code (count)}); gzip if the name ends in {@code .gz}. */
    public static IdxData readLabels(Path file) throws IOException {
        return read(file, LABELS_MAGIC, 1);
    }

    private static IdxData read(Path file, int expectedMagic, int expectedDims) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IdxFormatException("IDX file " + file + " does not exist or is not a regular file", null);
        }
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = file.getFileName().toString().endsWith(".gz")
                     ? new GZIPInputStream(new BufferedInputStream(raw, 1 << 16), 1 << 16)
                     : new BufferedInputStream(raw, 1 << 16);
             DataInputStream data = new DataInputStream(in)) {
            int magic = data.readInt();
            if (magic != expectedMagic) {
                throw new IdxFormatException(String.format(
                        "IDX file %s has magic number 0x%08x, expected 0x%08x (%s file of unsigned bytes)",
                        file, magic, expectedMagic, expectedMagic == IMAGES_MAGIC ? "an image" : "a label"), null);
            }
            int[] dims = new int[expectedDims];
            long total = 1;
            for (int i = 0; i < expectedDims; i++) {
                dims[i] = data.readInt();
                if (dims[i] <= 0) {
                    throw new IdxFormatException("IDX file " + file + " has dimension " + i + " = " + dims[i]
                            + ", expected a positive size", null);
                }
                total *= dims[i];
            }
            if (total > Integer.MAX_VALUE - 16) {
                throw new IdxFormatException("IDX file " + file + " declares " + total + " bytes, too many", null);
            }
            byte[] body = new byte[(int) total];
            data.readFully(body);
            if (data.read() != -1) {
                throw new IdxFormatException("IDX file " + file + " has bytes after the declared " + total
                        + "-byte body (dims " + java.util.Arrays.toString(dims) + ")", null);
            }
            return new IdxData(dims, body);
        } catch (EOFException e) {
            throw new IdxFormatException("IDX file " + file + " is truncated: it ends before the size its header "
                    + "declares; delete it and reinstall the data (environment/kit setup)", e);
        } catch (ZipException e) {
            throw new IdxFormatException("IDX file " + file + " is not a valid gzip stream (" + e.getMessage()
                    + "); delete it and reinstall the data (environment/kit setup)", e);
        }
    }
}
