package org.diffinv.solvers;

/**
 * The kinds of degradation the papers' reference configurations distinguish; a method's {@code paper(kind)}
 * hyperparameters are chosen by kind (the concrete tasks, with operator sizes and noise levels scaled to 32x32,
 * are in {@code org.diffinv.experiments.Tasks}).
 */
public enum TaskKind {
    /** Super-resolution (bicubic or average-pool down-sampling). */
    SUPER_RESOLUTION,
    /** Gaussian deblurring. */
    GAUSSIAN_DEBLUR,
    /** Motion deblurring. */
    MOTION_DEBLUR,
    /** Inpainting (box, random pixels or free-form masks). */
    INPAINTING,
    /** Nonlinear deblurring (a blur through a nonlinear camera response). */
    NONLINEAR_DEBLUR,
    /** Denoising ({@code A = I}). */
    DENOISING
}
