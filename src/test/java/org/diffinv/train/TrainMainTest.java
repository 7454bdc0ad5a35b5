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
    void seedListsAreCheckedAndNeedMeasure() {
        org.junit.jupiter.api.Assertions.assertArrayEquals(new long[] {7, 11, 13}, TrainMain.seeds("7, 11,13"));
        assertEquals("--seeds expects comma-separated integers, got 'x' in '7,x'",
                rejected("pixel-unet", "--measure", "--seeds", "7,x"));
        assertEquals("--seeds lists seed 7 twice in '7,11,7'",
                rejected("pixel-unet", "--measure", "--seeds", "7,11,7"));
        assertEquals("--seeds needs --measure (the card is always measured at seed 2024)",
                rejected("pixel-unet", "--evaluate", "--seeds", "7"));
        assertTrue(rejected("pixel-unet", "--evaluate", "--measure").contains("give one of them"));
    }

    @Test
    void anUnknownOptionIsNamedWithTheKnownOnes() {
        String message = rejected("pixel-unet", "--stepz", "10");
        assertTrue(message.startsWith("unknown option --stepz (expected --steps N"), message);
    }
}
