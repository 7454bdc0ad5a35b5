package org.diffinv.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.diffinv.priors.ConsistencyModel;
import org.diffinv.priors.KlAutoencoderModel;
import org.diffinv.priors.LatentEpsPrior;
import org.diffinv.priors.UNetEpsPrior;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The outputs of every shipped network on fixed, formula-made inputs, and the file that holds them as computed by
 * the kit before its network code was rewritten for speed (issue 14). {@link ShippedWeightsOutputTest} compares
 * today's outputs with that file; {@link #main} wrote it (run it only on purpose, from the code whose outputs are
 * the reference, with the tests' settings: one torch thread, {@code MKL_CBWR=AUTO,STRICT}; at two threads the
 * consistency UNet at t = 990 already differs by 3e-5 from a one-thread run).
 */
final class GoldenOutputs {
    static final String RESOURCE = "/golden/shipped-network-outputs.bin";
    static final int[] TIMES = {10, 500, 990};

    private GoldenOutputs() {
    }

    /** A smooth deterministic input in [-1, 1] of the given shape: no random generator involved. */
    static NDArray input(NDManager m, long n, long c, long h, long w, double phase) {
        float[] v = new float[(int) (n * c * h * w)];
        int k = 0;
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < c; b++) {
                for (int i = 0; i < h; i++) {
                    for (int j = 0; j < w; j++) {
                        v[k++] = (float) Math.sin(0.37 * i + 0.23 * j + 1.7 * a + 0.9 * b + phase)
                                * (float) Math.cos(0.11 * i * j / (double) w + phase);
                    }
                }
            }
        }
        return m.create(v, new Shape(n, c, h, w));
    }

    /** Every output, by name, computed now with the shipped checkpoints. */
    static Map<String, float[]> compute(NDManager m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        UNetEpsPrior pixel = UNetEpsPrior.load(m);
        ConsistencyModel cm = ConsistencyModel.load(m);
        LatentEpsPrior latent = LatentEpsPrior.load(m);
        KlAutoencoderModel ae = KlAutoencoderModel.load(m);
        for (int t : TIMES) {
            try (NDManager s = m.newSubManager()) {
                NDArray x = input(s, 2, 1, 32, 32, 0.1 * t);
                out.put("pixel-unet eps t=" + t, pixel.eps(x, t).toFloatArray());
                // the network F itself: x0 = c_skip x + c_out F divides by sqrt(alphaBar_t) ~ 0.006 at t = 990, so one
                // float ulp of F is already 3e-5 in x0 (seen between one- and two-thread runs of the same code)
                out.put("consistency-unet F t=" + t, cm.network().eps(x, t).toFloatArray());
                Shape zs = ae.latentShape();
                NDArray z = input(s, 2, zs.get(0), zs.get(1), zs.get(2), 0.2 * t);
                NDArray c = latent.promptEmbedding(s, "a shirt", "");
                out.put("latent-unet eps t=" + t, latent.eps(z, t, c).toFloatArray());
            }
        }
        try (NDManager s = m.newSubManager()) {
            NDArray x = input(s, 2, 1, 32, 32, 0.5);
            out.put("autoencoder encode", ae.encode(x).toFloatArray());
            Shape zs = ae.latentShape();
            out.put("autoencoder decode", ae.decode(input(s, 2, zs.get(0), zs.get(1), zs.get(2), 0.3))
                    .toFloatArray());
        }
        return out;
    }

    static Map<String, float[]> read() throws IOException {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (InputStream in = GoldenOutputs.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IOException("missing test resource " + RESOURCE);
            }
            DataInputStream d = new DataInputStream(in);
            int count = d.readInt();
            for (int i = 0; i < count; i++) {
                String name = d.readUTF();
                float[] v = new float[d.readInt()];
                for (int k = 0; k < v.length; k++) {
                    v[k] = d.readFloat();
                }
                out.put(name, v);
            }
        }
        return out;
    }

    /** Writes the reference file: {@code main(src/test/resources/golden/shipped-network-outputs.bin)}. */
    public static void main(String[] args) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, float[]> all = compute(m);
            try (DataOutputStream d = new DataOutputStream(Files.newOutputStream(Path.of(args[0])))) {
                d.writeInt(all.size());
                for (Map.Entry<String, float[]> e : all.entrySet()) {
                    d.writeUTF(e.getKey());
                    d.writeInt(e.getValue().length);
                    for (float f : e.getValue()) {
                        d.writeFloat(f);
                    }
                }
            }
            System.out.println("wrote " + all.size() + " outputs to " + args[0]);
        }
    }
}
