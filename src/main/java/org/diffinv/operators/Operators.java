package org.diffinv.operators;

/**
 * Tier checks for solvers: a solver that needs more than the forward tier asks for it here, and a wrong
 * tier fails at once with a message naming the operator, its tier and the tier the solver needs.
 *
 * <p>Example: {@code SvdOperator h = Operators.requireSvd(op, "DDRM");}
 */
public final class Operators {

    private Operators() {
    }

    /** The tier of an operator in words: "SVD", "linear" or "forward". */
    public static String tier(Operator op) {
        if (op instanceof SvdOperator) {
            return "SVD";
        }
        if (op instanceof LinearOperator) {
            return "linear";
        }
        return "forward";
    }

    /**
     * Returns {@code op} as a {@link LinearOperator}.
     *
     * @param op the operator
     * @param who the solver or method that needs the linear tier (for the message)
     * @throws IllegalArgumentException naming the operator and the needed tier when {@code op} is not linear
     */
    public static LinearOperator requireLinear(Operator op, String who) {
        if (op == null) {
            throw new IllegalArgumentException(who + " needs a linear operator (adjoint), got null");
        }
        if (op instanceof LinearOperator lin) {
            return lin;
        }
        throw new IllegalArgumentException(who + " needs a linear operator (tier 'linear': adjoint, pseudo-inverse), but '"
                + op.name() + "' (" + op.getClass().getSimpleName() + ") is only tier '" + tier(op) + "'");
    }

    /**
     * Returns {@code op} as an {@link SvdOperator}.
     *
     * @param op the operator
     * @param who the solver or method that needs the SVD tier (for the message)
     * @throws IllegalArgumentException naming the operator and the needed tier when {@code op} has no SVD
     */
    public static SvdOperator requireSvd(Operator op, String who) {
        if (op == null) {
            throw new IllegalArgumentException(who + " needs an SVD operator (U, S, V), got null");
        }
        if (op instanceof SvdOperator svd) {
            return svd;
        }
        throw new IllegalArgumentException(who + " needs an SVD-decomposable operator (tier 'SVD': U, S, V), but '"
                + op.name() + "' (" + op.getClass().getSimpleName() + ") is only tier '" + tier(op) + "'");
    }
}
