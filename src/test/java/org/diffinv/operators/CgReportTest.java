package org.diffinv.operators;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.apache.commons.math3.linear.RealMatrix;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.linalg.CgOptions;
import org.diffinv.linalg.CgResult;
import org.diffinv.linalg.Dense;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.diffinv.operators.TestSupport.randn;
import static org.diffinv.operators.TestSupport.relErr;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link LinearOperator#pinvResult} and {@link LinearOperator#proxL2Result} tell the caller whether CG
 * converged: a too-small budget on an ill-conditioned operator reports {@code converged = false}, enough
 * iterations report {@code converged = true}, and the SVD tier's closed forms report an exact solve.
 */
class CgReportTest {

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** The batch the solves run on (FLOAT64). */
    private static final Shape IN = new Shape(2, 1, 12, 12);

    /** A Gaussian blur seen only through the linear tier, so the CG defaults of {@link LinearOperator} run. */
    private static LinearOperator illConditioned() {
        return TestSupport.linearOnly(GaussianBlur.reflect(7, 1.0));
    }

    /** The condition number of {@code A^T A} of the operator on one image of {@link #IN}. */
    private double normalEquationConditionNumber(LinearOperator a) {
        RealMatrix m = Dense.matrix(a::apply, new Shape(1, 1, 12, 12), manager);
        double[] s = Dense.svd(m).getSingularValues();
        double ratio = s[0] / s[s.length - 1];
        return ratio * ratio;
    }

    @Test
    void pinvReportsNonConvergenceOfATooSmallBudgetAndConvergenceOfEnoughIterations() {
        LinearOperator a = illConditioned();
        double kappa = normalEquationConditionNumber(a);
        assertTrue(kappa > 1e3, "the test operator should be ill-conditioned, cond(A^T A) = " + kappa);
        NDArray x = randn(manager, IN, 1);
        NDArray y = a.apply(x);

        CgOptions tooFew = new CgOptions(3, 1e-10);
        CgResult cut = a.pinvResult(y, tooFew);
        assertFalse(cut.converged(), "3 iterations cannot reach 1e-10 at cond " + kappa + ": " + cut);
        assertEquals(3, cut.iterations());
        assertEquals(2, cut.relativeResiduals().length);
        assertTrue(cut.maxRelativeResidual() > 1e-10, cut.toString());
        assertEquals(IN, cut.solution().getShape());

        CgOptions enough = new CgOptions(2000, 1e-10);
        CgResult full = a.pinvResult(y, enough);
        assertTrue(full.converged(), "2000 iterations should reach 1e-10: " + full);
        assertTrue(full.iterations() > 3 && full.iterations() < 2000, full.toString());
        assertTrue(full.maxRelativeResidual() <= 1e-10, full.toString());

        // pinv delegates to pinvResult: same solution
        NDArray viaPinv = a.pinv(y, enough);
        assertTrue(relErr(viaPinv, full.solution()) < 1e-14, "pinv must return pinvResult's solution");
    }

    @Test
    void proxL2ReportsConvergence() {
        LinearOperator a = illConditioned();
        NDArray z = randn(manager, IN, 2);
        NDArray y = a.apply(randn(manager, IN, 3));
        // a large step makes (A^T A + I/gamma) nearly as ill-conditioned as A^T A
        double gamma = 1e4;
        CgResult cut = a.proxL2Result(z, y, gamma, new CgOptions(2, 1e-10));
        assertFalse(cut.converged(), cut.toString());
        assertEquals(2, cut.iterations());
        CgResult full = a.proxL2Result(z, y, gamma, new CgOptions(2000, 1e-10));
        assertTrue(full.converged(), full.toString());
        assertTrue(relErr(a.proxL2(z, y, gamma, new CgOptions(2000, 1e-10)), full.solution()) < 1e-14);
    }

    @Test
    void closedFormsReportAnExactSolve() {
        SvdOperator a = GaussianBlur.reflect(7, 1.0);
        NDArray x = randn(manager, IN, 4);
        NDArray y = a.apply(x);
        CgResult pinv = a.pinvResult(y, new CgOptions(1, 0.5));
        assertTrue(pinv.converged());
        assertEquals(0, pinv.iterations());
        assertArrayEquals(new double[] {0, 0}, pinv.relativeResiduals());
        assertTrue(relErr(pinv.solution(), a.pinv(y)) < 1e-14);
        CgResult prox = a.proxL2Result(x, y, 2.0, new CgOptions(1, 0.5));
        assertTrue(prox.converged());
        assertEquals(0, prox.iterations());
        assertTrue(relErr(prox.solution(), a.proxL2(x, y, 2.0, CgOptions.DEFAULT)) < 1e-14);
    }

    @Test
    void nullOptionsAreRefused() {
        LinearOperator a = TestSupport.linearOnly(new MotionBlur(MotionKernels.generate(3, 0.5, NoiseSource.seeded(1))));
        NDArray y = randn(manager, IN, 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> a.pinvResult(y, null));
        assertTrue(e.getMessage().contains("pinv needs CgOptions, got null"), e.getMessage());
    }
}
