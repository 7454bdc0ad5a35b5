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
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.JMException;
import javax.management.ObjectName;

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

    /**
     * Resident memory split into the Java heap and everything else, from {@code /proc/self/smaps}.
     *
     * @param totalRssMb the summed {@code Rss} of all mappings, MB
     * @param javaHeapRssMb the {@code Rss} of the mappings inside the Java heap's reserved address range, MB
     */
    public record ResidentSplit(double totalRssMb, double javaHeapRssMb) {
        /**
         * Resident memory outside the Java heap, MB: native tensors (PyTorch's allocator and DJL's direct buffers),
         * JVM metaspace, code cache, thread stacks and libraries. Unlike VmRSS it does not move when the garbage
         * collector touches or releases heap pages, so it is the quantity to watch for native leaks.
         */
        public double nonHeapRssMb() {
            return totalRssMb - javaHeapRssMb;
        }
    }

    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path SMAPS = Path.of("/proc/self/smaps");
    private static final Pattern HEAP_RANGE = Pattern.compile("\\[(0x[0-9a-fA-F]+),\\s*(0x[0-9a-fA-F]+)\\)");
    private static final Pattern MAPPING = Pattern.compile("^([0-9a-f]+)-([0-9a-f]+)\\s");
    private static volatile long[] heapRange;

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
     * Resident memory split into Java heap and the rest ({@link ResidentSplit#nonHeapRssMb()}), or empty where it
     * cannot be measured: no {@code /proc/self/smaps} (not Linux), or a JVM without HotSpot's
     * {@code DiagnosticCommand} MBean (which reports the heap's address range). Reads the whole smaps file: a few
     * milliseconds, meant for checkpoints rather than every step.
     */
    public static Optional<ResidentSplit> residentSplit() {
        long[] range = heapRange();
        if (range == null || !Files.isReadable(SMAPS)) {
            return Optional.empty();
        }
        try {
            long totalKb = 0;
            long heapKb = 0;
            boolean inHeap = false;
            for (String line : Files.readAllLines(SMAPS)) {
                Matcher m = MAPPING.matcher(line);
                if (m.find()) {
                    long start = Long.parseUnsignedLong(m.group(1), 16);
                    long end = Long.parseUnsignedLong(m.group(2), 16);
                    inHeap = start >= range[0] && end <= range[1];
                } else if (line.startsWith("Rss:")) {
                    long kb = Long.parseLong(line.substring(4).trim().split("\\s+")[0]);
                    totalKb += kb;
                    if (inHeap) {
                        heapKb += kb;
                    }
                }
            }
            return Optional.of(new ResidentSplit(totalKb / 1024.0, heapKb / 1024.0));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The Java heap's reserved address range {@code [start, end)} from {@code gcHeapInfo}, or null. */
    private static long[] heapRange() {
        long[] r = heapRange;
        if (r != null) {
            return r;
        }
        try {
            Object info = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcHeapInfo",
                    new Object[] {null}, new String[] {String[].class.getName()});
            Matcher m = HEAP_RANGE.matcher(String.valueOf(info));
            if (!m.find()) {
                return null;
            }
            r = new long[] {Long.parseUnsignedLong(m.group(1).substring(2), 16),
                Long.parseUnsignedLong(m.group(2).substring(2), 16)};
            heapRange = r;
            return r;
        } catch (JMException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Two forced garbage collections with a 50 ms pause each, before a memory reading: the kit's noise is drawn on the
     * Java side and reaches the engine through direct buffers that only a GC frees, so without this a reading moves
     * with the GC's timing.
     */
    public static void settle() {
        for (int i = 0; i < 2; i++) {
            System.gc();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
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
