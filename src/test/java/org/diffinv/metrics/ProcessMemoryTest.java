package org.diffinv.metrics;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The heap / non-heap split of resident memory attributes native tensors and Java arrays to the right side. */
class ProcessMemoryTest {

    @Test
    void nativeTensorsCountOutsideTheHeapAndJavaArraysInside() {
        Assumptions.assumeTrue(ProcessMemory.residentSplit().isPresent(), "Linux + HotSpot only");
        ProcessMemory.ResidentSplit s0 = ProcessMemory.residentSplit().orElseThrow();
        ProcessMemory.MemorySample status = ProcessMemory.sample();
        // smaps Rss summed over mappings and VmRSS count the same pages, sampled a few ms apart
        assertTrue(Math.abs(s0.totalRssMb() - status.rssMb()) < 20,
                "smaps total " + s0.totalRssMb() + " vs VmRSS " + status.rssMb());
        assertTrue(s0.javaHeapRssMb() > 0 && s0.nonHeapRssMb() > 0);

        try (NDManager m = NDManager.newBaseManager()) {
            NDArray big = m.ones(new Shape(64, 1024, 1024), DataType.FLOAT32); // 256 MiB, written
            ProcessMemory.ResidentSplit s1 = ProcessMemory.residentSplit().orElseThrow();
            double nativeGrowth = s1.nonHeapRssMb() - s0.nonHeapRssMb();
            assertTrue(nativeGrowth > 230, "256 MiB tensor added " + nativeGrowth + " MB outside the heap");
            big.close();
        }
        ProcessMemory.ResidentSplit s2 = ProcessMemory.residentSplit().orElseThrow();
        byte[][] java = new byte[40][];
        for (int i = 0; i < java.length; i++) {
            java[i] = new byte[4 << 20]; // 160 MiB of Java arrays in all, touched
            Arrays.fill(java[i], (byte) i);
        }
        ProcessMemory.ResidentSplit s3 = ProcessMemory.residentSplit().orElseThrow();
        double nonHeapGrowth = s3.nonHeapRssMb() - s2.nonHeapRssMb();
        // the live, written arrays are resident and inside the heap range (the heap may have been resident before)
        assertTrue(s3.javaHeapRssMb() > 150, "heap RSS " + s3.javaHeapRssMb() + " MB holds 160 MiB of live arrays");
        assertTrue(nonHeapGrowth < 30, "Java arrays moved non-heap RSS by " + nonHeapGrowth + " MB");
        assertTrue(java[39][0] == 39);
    }
}
