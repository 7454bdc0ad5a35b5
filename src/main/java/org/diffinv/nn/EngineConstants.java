package org.diffinv.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;

/**
 * Constant arrays the network blocks need at every forward pass (the unit weight of a layer norm, the sinusoid
 * frequencies of the time embedding), made once per (name, data type, device) and kept for the life of the process
 * on a manager of their own, instead of once per call on the caller's scope (issue 14: each made array is an
 * engine call and an allocation). They never require gradients; blocks only read them.
 */
final class EngineConstants {
    private record Key(String name, DataType type, Device device) {
    }

    private static final ConcurrentHashMap<Key, NDArray> CACHE = new ConcurrentHashMap<>();
    private static final NDManager MANAGER = NDManager.newBaseManager();

    private EngineConstants() {
    }

    /**
     * The constant {@code name} of {@code like}'s data type and device, made by {@code make} (given the manager to
     * make it on, and the data type) the first time it is asked for. {@code name} must determine the content.
     */
    static NDArray get(String name, NDArray like, BiFunction<NDManager, DataType, NDArray> make) {
        Key key = new Key(name, like.getDataType(), like.getDevice());
        return CACHE.computeIfAbsent(key, k -> {
            NDManager m = MANAGER.newSubManager(k.device());
            NDArray a = make.apply(m, k.type());
            if (a.getDataType() != k.type()) {
                throw new IllegalStateException("constant " + name + " was made as " + a.getDataType() + ", not "
                        + k.type());
            }
            return a;
        });
    }

    /** A vector of {@code length} ones of {@code like}'s type and device. */
    static NDArray ones(long length, NDArray like) {
        return get("ones/" + length, like, (m, t) -> m.ones(new Shape(length), t));
    }

    /** A vector of {@code length} zeros of {@code like}'s type and device. */
    static NDArray zeros(long length, NDArray like) {
        return get("zeros/" + length, like, (m, t) -> m.zeros(new Shape(length), t));
    }
}
