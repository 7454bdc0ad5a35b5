package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.operators.Checks;
import org.diffinv.operators.MeasurementNoise;
import org.diffinv.operators.Operator;
import org.diffinv.operators.SuperResolution;
import org.diffinv.operators.SvdOperator;
import org.diffinv.priors.EpsPrior;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Inside a solve the operators skip the value scan of their inputs (the method's own iterates), and nothing
 * non-finite goes unreported for it: a method whose iterate turns NaN is refused by name when it returns.
 */
class SolveChecksTest {

    /** A "method" whose iterate turns NaN half-way: A^T A applied to a NaN-filled image. */
    private static final class GoesNaN implements Solver<Operator> {
        boolean sawWithinSolve;

        @Override
        public String name() {
            return "goes-nan";
        }

        @Override
        public String citation() {
            return "a test";
        }

        @Override
        public Class<Operator> tier() {
            return Operator.class;
        }

        @Override
        public NDArray reconstruct(SolveContext<Operator> ctx) {
            sawWithinSolve = Checks.isWithinSolve();
            NDArray x = ctx.manager().full(ctx.xShape(), Float.NaN, ctx.dataType());
            return ctx.a().vjp(x, ctx.a().apply(x)); // would throw at apply outside a solve
        }
    }

    @Test
    void aMethodThatTurnsNaNIsRefusedByNameWhenItReturns() {
        try (NDManager m = NDManager.newBaseManager()) {
            SvdOperator a = SuperResolution.averagePool(2);
            NDArray x = NoiseSource.seeded(1).normal(m, new Shape(1, 1, 8, 8), DataType.FLOAT32);
            Problem<SvdOperator> p = Problem.measure(a, x, MeasurementNoise.NONE, NoiseSource.seeded(2));
            GoesNaN method = new GoesNaN();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> method.solve(p, EpsPrior.of(NoiseSchedule.ddpmLinear(), (xt, t) -> xt), Run.seeded(3)));
            assertTrue(method.sawWithinSolve);
            assertTrue(e.getMessage().contains("goes-nan") && e.getMessage().contains("diverged")
                    && e.getMessage().contains("64 NaN"), e.getMessage());
            assertFalse(Checks.isWithinSolve(), "the region ends with the solve, also when it throws");
        }
    }

    @Test
    void withinASolveOperatorsStillCheckShapesAndOutsideTheyScanValues() {
        try (NDManager m = NDManager.newBaseManager()) {
            SvdOperator a = SuperResolution.averagePool(2);
            NDArray nan = m.full(new Shape(1, 1, 8, 8), Float.NaN);
            IllegalArgumentException outside = assertThrows(IllegalArgumentException.class, () -> a.apply(nan));
            assertTrue(outside.getMessage().contains("NaN"), outside.getMessage());
            Shape inside = Checks.withinSolve(() -> a.apply(nan).getShape());
            assertEquals(new Shape(1, 1, 4, 4), inside);
            NDArray rank3 = m.zeros(new Shape(1, 8, 8));
            assertThrows(IllegalArgumentException.class, () -> Checks.withinSolve(() -> a.apply(rank3)));
            assertFalse(Checks.isWithinSolve());
            // nested regions and direct requireFinite calls (a solver's own divergence check) keep scanning
            Checks.withinSolve(() -> Checks.withinSolve(() -> {
                assertThrows(IllegalArgumentException.class, () -> Checks.requireFinite(nan, "test", "state"));
                return null;
            }));
            assertFalse(Checks.isWithinSolve());
        }
    }
}
