/**
 * Image-quality metrics and cost accounting of the kit.
 *
 * <ul>
 *   <li>{@link org.diffinv.metrics.Psnr} and {@link org.diffinv.metrics.Ssim}: per-image PSNR (data range 1) and
 *       SSIM (Wang et al. 2004, 11x11 Gaussian window, sigma 1.5, valid filtering) of batches {@code (N, C, H, W)}
 *       in [-1, 1], both after the mapping {@code u = clip((x + 1) / 2, 0, 1)}; computed in FLOAT64.</li>
 *   <li>{@link org.diffinv.metrics.MeanStd}: mean ± sample std of per-image values, as papers' tables print.</li>
 *   <li>{@link org.diffinv.metrics.CostMeter} and {@link org.diffinv.metrics.Cost}: NFE, network VJPs, operator
 *       applications, wall time and peak resident memory of a run, with counting decorators for priors and
 *       operators that keep the operator tier; {@link org.diffinv.metrics.ProcessMemory} samples RSS and counts
 *       live NDArrays.</li>
 * </ul>
 * Metric methods return plain Java arrays and free their temporaries before returning.
 */
package org.diffinv.metrics;
