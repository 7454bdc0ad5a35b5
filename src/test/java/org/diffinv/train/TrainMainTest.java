package org.diffinv.train;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The training command's options: a missing value or an unknown option is named before anything runs. */
class TrainMainTest {

    private static String rejected(String... args) {
        return assertThrows(IllegalArgumentException.class, () -> TrainMain.main(args)).getMessage();
    }

    @Test
    void optionsWithoutTheirValueAreNamed() {
        assertEquals("--ddim needs a DDIM step count", rejected("pixel-unet", "--evaluate", "--ddim"));
        assertEquals("--samples needs a sample count", rejected("pixel-unet", "--samples"));
        assertEquals("--guidance needs a guidance scale", rejected("latent-unet", "--guidance"));
        assertEquals("--steps needs a number", rejected("pixel-unet", "--steps"));
        assertEquals("--warm-start needs the name of an exported checkpoint", rejected("pixel-unet-long",
                "--warm-start"));
    }

    @Test
    void anUnknownOptionIsNamedWithTheKnownOnes() {
        String message = rejected("pixel-unet", "--stepz", "10");
        assertTrue(message.startsWith("unknown option --stepz (expected --steps N"), message);
    }
}
