package org.diffinv.nn;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped checkpoints give the same outputs as before the network code was rewritten for speed (issue 14):
 * every output of {@link GoldenOutputs#compute} (pixel UNet, consistency UNet, latent UNet with a prompt, the
 * autoencoder's encoder and decoder) within 1e-5 of the reference file written by the earlier code.
 *
 * <p>The tolerance is absolute with a relative part for large values ({@code 1e-5 * max(1, |ref|)}): float32
 * kernels that sum in a different order (a fused group norm against separate ops) differ in the last bits. Both
 * network engines are held to it: the TorchScript module ({@link NetworkEngine#TORCHSCRIPT}, the default) and DJL's
 * blocks ({@link NetworkEngine#BLOCKS}).
 */
class ShippedWeightsOutputTest {

    @ParameterizedTest
    @EnumSource(NetworkEngine.class)
    void shippedNetworksGiveTheReferenceOutputs(NetworkEngine engine) throws Exception {
        Map<String, float[]> reference = GoldenOutputs.read();
        try (NDManager m = NDManager.newBaseManager(); NetworkEngine.Restore r = NetworkEngine.use(engine)) {
            Map<String, float[]> now = GoldenOutputs.compute(m);
            assertEquals(reference.keySet(), now.keySet(), "the set of reference outputs");
            for (Map.Entry<String, float[]> e : reference.entrySet()) {
                float[] ref = e.getValue();
                float[] got = now.get(e.getKey());
                assertEquals(ref.length, got.length, e.getKey() + ": length");
                double worst = 0;
                int at = -1;
                for (int i = 0; i < ref.length; i++) {
                    double err = Math.abs(got[i] - ref[i]) / Math.max(1.0, Math.abs(ref[i]));
                    if (!(err <= worst)) {
                        worst = err;
                        at = i;
                    }
                }
                double w = worst;
                int a = at;
                assertTrue(worst <= 1e-5, () -> engine + ", " + e.getKey() + ": largest error " + w + " at entry " + a
                        + " (reference " + ref[a] + ", now " + got[a] + "), bound 1e-5");
            }
        }
    }
}
