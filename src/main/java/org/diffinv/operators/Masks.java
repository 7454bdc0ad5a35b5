package org.diffinv.operators;

import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSource;

import java.util.Arrays;

/**
 * Seeded generators of inpainting {@link Mask}s (1 observed, 0 missing), all of shape {@code (B, 1, H, W)}
 * (shared by the channels). Every random choice is drawn from the given {@link NoiseSource}: the same seed
 * gives the same masks.
 *
 * <ul>
 *   <li>{@link #box}: a missing rectangle at a fixed position (DCDP) and {@link #randomBox} at a uniformly
 *       random position per image (DPS: 128x128 on 256x256 images, i.e. half the side; 16x16 at 32x32).</li>
 *   <li>{@link #randomPixels}: exactly {@code round(p H W)} observed pixels per image, chosen uniformly
 *       without replacement; {@link #randomPixelsUniformKeep} draws the keep ratio {@code p ~ U(lo, hi)} per
 *       image (DPS/DCDP: {@code U(0.3, 0.7)}).</li>
 *   <li>{@link #freeForm}: random brush strokes (Palette / P2L-style free-form masks, 10-20% holes).</li>
 * </ul>
 */
public final class Masks {

    private Masks() {
    }

    private static void requireSize(int batch, int height, int width) {
        Checks.requireAtLeast(batch, 1, "mask batch");
        Checks.requireAtLeast(height, 1, "mask height");
        Checks.requireAtLeast(width, 1, "mask width");
    }

    /**
     * One mask {@code (1, 1, H, W)} missing the box of {@code boxHeight x boxWidth} pixels whose top-left corner
     * is at ({@code top}, {@code left}).
     *
     * @throws IllegalArgumentException when the box does not fit in the image
     */
    public static Mask box(int height, int width, int boxHeight, int boxWidth, int top, int left) {
        requireSize(1, height, width);
        requireBox(height, width, boxHeight, boxWidth);
        if (top < 0 || left < 0 || top + boxHeight > height || left + boxWidth > width) {
            throw new IllegalArgumentException("box " + boxHeight + "x" + boxWidth + " at (" + top + ", " + left
                    + ") does not fit in a " + height + "x" + width + " image");
        }
        double[] v = new double[height * width];
        Arrays.fill(v, 1.0);
        fillBox(v, 0, width, top, left, boxHeight, boxWidth);
        return Mask.of(v, new Shape(1, 1, height, width));
    }

    /** One mask {@code (1, 1, H, W)} missing a centred box of {@code boxHeight x boxWidth} pixels. */
    public static Mask centeredBox(int height, int width, int boxHeight, int boxWidth) {
        requireBox(height, width, boxHeight, boxWidth);
        return box(height, width, boxHeight, boxWidth, (height - boxHeight) / 2, (width - boxWidth) / 2);
    }

    /**
     * Masks {@code (B, 1, H, W)} each missing a {@code boxHeight x boxWidth} box whose top-left corner is drawn
     * uniformly from the positions where the box fits, independently per image.
     */
    public static Mask randomBox(int batch, int height, int width, int boxHeight, int boxWidth, NoiseSource noise) {
        requireSize(batch, height, width);
        requireBox(height, width, boxHeight, boxWidth);
        double[] v = new double[batch * height * width];
        Arrays.fill(v, 1.0);
        for (int b = 0; b < batch; b++) {
            int top = noise.nextInt(height - boxHeight + 1);
            int left = noise.nextInt(width - boxWidth + 1);
            fillBox(v, b * height * width, width, top, left, boxHeight, boxWidth);
        }
        return Mask.of(v, new Shape(batch, 1, height, width));
    }

    private static void requireBox(int height, int width, int boxHeight, int boxWidth) {
        if (boxHeight < 1 || boxWidth < 1 || boxHeight > height || boxWidth > width) {
            throw new IllegalArgumentException("box size " + boxHeight + "x" + boxWidth + " must be at least 1x1 and fit in the "
                    + height + "x" + width + " image");
        }
    }

    private static void fillBox(double[] v, int offset, int width, int top, int left, int bh, int bw) {
        for (int i = top; i < top + bh; i++) {
            for (int j = left; j < left + bw; j++) {
                v[offset + i * width + j] = 0.0;
            }
        }
    }

    /**
     * Masks {@code (B, 1, H, W)} keeping exactly {@code round(keepRatio H W)} pixels per image, chosen uniformly
     * without replacement (partial Fisher-Yates shuffle).
     *
     * @param keepRatio the observed fraction {@code p} in [0, 1]
     */
    public static Mask randomPixels(int batch, int height, int width, double keepRatio, NoiseSource noise) {
        requireSize(batch, height, width);
        requireRatio(keepRatio, "keepRatio");
        double[] ratios = new double[batch];
        Arrays.fill(ratios, keepRatio);
        return randomPixels(batch, height, width, ratios, noise);
    }

    /**
     * Masks {@code (B, 1, H, W)} whose keep ratio is drawn per image as {@code p ~ U(lo, hi)} (DPS and DCDP use
     * {@code U(0.3, 0.7)}), then {@code round(p H W)} pixels kept uniformly without replacement.
     */
    public static Mask randomPixelsUniformKeep(int batch, int height, int width, double lo, double hi,
                                               NoiseSource noise) {
        requireSize(batch, height, width);
        requireRatio(lo, "lo");
        requireRatio(hi, "hi");
        if (lo > hi) {
            throw new IllegalArgumentException("keep-ratio range needs lo <= hi, got [" + lo + ", " + hi + "]");
        }
        double[] ratios = new double[batch];
        for (int b = 0; b < batch; b++) {
            ratios[b] = lo + (hi - lo) * noise.nextDouble();
        }
        return randomPixels(batch, height, width, ratios, noise);
    }

    private static Mask randomPixels(int batch, int height, int width, double[] keep, NoiseSource noise) {
        int hw = height * width;
        double[] v = new double[batch * hw];
        int[] idx = new int[hw];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < hw; i++) {
                idx[i] = i;
            }
            int kept = (int) Math.round(keep[b] * hw);
            for (int i = 0; i < kept; i++) {
                int j = i + noise.nextInt(hw - i);
                int t = idx[i];
                idx[i] = idx[j];
                idx[j] = t;
                v[b * hw + idx[i]] = 1.0;
            }
        }
        return Mask.of(v, new Shape(batch, 1, height, width));
    }

    private static void requireRatio(double r, String name) {
        if (!(r >= 0 && r <= 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1], got " + r);
        }
    }

    /**
     * Free-form masks {@code (B, 1, H, W)} of random brush strokes, in the spirit of the irregular masks of
     * DeepFill v2 / Palette that P2L uses (10-20% holes): per image a target hole ratio
     * {@code rho ~ U(minHole, maxHole)} is drawn, then strokes are painted until the hole ratio reaches
     * {@code rho}.
     *
     * <p>A stroke starts at a uniform point with a uniform direction and has 3-8 segments; each segment turns
     * by an angle uniform in {@code [-pi/2, pi/2]} and has a length uniform in {@code [0.1, 0.35] max(H, W)};
     * the brush is a disc of radius uniform in {@code [0.02, 0.07] max(H, W)} (at least 0.5 px). The segment
     * is painted stamp by stamp (spacing 0.5 px) and painting stops at the first stamp that reaches
     * {@code rho}; a stamp that would push the ratio above {@code maxHole} is replaced by painting only the nearest pixel,
     * so the final hole count is {@code max(ceil(minHole H W), min(ceil(rho H W), floor(maxHole H W)))} and the
     * ratio lies in {@code [minHole, maxHole]} (an image too small to hold such a count is rejected).
     *
     * @param minHole the smallest target hole ratio, in (0, 1)
     * @param maxHole the largest target hole ratio, in [minHole, 1)
     */
    public static Mask freeForm(int batch, int height, int width, double minHole, double maxHole, NoiseSource noise) {
        requireSize(batch, height, width);
        if (!(minHole > 0 && minHole <= maxHole && maxHole < 1)) {
            throw new IllegalArgumentException("free-form hole ratios need 0 < minHole <= maxHole < 1, got ["
                    + minHole + ", " + maxHole + "]");
        }
        int hw = height * width;
        double[] v = new double[batch * hw];
        Arrays.fill(v, 1.0);
        double side = Math.max(height, width);
        for (int b = 0; b < batch; b++) {
            double rho = minHole + (maxHole - minHole) * noise.nextDouble();
            long cap = (long) Math.floor(maxHole * hw);
            long floor = (long) Math.ceil(minHole * hw);
            if (floor > cap) {
                throw new IllegalArgumentException("a " + height + "x" + width + " image has no hole count between "
                        + minHole + " and " + maxHole + " of its " + hw + " pixels");
            }
            long target = Math.max(floor, Math.min((long) Math.ceil(rho * hw), cap));
            int[] holes = {0};
            int offset = b * hw;
            int strokes = 0;
            while (holes[0] < target) {
                if (++strokes > 10_000) {
                    throw new IllegalStateException("free-form mask did not reach hole ratio " + rho + " after 10000 strokes");
                }
                double y = noise.nextDouble() * height;
                double x = noise.nextDouble() * width;
                double angle = noise.nextDouble() * 2 * Math.PI;
                double radius = Math.max(0.5, side * (0.02 + 0.05 * noise.nextDouble()));
                int segments = 3 + noise.nextInt(6);
                for (int s = 0; s < segments && holes[0] < target; s++) {
                    angle += (noise.nextDouble() - 0.5) * Math.PI;
                    double length = side * (0.10 + 0.25 * noise.nextDouble());
                    double y1 = clamp(y + length * Math.sin(angle), 0, height - 1);
                    double x1 = clamp(x + length * Math.cos(angle), 0, width - 1);
                    int steps = Math.max(1, (int) Math.ceil(Math.hypot(y1 - y, x1 - x) / 0.5));
                    for (int k = 0; k <= steps && holes[0] < target; k++) {
                        double cy = y + (y1 - y) * k / steps;
                        double cx = x + (x1 - x) * k / steps;
                        int added = stamp(v, offset, height, width, cy, cx, radius, false);
                        if (holes[0] + added > cap) {
                            int nearest = offset + (int) Math.round(cy) * width + (int) Math.round(cx);
                            if (v[nearest] == 1.0) {
                                v[nearest] = 0.0;
                                holes[0]++;
                            }
                        } else {
                            holes[0] += stamp(v, offset, height, width, cy, cx, radius, true);
                        }
                    }
                    y = y1;
                    x = x1;
                }
            }
        }
        return Mask.of(v, new Shape(batch, 1, height, width));
    }

    /** Counts (and when {@code paint} clears) the observed pixels within {@code radius} of (cy, cx). */
    private static int stamp(double[] v, int offset, int height, int width, double cy, double cx, double radius,
                             boolean paint) {
        int count = 0;
        int i0 = Math.max(0, (int) Math.floor(cy - radius));
        int i1 = Math.min(height - 1, (int) Math.ceil(cy + radius));
        int j0 = Math.max(0, (int) Math.floor(cx - radius));
        int j1 = Math.min(width - 1, (int) Math.ceil(cx + radius));
        double r2 = radius * radius;
        for (int i = i0; i <= i1; i++) {
            for (int j = j0; j <= j1; j++) {
                double dy = i - cy;
                double dx = j - cx;
                if (dy * dy + dx * dx <= r2 && v[offset + i * width + j] == 1.0) {
                    count++;
                    if (paint) {
                        v[offset + i * width + j] = 0.0;
                    }
                }
            }
        }
        return count;
    }

    private static double clamp(double a, double lo, double hi) {
        return Math.max(lo, Math.min(hi, a));
    }
}
