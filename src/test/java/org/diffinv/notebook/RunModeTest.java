package org.diffinv.notebook;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Parsing, precedence of override / property / environment, errors, and per-mode values. */
class RunModeTest {

    @AfterEach
    void reset() {
        RunMode.clearOverride();
    }

    @Test
    void parsesCaseInsensitivelyAndNamesTheAcceptedValues() {
        assertEquals(RunMode.SMOKE, RunMode.parse(" Smoke "));
        assertEquals(RunMode.FULL, RunMode.parse("FULL"));
        String msg = assertThrows(IllegalArgumentException.class, () -> RunMode.parse("fast")).getMessage();
        assertTrue(msg.contains("'fast'") && msg.contains("[smoke, quick, full]"), msg);
        assertThrows(IllegalArgumentException.class, () -> RunMode.parse(null));
    }

    @Test
    void overrideThenPropertyThenEnvironmentThenQuick() {
        Map<String, String> env = Map.of(RunMode.ENV, "full");
        assertEquals(RunMode.QUICK, RunMode.resolve(null, null, k -> null));
        assertEquals(RunMode.FULL, RunMode.resolve(null, null, env::get));
        assertEquals(RunMode.SMOKE, RunMode.resolve(null, "smoke", env::get));
        assertEquals(RunMode.QUICK, RunMode.resolve(RunMode.QUICK, "smoke", env::get));
        String msg = assertThrows(IllegalArgumentException.class,
                () -> RunMode.resolve(null, null, k -> "huge")).getMessage();
        assertTrue(msg.contains(RunMode.ENV) && msg.contains("huge"), msg);
        msg = assertThrows(IllegalArgumentException.class, () -> RunMode.resolve(null, "x", k -> null)).getMessage();
        assertTrue(msg.contains(RunMode.PROPERTY), msg);
    }

    @Test
    void setOverridesCurrentForTheJvm() {
        assertEquals(RunMode.SMOKE, RunMode.set("smoke"));
        assertEquals(RunMode.SMOKE, RunMode.current());
        RunMode.set(RunMode.FULL);
        assertEquals(RunMode.FULL, RunMode.current());
        assertThrows(IllegalArgumentException.class, () -> RunMode.set("medium"));
        assertEquals(RunMode.FULL, RunMode.current());
    }

    @Test
    void picksThePerModeValue() {
        int steps = RunMode.SMOKE.pick(20, 200, 1000);
        assertEquals(20, steps);
        assertEquals(200, (int) RunMode.QUICK.pick(20, 200, 1000));
        assertEquals("all", RunMode.FULL.pick("4", "64", "all"));
        assertThrows(IllegalArgumentException.class, () -> RunMode.FULL.pick(1, 2, null));
        assertEquals("quick", RunMode.QUICK.label());
    }
}
