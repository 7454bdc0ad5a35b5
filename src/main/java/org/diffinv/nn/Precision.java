package org.diffinv.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;

import java.util.List;

/**
 * Running a network in the dtype of its input: DJL's {@code toType} does not record gradients, so instead of
 * casting a FLOAT64 input down to the FLOAT32 weights (which would cut the VJP), the priors keep a FLOAT64 twin of
 * the network whose weights are the FLOAT32 weights widened exactly.
 */
public final class Precision {

    private Precision() {
    }

    /**
     * Copies every parameter value of {@code source} into {@code target} (same architecture, same parameter order,
     * target already initialised in its own dtype), converting the dtype.
     */
    public static void copyParameters(Block source, Block target) {
        List<Pair<String, Parameter>> s = source.getParameters().stream().toList();
        List<Pair<String, Parameter>> t = target.getParameters().stream().toList();
        if (s.size() != t.size()) {
            throw new IllegalArgumentException("source has " + s.size() + " parameters, target " + t.size());
        }
        for (int i = 0; i < s.size(); i++) {
            NDArray from = s.get(i).getValue().getArray();
            NDArray to = t.get(i).getValue().getArray();
            if (!from.getShape().equals(to.getShape())) {
                throw new IllegalArgumentException("parameter " + s.get(i).getKey() + " has shape " + from.getShape()
                        + " in the source and " + to.getShape() + " in the target");
            }
            if (to.getDataType() == DataType.FLOAT64) {
                to.set(from.toType(DataType.FLOAT64, false).toDoubleArray());
            } else {
                to.set(from.toType(DataType.FLOAT32, false).toFloatArray());
            }
        }
    }
}
