package org.diffinv.experiments;

import org.diffinv.diffusion.NoiseSource;
import org.diffinv.operators.GaussianBlur;
import org.diffinv.operators.Inpainting;
import org.diffinv.operators.Masks;
import org.diffinv.operators.MeasurementNoise;
import org.diffinv.operators.MotionBlur;
import org.diffinv.operators.MotionKernels;
import org.diffinv.operators.NonlinearBlur;
import org.diffinv.operators.SuperResolution;
import org.diffinv.solvers.TaskKind;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The registry of the papers' degradations scaled to 32x32 grey images. Every task carries DPS's noise convention,
 * {@code sigma = 0.05} in the [-1, 1] working range ({@code sigma_y = 0.025} in [0, 1] units), unless it says
 * otherwise; {@link Task#withNoise} gives other levels. Sizes scale with the image side (256 -> 32, a factor 8);
 * blur widths are the exception, as each note says.
 */
public final class Tasks {

    /** DPS's default measurement noise, sigma = 0.05 in the working range. */
    public static final MeasurementNoise DEFAULT_NOISE = MeasurementNoise.ofWorkingRange(0.05);

    /** The seed of every random mask and kernel of the registry. */
    public static final long SEED = 20240601L;

    private static final Map<String, Task> TASKS = new LinkedHashMap<>();

    static {
        add(new Task("sr4-bicubic", TaskKind.SUPER_RESOLUTION, n -> SuperResolution.bicubic(4), DEFAULT_NOISE,
                "SR x4 with MATLAB bicubic anti-aliasing as in DPS/PSLD/DCDP (256 -> 64 there, 32 -> 8 here)"));
        add(new Task("sr4-avgpool", TaskKind.SUPER_RESOLUTION, n -> SuperResolution.averagePool(4), DEFAULT_NOISE,
                "SR x4 by 4x4 average pooling as in DDRM/PiGDM/C-PiGDM (32 -> 8 here)"));
        add(new Task("gaussian-deblur", TaskKind.GAUSSIAN_DEBLUR, n -> GaussianBlur.ddrm(9, 1.0), DEFAULT_NOISE,
                "papers 61x61, sigma 3.0 at 256 px; here 9x9, sigma 1.0 (the literal 1/8 scaling, 0.375 px, barely "
                        + "blurs); DDRM's zero-padded SVD with 1-D singular values < 3e-2 zeroed"));
        add(new Task("motion-deblur", TaskKind.MOTION_DEBLUR,
                n -> new MotionBlur(MotionKernels.generate(9, 0.5, NoiseSource.seeded(SEED))), DEFAULT_NOISE,
                "papers 61x61 kernels of intensity 0.5 at 256 px; here one seeded 9x9 kernel of intensity 0.5"));
        add(new Task("inpaint-box", TaskKind.INPAINTING,
                n -> new Inpainting(Masks.centeredBox(32, 32, 16, 16)), DEFAULT_NOISE,
                "papers' 128x128 box at 256 px; here a centred 16x16 box (half the side)"));
        add(new Task("inpaint-random", TaskKind.INPAINTING,
                n -> new Inpainting(Masks.randomPixelsUniformKeep(n, 32, 32, 0.3, 0.7, NoiseSource.seeded(SEED))),
                DEFAULT_NOISE, "random pixels kept with probability p ~ U(0.3, 0.7) per image, as in DPS/PSLD"));
        add(new Task("inpaint-freeform", TaskKind.INPAINTING,
                n -> new Inpainting(Masks.freeForm(n, 32, 32, 0.1, 0.2, NoiseSource.seeded(SEED))), DEFAULT_NOISE,
                "P2L's free-form masks covering 10-20% of the image"));
        add(new Task("nonlinear-deblur", TaskKind.NONLINEAR_DEBLUR,
                n -> new NonlinearBlur(GaussianBlur.reflect(9, 1.0)), DEFAULT_NOISE,
                "stands in for DCDP's learned GOPRO blur: a 9x9 sigma-1.0 blur in irradiance through the camera "
                        + "response f(v) = (1 - e^{-3v}) / (1 - e^{-3})"));
    }

    private Tasks() {
    }

    private static void add(Task t) {
        TASKS.put(t.name(), t);
    }

    /** Every task, in registration order. */
    public static List<Task> all() {
        return List.copyOf(TASKS.values());
    }

    /** The task names. */
    public static List<String> names() {
        return List.copyOf(TASKS.keySet());
    }

    /**
     * The task {@code name}.
     *
     * @throws IllegalArgumentException naming the known tasks when there is none of that name
     */
    public static Task get(String name) {
        Task t = TASKS.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no task named '" + name + "'; known tasks: " + names());
        }
        return t;
    }
}
