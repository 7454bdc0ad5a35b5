package org.diffinv.experiments;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code kit solve}'s result file names stay within what a file system accepts, whatever the method list. */
class SolveCommandTest {

    @Test
    void aShortMethodListIsWrittenOut() {
        assertEquals("ddrm+dcdp-v2", SolveCommand.methodsPart(List.of("ddrm", "dcdp-v2")));
    }

    @Test
    void aLongMethodListGetsAShortDistinctName() {
        List<String> all = new ArrayList<>(org.diffinv.solvers.SolverRegistry.names());
        all.addAll(org.diffinv.solvers.LatentSolverRegistry.names());
        String part = SolveCommand.methodsPart(all);
        assertTrue(String.join("+", all).length() > SolveCommand.MAX_METHODS_IN_NAME, "the test needs a long list");
        assertTrue(part.length() < 60, part);
        assertTrue(part.startsWith(all.get(0) + "+" + (all.size() - 1) + "-more-"), part);
        List<String> other = new ArrayList<>(all);
        other.remove(other.size() - 1);
        assertNotEquals(part, SolveCommand.methodsPart(other), "another list, another name");
    }
}
