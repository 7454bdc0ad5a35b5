package org.diffinv.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import org.diffinv.util.Scalars;

import java.util.ArrayList;
import java.util.List;

/**
 * An exponential moving average of model weights (Polyak averaging as used for diffusion models, Ho et al. 2020,
 * Appendix B): after each update {@code theta_ema = d theta_ema + (1 - d) theta}, with the warm-up
 * {@code d_k = min(decay, (1 + k) / (10 + k))} so early averages are not dominated by the initial weights.
 */
public final class Ema {
    private final List<Parameter> source;
    private final List<NDArray> shadow;
    private final double decay;

    /** An EMA of {@code source}'s current values with target decay {@code decay in [0, 1)}. */
    public Ema(NDManager manager, List<Parameter> source, double decay) {
        if (!(decay >= 0 && decay < 1)) {
            throw new IllegalArgumentException("EMA decay must be in [0, 1), got " + decay);
        }
        this.source = List.copyOf(source);
        this.decay = decay;
        this.shadow = new ArrayList<>();
        for (Parameter p : this.source) {
            NDArray copy = p.getArray().duplicate();
            copy.attach(manager);
            shadow.add(copy);
        }
    }

    /** The decay used after update {@code k} (1-based). */
    public double decayAt(long k) {
        return Math.min(decay, (1.0 + k) / (10.0 + k));
    }

    /** Folds the current source weights into the average (call after optimizer update {@code k}). */
    public void update(long k) {
        double d = decayAt(k);
        for (int i = 0; i < source.size(); i++) {
            NDArray w = source.get(i).getArray();
            try (NDManager s = w.getManager().newSubManager()) {
                NDArray inc = Scalars.mul(w, 1 - d);
                inc.attach(s);
                shadow.get(i).muli(d).addi(inc);
            }
        }
    }

    /** The averaged arrays, in source-parameter order (live views: copy before changing). */
    public List<NDArray> values() {
        return shadow;
    }

    /** Overwrites the averaged arrays (e.g. from a checkpoint); shapes must match. */
    public void restore(List<NDArray> values) {
        if (values.size() != shadow.size()) {
            throw new IllegalArgumentException("EMA state has " + values.size() + " arrays, expected "
                    + shadow.size());
        }
        for (int i = 0; i < shadow.size(); i++) {
            if (!values.get(i).getShape().equals(shadow.get(i).getShape())) {
                throw new IllegalArgumentException("EMA array " + i + " has shape " + values.get(i).getShape()
                        + ", expected " + shadow.get(i).getShape());
            }
            shadow.get(i).set(values.get(i).toFloatArray());
        }
    }

    /** Copies the averaged weights into {@code target}'s parameters (same architecture, same order). */
    public void copyInto(List<Parameter> target) {
        if (target.size() != shadow.size()) {
            throw new IllegalArgumentException("target has " + target.size() + " parameters, EMA has "
                    + shadow.size());
        }
        for (int i = 0; i < shadow.size(); i++) {
            target.get(i).getArray().set(shadow.get(i).toFloatArray());
        }
    }
}
