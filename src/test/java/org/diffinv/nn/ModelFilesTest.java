package org.diffinv.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonObject;
import org.diffinv.diffusion.NoiseSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checkpoint save / load round trip and the errors for missing, truncated and corrupted files. */
class ModelFilesTest {

    @Test
    void roundTripRestoresTheExactOutput(@TempDir Path dir) {
        try (NDManager m = NDManager.newBaseManager()) {
            UNetConfig cfg = NetworkBlocksTest.tiny("none", 0);
            UNet a = NetworkBlocksTest.build(cfg, m, 1);
            JsonObject meta = new JsonObject();
            meta.add("unet", ModelFiles.GSON.toJsonTree(cfg));
            String sha = ModelFiles.save(a, dir, "tiny", meta);
            JsonObject side = ModelFiles.readSidecar(dir, "tiny");
            assertEquals(sha, side.get("sha256").getAsString());
            UNetConfig back = ModelFiles.GSON.fromJson(side.get("unet"), UNetConfig.class);
            assertEquals(cfg, back);
            UNet b = NetworkBlocksTest.build(back, m, 2); // different init, then overwritten
            ModelFiles.load(b, m, dir, "tiny", sha);
            ParameterStore ps = new ParameterStore(m, false);
            NDArray x = NoiseSource.seeded(3).normal(m, new Shape(1, 1, 16, 16), DataType.FLOAT32);
            NDArray t = m.create(new float[] {123});
            float[] ya = a.forward(ps, new NDList(x, t), false).singletonOrThrow().toFloatArray();
            float[] yb = b.forward(ps, new NDList(x, t), false).singletonOrThrow().toFloatArray();
            assertTrue(Arrays.equals(ya, yb), "loaded weights reproduce the output bit for bit");
        }
    }

    @Test
    void missingTruncatedAndCorruptedFilesAreNamed(@TempDir Path dir) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            UNetConfig cfg = NetworkBlocksTest.tiny("none", 0);
            UNet a = NetworkBlocksTest.build(cfg, m, 1);
            String sha = ModelFiles.save(a, dir, "tiny", new JsonObject());
            Path params = ModelFiles.paramsFile(dir, "tiny");
            byte[] bytes = Files.readAllBytes(params);

            Files.write(params, Arrays.copyOf(bytes, bytes.length / 2));
            ModelFiles.CheckpointException e = assertThrows(ModelFiles.CheckpointException.class,
                    () -> ModelFiles.load(NetworkBlocksTest.build(cfg, m, 1), m, dir, "tiny", sha));
            assertTrue(e.getMessage().contains(params.toAbsolutePath().toString())
                    && e.getMessage().contains("truncated or corrupted"), e.getMessage());

            byte[] flipped = bytes.clone();
            flipped[bytes.length - 10] ^= 1;
            Files.write(params, flipped);
            e = assertThrows(ModelFiles.CheckpointException.class,
                    () -> ModelFiles.load(NetworkBlocksTest.build(cfg, m, 1), m, dir, "tiny", sha));
            assertTrue(e.getMessage().contains(sha), e.getMessage());

            // a truncated file with no hash to check still fails with the file named, not an engine crash
            Files.write(params, Arrays.copyOf(bytes, bytes.length / 2));
            e = assertThrows(ModelFiles.CheckpointException.class,
                    () -> ModelFiles.load(NetworkBlocksTest.build(cfg, m, 1), m, dir, "tiny", null));
            assertTrue(e.getMessage().contains(params.toAbsolutePath().toString()), e.getMessage());

            Files.delete(params);
            e = assertThrows(ModelFiles.CheckpointException.class,
                    () -> ModelFiles.load(NetworkBlocksTest.build(cfg, m, 1), m, dir, "tiny", sha));
            assertTrue(e.getMessage().contains("missing"), e.getMessage());
            e = assertThrows(ModelFiles.CheckpointException.class, () -> ModelFiles.readSidecar(dir, "nope"));
            assertTrue(e.getMessage().contains("nope.json"), e.getMessage());
        }
    }
}
