package org.diffinv.util;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Provokes the use-after-free that borrowed Java buffers allow: a garbage collection (whose cleaner frees every
 * unreachable direct buffer), then fresh direct buffers of the given sizes filled with a marker value, so that
 * memory a tensor still points into is likely to be reused and overwritten. Keep the result alive until the
 * reads under test are done.
 */
public final class NativeHeapChurn {

    private NativeHeapChurn() {
    }

    /**
     * Collects garbage, waits for the cleaner, and allocates {@code copies} direct buffers of each size in
     * {@code bytes}, every double in them set to {@code marker}.
     */
    public static List<ByteBuffer> churn(double marker, int copies, long... bytes) {
        System.gc();
        try {
            Thread.sleep(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<ByteBuffer> junk = new ArrayList<>();
        for (long size : bytes) {
            for (int i = 0; i < copies; i++) {
                ByteBuffer b = ByteBuffer.allocateDirect(Math.toIntExact(size)).order(ByteOrder.nativeOrder());
                for (int j = 0; j + 8 <= b.capacity(); j += 8) {
                    b.putDouble(j, marker);
                }
                junk.add(b);
            }
        }
        return junk;
    }
}
