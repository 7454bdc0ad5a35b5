package org.diffinv.nn;

import org.diffinv.data.FashionMnist;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Saving and loading a trained network as two files: {@code NAME.params} (DJL's own parameter format,
 * {@link Block#saveParameters}) and the sidecar {@code NAME.json} (the architecture config, training facts and
 * the SHA-256 of the parameter file).
 *
 * <p>Loading checks the hash before reading the parameters, so a missing, truncated or corrupted file is reported
 * with its name rather than as a cryptic engine error.
 */
public final class ModelFiles {

    /** The kit's JSON writer (pretty-printed). */
    public static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    private ModelFiles() {
    }

    /** A checkpoint file that is missing, truncated, corrupt or does not match its sidecar. */
    public static final class CheckpointException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        /** An exception whose message names the file and the problem. */
        public CheckpointException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** {@code dir/NAME.params}. */
    public static Path paramsFile(Path dir, String name) {
        return dir.resolve(name + ".params");
    }

    /** {@code dir/NAME.json}. */
    public static Path sidecarFile(Path dir, String name) {
        return dir.resolve(name + ".json");
    }

    /**
     * Writes {@code block}'s parameters to {@code dir/NAME.params} and {@code meta} plus {@code "sha256"} and
     * {@code "paramsBytes"} to {@code dir/NAME.json} (both written to a temporary file first, then moved).
     *
     * @return the SHA-256 of the parameter file
     */
    public static String save(Block block, Path dir, String name, JsonObject meta) {
        try {
            Files.createDirectories(dir);
            Path params = paramsFile(dir, name);
            Path tmp = dir.resolve(name + ".params.tmp");
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
                block.saveParameters(out);
            }
            Files.move(tmp, params, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            String sha = sha256(params);
            JsonObject m = meta.deepCopy();
            m.addProperty("name", name);
            m.addProperty("paramsFile", params.getFileName().toString());
            m.addProperty("paramsBytes", Files.size(params));
            m.addProperty("sha256", sha);
            Path side = sidecarFile(dir, name);
            Path tmpSide = dir.resolve(name + ".json.tmp");
            Files.writeString(tmpSide, GSON.toJson(m) + "\n");
            Files.move(tmpSide, side, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return sha;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save checkpoint " + name + " into " + dir, e);
        }
    }

    /**
     * Reads the sidecar {@code dir/NAME.json}.
     *
     * @throws CheckpointException naming the file if it is missing or not valid JSON
     */
    public static JsonObject readSidecar(Path dir, String name) {
        Path side = sidecarFile(dir, name);
        if (!Files.isRegularFile(side)) {
            throw new CheckpointException("checkpoint sidecar " + side.toAbsolutePath() + " is missing (expected "
                    + "NAME.json beside NAME.params; train it with `environment/kit train " + name + "`)", null);
        }
        try {
            return JsonParser.parseString(Files.readString(side)).getAsJsonObject();
        } catch (IOException | JsonParseException | IllegalStateException e) {
            throw new CheckpointException("checkpoint sidecar " + side.toAbsolutePath() + " is not valid JSON: "
                    + e.getMessage(), e);
        }
    }

    /**
     * Loads {@code dir/NAME.params} into {@code block} (already built with the sidecar's config and initialised)
     * after checking the file's SHA-256 against {@code expectedSha256}.
     *
     * @throws CheckpointException naming the file if it is missing, its hash differs, or DJL cannot read it
     */
    public static void load(Block block, NDManager manager, Path dir, String name, String expectedSha256) {
        Path params = paramsFile(dir, name);
        if (!Files.isRegularFile(params)) {
            throw new CheckpointException("checkpoint file " + params.toAbsolutePath() + " is missing", null);
        }
        String actual = sha256(params);
        if (expectedSha256 != null && !expectedSha256.equalsIgnoreCase(actual)) {
            long size;
            try {
                size = Files.size(params);
            } catch (IOException e) {
                size = -1;
            }
            throw new CheckpointException("checkpoint file " + params.toAbsolutePath() + " (" + size
                    + " bytes) has SHA-256 " + actual + ", expected " + expectedSha256
                    + ": it is truncated or corrupted; restore it (git checkout) or retrain", null);
        }
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(params)))) {
            block.loadParameters(manager, in);
        } catch (IOException | MalformedModelException | RuntimeException e) {
            throw new CheckpointException("checkpoint file " + params.toAbsolutePath()
                    + " cannot be read as the parameters of this architecture: " + e.getMessage(), e);
        }
    }

    /** The SHA-256 of a file as lower-case hex (the one implementation is {@link FashionMnist#sha256}). */
    public static String sha256(Path file) {
        return FashionMnist.sha256(file);
    }
}
