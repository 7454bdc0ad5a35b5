package org.diffinv.notebook;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tensor-to-image conversion (exact 8-bit values, orientation), upscaling, grids with labels, PNG round trip. */
class ImagesTest {
    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void greyValuesMapExactlyAndKeepOrientation() {
        // (1, 2, 3): row 0 = -1, 0, 1; row 1 = 0.5, 2 (clipped), -3 (clipped)
        NDArray x = manager.create(new float[] {-1, 0, 1, 0.5f, 2, -3}, new Shape(1, 2, 3));
        BufferedImage im = Images.toImage(x);
        assertEquals(BufferedImage.TYPE_BYTE_GRAY, im.getType());
        assertEquals(3, im.getWidth());
        assertEquals(2, im.getHeight());
        int[] expected = {0, 128, 255, 191, 255, 0}; // round(255 * (v + 1) / 2): 127.5 -> 128, 191.25 -> 191
        for (int y = 0; y < 2; y++) {
            for (int x0 = 0; x0 < 3; x0++) {
                assertEquals(expected[y * 3 + x0], im.getRaster().getSample(x0, y, 0), "pixel " + x0 + "," + y);
            }
        }
    }

    @Test
    void rgbChannelsGoToTheirBands() {
        // (1, 3, 1, 2) in float64: pixel (0,0) = (1, -1, 0), pixel (1,0) = (-1, 1, 1)
        NDArray x = manager.create(new double[] {1, -1, -1, 1, 0, 1}, new Shape(1, 3, 1, 2));
        BufferedImage im = Images.toImage(x);
        assertEquals(BufferedImage.TYPE_INT_RGB, im.getType());
        assertEquals(0xFF0080, im.getRGB(0, 0) & 0xFFFFFF);
        assertEquals(0x00FFFF, im.getRGB(1, 0) & 0xFFFFFF);
    }

    @Test
    void batchesAndBadInput() {
        assertEquals(4, Images.toImages(manager.zeros(new Shape(4, 1, 5, 5))).size());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Images.toImage(manager.zeros(new Shape(5, 5)))).getMessage().contains("(5, 5)"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Images.toImage(manager.zeros(new Shape(2, 4, 4)))).getMessage().contains("2 channels"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Images.toImage(manager.zeros(new Shape(3, 1, 4, 4)))).getMessage().contains("batch"));
        NDArray nan = manager.zeros(new Shape(2, 1, 2, 2)).toType(DataType.FLOAT32, false);
        nan.set(new ai.djl.ndarray.index.NDIndex("1, 0, 1, 0"), Float.NaN);
        String msg = assertThrows(IllegalArgumentException.class, () -> Images.toImages(nan)).getMessage();
        assertTrue(msg.contains("image 1") && msg.contains("NaN") && msg.contains("y=1, x=0"), msg);
        assertThrows(IllegalArgumentException.class,
                () -> Images.toImage(manager.zeros(new Shape(1, 2, 2), DataType.INT32)));
    }

    @Test
    void nearestUpscalingMakesBlocks() {
        BufferedImage im = Images.toImage(manager.create(new float[] {-1, 1, 1, -1}, new Shape(1, 2, 2)));
        BufferedImage big = Images.upscale(im, 3);
        assertEquals(6, big.getWidth());
        assertEquals(BufferedImage.TYPE_BYTE_GRAY, big.getType());
        assertEquals(0, big.getRaster().getSample(2, 2, 0));
        assertEquals(255, big.getRaster().getSample(3, 2, 0));
        assertEquals(0, big.getRaster().getSample(5, 5, 0));
        assertThrows(IllegalArgumentException.class, () -> Images.upscale(im, 0));
    }

    @Test
    void plainGridLaysOutRowsAndPadding() {
        // 5 images 4x4 with values -1 + 0.5 i, 2 columns, scale 2: cells 8x8, padding 2
        float[] d = new float[5 * 16];
        for (int i = 0; i < 5; i++) {
            for (int k = 0; k < 16; k++) {
                d[i * 16 + k] = -1 + 0.5f * i;
            }
        }
        BufferedImage g = Images.grid(manager.create(d, new Shape(5, 1, 4, 4)), 2, 2);
        assertEquals(2 + 2 * (8 + 2), g.getWidth());
        assertEquals(2 + 3 * (8 + 2), g.getHeight());
        assertEquals(0xFFFFFF, g.getRGB(0, 0) & 0xFFFFFF); // padding is white
        assertEquals(0x000000, g.getRGB(2, 2) & 0xFFFFFF); // image 0 = -1
        int v1 = Images.toByte(-0.5);
        assertEquals((v1 << 16) | (v1 << 8) | v1, g.getRGB(12 + 7, 2 + 7) & 0xFFFFFF); // image 1, last pixel
        int v4 = Images.toByte(1.0);
        assertEquals((v4 << 16) | (v4 << 8) | v4, g.getRGB(2, 22) & 0xFFFFFF); // image 4, row 2
        assertEquals(0xFFFFFF, g.getRGB(12, 22) & 0xFFFFFF); // no image 5
    }

    @Test
    void labelledGridFitsSmallImagesIntoTheCell() {
        NDArray truth = manager.zeros(new Shape(2, 1, 32, 32)).sub(1);   // black
        NDArray measurement = manager.ones(new Shape(2, 1, 8, 8));      // white, 8x8
        BufferedImage plain = ImageGrid.builder().addRow(null, truth).addRow(null, measurement).optScale(3).build();
        assertEquals(2 + 2 * (96 + 2), plain.getWidth());
        assertEquals(2 + 2 * (96 + 2), plain.getHeight());
        // the 8x8 image is upscaled by 96 / 8 = 12 and fills the whole cell of row 1
        assertEquals(0xFFFFFF, plain.getRGB(2, 2 + 98) & 0xFFFFFF);
        assertEquals(0x000000, plain.getRGB(2 + 95, 2 + 95) & 0xFFFFFF);

        BufferedImage labelled = ImageGrid.builder().addRow("truth", truth).addRow("y", measurement)
                .optColumnLabels("a", "b").optScale(3).build();
        assertTrue(labelled.getWidth() > plain.getWidth() && labelled.getHeight() > plain.getHeight());
        int dark = 0;
        int left = labelled.getWidth() - plain.getWidth();
        for (int y = 0; y < labelled.getHeight(); y++) {
            for (int x = 0; x < left; x++) {
                if ((labelled.getRGB(x, y) & 0xFF) < 128) {
                    dark++;
                }
            }
        }
        assertTrue(dark > 5, "row labels drew " + dark + " dark pixels");
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.builder().build());
        assertThrows(IllegalArgumentException.class,
                () -> ImageGrid.builder().addRow("x", truth).optColumnLabels("a", "b", "c").build());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ImageGrid.builder().addRow("bad", manager.zeros(new Shape(1, 2, 4, 4)))).getMessage()
                .contains("'bad'"));
    }

    @Test
    void pngRoundTripIsExact(@TempDir Path dir) throws IOException {
        BufferedImage im = Images.toImage(manager.create(new float[] {-1, -0.5f, 0.25f, 1}, new Shape(1, 2, 2)));
        Path f = Images.savePng(im, dir.resolve("sub/x.png"));
        BufferedImage back = ImageIO.read(f.toFile());
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 2; x++) {
                assertEquals(im.getRaster().getSample(x, y, 0), back.getRaster().getSample(x, y, 0));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Images.savePng(im, dir.resolve("x.jpg")));
        List<BufferedImage> none = List.of();
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.builder().addRow("x", none));
    }
}
