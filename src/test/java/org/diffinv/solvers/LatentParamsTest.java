package org.diffinv.solvers;

import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.TimeGrid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The latent DPS family's hyperparameter checks name the bad value; the defaults are the reference's. */
class LatentParamsTest {

    private static void rejects(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + e.getMessage() + "' names " + f);
        }
    }

    @Test
    void badHyperparametersAreRejectedByName() {
        NoiseSchedule s = NoiseSchedule.ddpmLinear();
        TimeGrid grid = LatentParams.grid(s);
        assertDoesNotThrow(() -> LatentParams.check("PSLD", grid, 0, 0.1, 2));
        assertDoesNotThrow(() -> LatentParams.check("PSLD", grid, 1, 0, 1));
        rejects(() -> LatentParams.check("PSLD", null, 0, 0.1, 2), "PSLD", "time grid");
        rejects(() -> LatentParams.check("LDPS", grid, 1.5, 0.1, 2), "LDPS", "eta", "1.5");
        rejects(() -> LatentParams.check("LDPS", grid, -0.1, 0.1, 2), "eta", "-0.1");
        rejects(() -> LatentParams.check("LDPS", grid, 0, Double.NaN, 2), "omega", "NaN");
        rejects(() -> LatentParams.check("LDPS", grid, 0, Double.POSITIVE_INFINITY, 2), "omega", "Infinity");
        rejects(() -> LatentParams.check("LDPS", grid, 0, -1, 2), "omega", "-1");
        rejects(() -> LatentParams.check("GML-DPS", grid, 0, 0.1, 0), "GML-DPS", "p", "0");
        rejects(() -> LatentParams.checkGamma("PSLD", -0.5), "PSLD", "gamma", "-0.5");
        rejects(() -> LatentParams.checkGamma("PSLD", Double.NaN), "gamma", "NaN");
        assertDoesNotThrow(() -> LatentParams.checkGamma("PSLD", 0));
    }

    @Test
    void defaultsAreTheReferenceCodes() {
        NoiseSchedule s = NoiseSchedule.ddpmLinear();
        assertEquals(s.steps(), LatentParams.grid(s).size(), "1000 DDIM steps, every index");
        assertEquals(0.9, LatentParams.omega(TaskKind.SUPER_RESOLUTION), 0.0);
        assertEquals(0.1, LatentParams.omega(TaskKind.INPAINTING), 0.0);
        assertEquals(0.1, LatentParams.gamma(TaskKind.SUPER_RESOLUTION), 0.0);
        assertEquals(0.3, LatentParams.omegaAt200Steps(TaskKind.SUPER_RESOLUTION), 0.0);
        assertEquals(1.0, LatentParams.omegaAt200Steps(TaskKind.GAUSSIAN_DEBLUR), 0.0);
    }
}
