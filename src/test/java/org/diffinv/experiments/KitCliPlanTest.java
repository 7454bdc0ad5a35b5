package org.diffinv.experiments;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code environment/kit plan}'s options: every bad one is refused, naming the value, before any network loads. */
class KitCliPlanTest {

    private static String refusal(String... args) {
        return assertThrows(IllegalArgumentException.class, () -> KitCli.plan(args)).getMessage();
    }

    @Test
    void badOptionsAreRefusedNamingTheValue() {
        assertTrue(refusal().contains("plan needs --tasks T1,T2"), refusal());
        assertTrue(refusal("--tasks", "sr4-bicubic", "--images", "0").contains("--images must be >= 1, got 0"));
        assertTrue(refusal("--tasks", "sr4-bicubic", "--images", "many").contains("--images takes an integer, got "
                + "'many'"));
        assertTrue(refusal("--tasks", "sr4-bicubic", "--steps", "5").contains("unknown option '--steps' for plan"));
        assertTrue(refusal("--tasks", "sr5").contains("sr5"), refusal("--tasks", "sr5"));
        assertTrue(refusal("--tasks").contains("--tasks needs a value"), refusal("--tasks"));
        assertTrue(refusal("--tasks", "sr4-bicubic", "--methods", "dps,dsp").contains("no method named 'dsp'"));
    }
}
