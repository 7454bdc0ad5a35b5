package org.diffinv.metrics;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDManager;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Samples the memory of this process, including the native memory of DJL/PyTorch tensors.
 *
 * <p><b>Linux</b> (source {@link Source#PROC_STATUS}): reads {@code /proc/self/status}: {@code VmRSS} (resident set
 * size now) and {@code VmHWM} (peak resident set size since the process started). RSS counts native tensor memory,
 * the Java heap actually touched, code and libraries.
 *
 * <p><b>Elsewhere</b> (source {@link Source#JVM_ONLY}, e.g. macOS, Windows): there is no portable way to read RSS
 * from Java, so the sample is the JVM's committed memory: heap + non-heap + direct and mapped buffer pools (in
 * MB). It does <em>not</em> see PyTorch's native allocations, so memory-growth checks are meaningful only for
 * {@link Source#PROC_STATUS}; the peak then equals the current value. {@link MemorySample#source()} always says
 * which was used.
 */
public final class ProcessMemory {

    /** Where a sample came from. */
    public enum Source {
        /** {@code /proc/self/status} VmRSS / VmHWM: true resident memory, native tensors included. */
        PROC_STATUS,
        /** JVM committed memory only (heap, non-heap, buffer pools): excludes native tensor memory. */
        JVM_ONLY
    }

    /**
     * One memory sample in MB (2^20 bytes).
     *
     * @param rssMb resident set size now (or JVM committed memory for {@link Source#JVM_ONLY})
     * @param hwmMb peak resident set size of the process so far ({@code VmHWM}); equals {@code rssMb} for
     *     {@link Source#JVM_ONLY}
     * @param source where the numbers came from
     */
    public record MemorySample(double rssMb, double hwmMb, Source source) {
    }

    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcessMemory() {
    }

    /** Takes one sample (about 20-50 microseconds on Linux). */
    public static MemorySample sample() {
        if (Files.isReadable(STATUS)) {
            try {
                List<String> lines = Files.readAllLines(STATUS);
                double rss = -1;
                double hwm = -1;
                for (String line : lines) {
                    if (line.startsWith("VmRSS:")) {
                        rss = kbToMb(line);
                    } else if (line.startsWith("VmHWM:")) {
                        hwm = kbToMb(line);
                    }
                }
                if (rss >= 0 && hwm >= 0) {
                    return new MemorySample(rss, hwm, Source.PROC_STATUS);
                }
            } catch (IOException | RuntimeException e) {
                // fall through to the JVM-only sample, which says so in its source
            }
        }
        double jvm = jvmCommittedMb();
        return new MemorySample(jvm, jvm, Source.JVM_ONLY);
    }

    /** Resident set size now in MB ({@link #sample()}{@code .rssMb()}). */
    public static double rssMb() {
        return sample().rssMb();
    }

    /**
     * The number of live (not closed) NDArrays owned by {@code manager} and, recursively, by its open sub-managers,
     * via DJL's {@link BaseNDManager#getManagedArrays()}.
     *
     * @throws IllegalArgumentException if the manager is not a {@link BaseNDManager} (every DJL engine's manager is)
     *     or is closed
     */
    public static int liveArrays(NDManager manager) {
        if (!(manager instanceof BaseNDManager)) {
            throw new IllegalArgumentException("cannot count arrays of manager type "
                    + (manager == null ? "null" : manager.getClass().getName()) + "; expected a DJL BaseNDManager");
        }
        if (!manager.isOpen()) {
            throw new IllegalArgumentException("manager " + manager.getName() + " is closed");
        }
        int live = 0;
        for (var a : ((BaseNDManager) manager).getManagedArrays()) {
            if (!a.isReleased()) {
                live++;
            }
        }
        return live;
    }

    private static double kbToMb(String line) {
        String[] parts = line.trim().split("\\s+");
        // "VmRSS:    123456 kB"
        return Long.parseLong(parts[1]) / 1024.0;
    }

    private static double jvmCommittedMb() {
        MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
        long bytes = mx.getHeapMemoryUsage().getCommitted() + mx.getNonHeapMemoryUsage().getCommitted();
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            bytes += Math.max(0, pool.getMemoryUsed());
        }
        return bytes / (1024.0 * 1024.0);
    }
}
