/**
 * Measurement operators {@code y = A(x) + n} in three tiers, after DeepInverse's physics: {@link
 * org.diffinv.operators.Operator} (forward and vector-Jacobian product; DPS, PSLD, P2L, Flash-Diffusion, DCDP),
 * {@link org.diffinv.operators.LinearOperator} (adjoint, CG pseudo-inverse and proximal map; defaults use the
 * kit's one {@link org.diffinv.linalg.ConjugateGradient} with per-call {@link org.diffinv.linalg.CgOptions},
 * and {@code pinvResult} / {@code proxL2Result} also return its {@link org.diffinv.linalg.CgResult}, so a
 * caller learns whether CG converged) and {@link org.diffinv.operators.SvdOperator}
 * ({@code A = U S V^T}: closed-form pseudo-inverse, prox and projector; DDRM, PiGDM, C-PiGDM).
 *
 * <p>Operators: {@link org.diffinv.operators.Denoising} (identity), {@link org.diffinv.operators.Inpainting}
 * with {@link org.diffinv.operators.Masks} (box, random pixels, free-form strokes), {@link
 * org.diffinv.operators.SuperResolution} (average pooling, antialiased bicubic), {@link
 * org.diffinv.operators.GaussianBlur} (reflect, and DDRM's zero-padded truncated SVD form), {@link
 * org.diffinv.operators.MotionBlur} with {@link org.diffinv.operators.MotionKernels} and {@link
 * org.diffinv.operators.BlurKernel} (generated or loaded kernels), {@link org.diffinv.operators.NonlinearBlur}
 * (camera response around a blur), {@link org.diffinv.operators.Composed} compositions, and Gaussian
 * measurement noise ({@link org.diffinv.operators.MeasurementNoise}, {@link
 * org.diffinv.operators.Measurement}). Separable operators share {@link org.diffinv.operators.SeparableOperator}
 * ({@code X -> R X C^T} per channel with the padding folded into dense 1-D matrices, SVD by Kronecker products).
 * A solver asks for the tier it needs with {@link org.diffinv.operators.Operators#requireLinear} or
 * {@link org.diffinv.operators.Operators#requireSvd}.
 *
 * <p>Conventions: images are {@code (N, C, H, W)} in [-1, 1], any batch and channel count; operators are
 * immutable and thread-safe (size-dependent matrices are cached per image size in concurrent maps); every
 * method works in the dtype of its input (FLOAT32 in solvers, FLOAT64 in the property tests); bad input
 * (rank, channels, sizes, NaN/Inf, dtype, tier, the shape of a vector-Jacobian product's {@code v}) raises
 * {@link java.lang.IllegalArgumentException} naming the bad value and the expectation, through the shared
 * {@link org.diffinv.operators.Checks} (whose {@code requireFinite} priors and solvers use too); randomness (masks, kernels, noise) comes only from an explicit {@link
 * org.diffinv.diffusion.NoiseSource}.
 */
package org.diffinv.operators;
