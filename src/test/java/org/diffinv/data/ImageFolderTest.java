package org.diffinv.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tests of the image-folder loader. */
class ImageFolderTest {

    @Test
    void loadsResizesCropsAndMapsToMinusOneOne(@TempDir Path dir) throws IOException {
        // 40x20 image: left half black, right half white; after resize to 16 high (32 wide) and centre crop 16x16
        // the left 8 columns are black (-1) and the right 8 white (+1), away from the bilinear seam.
        BufferedImage img = new BufferedImage(40, 20, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 20; y++) {
            for (int x = 20; x < 40; x++) {
                img.setRGB(x, y, 0xffffff);
            }
        }
        ImageIO.write(img, "png", dir.resolve("a.png").toFile());
        BufferedImage red = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                red.setRGB(x, y, 0xff0000);
            }
        }
        ImageIO.write(red, "png", dir.resolve("b.png").toFile());
        Files.writeString(dir.resolve("notes.txt"), "ignored");
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray grey = ImageFolder.of(dir, 16, 1, ImageFolder.Resize.BILINEAR).load(m);
            assertEquals(new Shape(2, 1, 16, 16), grey.getShape());
            float[] g = grey.toFloatArray();
            assertEquals(-1f, g[5 * 16 + 2], 1e-6f);
            assertEquals(1f, g[5 * 16 + 13], 1e-6f);
            // pure red in grey: 0.299 * 255 / 127.5 - 1
            assertEquals(0.299 * 2 - 1, g[256 + 3 * 16 + 3], 1e-2);
            NDArray rgb = ImageFolder.of(dir, 16, 3, ImageFolder.Resize.AREA).load(m);
            assertEquals(new Shape(2, 3, 16, 16), rgb.getShape());
            float[] c = rgb.toFloatArray();
            int second = 3 * 256;
            assertEquals(1f, c[second + 5 * 16 + 5], 1e-6f);
            assertEquals(-1f, c[second + 256 + 5 * 16 + 5], 1e-6f);
        }
    }

    @Test
    void badFolderAndFilesGiveClearErrors(@TempDir Path dir) throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImageFolder.of(dir, 16, 1, ImageFolder.Resize.AREA));
        assertTrue(e.getMessage().contains("no .png"), e.getMessage());
        Files.writeString(dir.resolve("broken.png"), "not an image");
        try (NDManager m = NDManager.newBaseManager()) {
            e = assertThrows(IllegalArgumentException.class,
                    () -> ImageFolder.of(dir, 16, 1, ImageFolder.Resize.AREA).load(m));
            assertTrue(e.getMessage().contains("broken.png"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> ImageFolder.of(dir, 16, 2, ImageFolder.Resize.AREA));
    }
}
