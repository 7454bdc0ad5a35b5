package org.diffinv.operators;

/**
 * Super-resolution forward models by an integer factor {@code k}: {@code (N, C, H, W) -> (N, C, H/k, W/k)}, both
 * SVD tier through {@link SeparableOperator} (per channel {@code X -> R X R'^T} with 1-D matrices of each axis).
 *
 * <ul>
 *   <li>{@link #averagePool(int)}: {@code k x k} block mean (DDRM, PiGDM, C-PiGDM, P2L "SR from average
 *       pooling"). Normalisation: {@code R} has entries {@code 1/k} on each block, so every 1-D singular value is
 *       {@code 1/sqrt(k)} and the 2-D operator has one singular value {@code 1/k} per block (pixel-solvers spec
 *       section 4). Then {@code A^+ y} is the nearest-neighbour upsampling of {@code y}, {@code P x} the block mean
 *       replicated, and {@code (A^+)^T x} the block sum.</li>
 *   <li>{@link #bicubic(int)}: MATLAB-style antialiased bicubic downsampling ({@code imresize(x, 1/k)}, Keys
 *       cubic {@code a = -0.5}, kernel stretched by {@code k}, symmetric reflection), as DPS, DCDP and PSLD use
 *       for SR x4; weights from {@link Kernels#bicubicMatrix(int, int)}. The 1-D matrices have full row rank, so
 *       the SVD is exact (no truncation) and the closed-form {@code A^+} is well conditioned.</li>
 * </ul>
 * The image size must be divisible by {@code k}; otherwise the operator fails naming the size and the factor.
 */
public final class SuperResolution {

    private SuperResolution() {
    }

    /** Average pooling by {@code k} (SVD tier, singular value {@code 1/k} per block). */
    public static SeparableOperator averagePool(int k) {
        Checks.requireAtLeast(k, 1, "SR factor k");
        return new SeparableOperator("sr-avgpool(k=" + k + ")",
                (h, w) -> new SeparableOperator.Factors(Kernels.averagePoolMatrix(h, k), Kernels.averagePoolMatrix(w, k)),
                k, 0.0);
    }

    /** MATLAB-style antialiased bicubic downsampling by {@code k} (SVD tier). */
    public static SeparableOperator bicubic(int k) {
        Checks.requireAtLeast(k, 1, "SR factor k");
        return new SeparableOperator("sr-bicubic(k=" + k + ")",
                (h, w) -> new SeparableOperator.Factors(Kernels.bicubicMatrix(h, k), Kernels.bicubicMatrix(w, k)),
                k, 0.0);
    }
}
