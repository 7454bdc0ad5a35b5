package org.diffinv.operators;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The composition {@code A = A_k o ... o A_2 o A_1} of operators applied in list order (first {@code A_1}).
 *
 * <p>Forward tier for any parts: {@code A(x) = A_k(...A_1(x))}; the vector-Jacobian product is the chain
 * rule run backwards, {@code J^T v = J_1^T(x_0) ... J_k^T(x_{k-1}) v} with {@code x_i = A_i(x_{i-1})}, using
 * each part's own {@code vjp} (no nested autograd). When every part is linear, {@link #of(Operator...)}
 * returns a {@link Linear} composition whose adjoint is {@code A^T = A_1^T ... A_k^T} (reverse order), with
 * the CG pseudo-inverse and prox of the linear tier. A composition is never SVD tier (the product of two
 * SVDs is not an SVD).
 */
public class Composed implements Operator {

    private final List<Operator> parts;

    Composed(List<? extends Operator> parts) {
        if (parts == null || parts.isEmpty()) {
            throw new IllegalArgumentException("a composition needs at least one operator, got none");
        }
        List<Operator> flat = new ArrayList<>();
        for (Operator p : parts) {
            if (p == null) {
                throw new IllegalArgumentException("a composition part is null in " + parts);
            }
            if (p instanceof Composed c) {
                flat.addAll(c.parts);
            } else {
                flat.add(p);
            }
        }
        this.parts = List.copyOf(flat);
    }

    /**
     * The composition applying {@code ops} in order (first {@code ops[0]}); a {@link Linear} composition when
     * every part is linear.
     */
    public static Operator of(Operator... ops) {
        List<Operator> list = Arrays.asList(ops);
        boolean allLinear = list.stream().allMatch(o -> o instanceof LinearOperator);
        return allLinear ? new Linear(list) : new Composed(list);
    }

    /** The linear composition applying {@code ops} in order (first {@code ops[0]}). */
    public static LinearOperator of(LinearOperator... ops) {
        return new Linear(Arrays.asList(ops));
    }

    /** The parts in application order. */
    public List<Operator> parts() {
        return parts;
    }

    @Override
    public String name() {
        return parts.stream().map(Operator::name).collect(Collectors.joining(" -> ", "compose(", ")"));
    }

    @Override
    public Shape outputShape(Shape inputShape) {
        Shape s = inputShape;
        for (Operator p : parts) {
            s = p.outputShape(s);
        }
        return s;
    }

    @Override
    public NDArray apply(NDArray x) {
        outputShape(x.getShape());
        NDArray cur = x;
        for (Operator p : parts) {
            NDArray next = p.apply(cur);
            if (cur != x) {
                cur.close();
            }
            cur = next;
        }
        return cur;
    }

    @Override
    public NDArray vjp(NDArray x, NDArray v) {
        Checks.requireVjpArguments(this, x, v);
        NDArray[] inputs = new NDArray[parts.size()];
        inputs[0] = x;
        for (int i = 1; i < parts.size(); i++) {
            inputs[i] = parts.get(i - 1).apply(inputs[i - 1]);
        }
        NDArray g = v;
        for (int i = parts.size() - 1; i >= 0; i--) {
            NDArray next = parts.get(i).vjp(inputs[i], g);
            if (g != v) {
                g.close();
            }
            g = next;
        }
        for (int i = 1; i < inputs.length; i++) {
            inputs[i].close();
        }
        return g;
    }

    @Override
    public String toString() {
        return name();
    }

    /** A composition of linear operators: linear tier, adjoint in reverse order. */
    public static final class Linear extends Composed implements LinearOperator {

        Linear(List<? extends Operator> parts) {
            super(parts);
            for (Operator p : parts()) {
                if (!(p instanceof LinearOperator)) {
                    throw new IllegalArgumentException("a linear composition needs linear parts, but '" + p.name()
                            + "' is tier '" + Operators.tier(p) + "'");
                }
            }
        }

        @Override
        public NDArray adjoint(NDArray y) {
            List<Operator> ps = parts();
            NDArray cur = y;
            for (int i = ps.size() - 1; i >= 0; i--) {
                NDArray next = ((LinearOperator) ps.get(i)).adjoint(cur);
                if (cur != y) {
                    cur.close();
                }
                cur = next;
            }
            return cur;
        }

        /** The adjoint {@code A^T v}, after the argument checks of {@link LinearOperator#vjp}. */
        @Override
        public NDArray vjp(NDArray x, NDArray v) {
            return LinearOperator.super.vjp(x, v);
        }
    }
}
