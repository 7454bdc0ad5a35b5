package org.diffinv.data;

import org.diffinv.diffusion.NoiseSource;

/**
 * A seeded, resumable source of shuffled mini-batch indices over {@code n} items.
 *
 * <p>Epoch {@code e} visits the items in the order of a Fisher-Yates permutation driven by
 * {@code NoiseSource.seeded(seed).fork(e)}; an epoch has {@code floor(n / batchSize)} batches (the remainder is
 * dropped). The batch of global step {@code s} is determined by {@code (seed, s)} alone, so a resumed training
 * run that asks for step {@code s} gets exactly the batch the uninterrupted run would have seen.
 */
public final class ShuffledBatches {
    private final int n;
    private final int batchSize;
    private final long seed;
    private long cachedEpoch = -1;
    private int[] permutation;

    /** Batches of {@code batchSize} indices in {@code [0, n)}, shuffled per epoch from {@code seed}. */
    public ShuffledBatches(int n, int batchSize, long seed) {
        if (batchSize < 1 || batchSize > n) {
            throw new IllegalArgumentException("batch size " + batchSize + " must be in [1, n = " + n + "]");
        }
        this.n = n;
        this.batchSize = batchSize;
        this.seed = seed;
    }

    /** Batches per epoch, {@code floor(n / batchSize)}. */
    public int batchesPerEpoch() {
        return n / batchSize;
    }

    /** The indices of the batch at global step {@code step >= 0}. */
    public int[] batch(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + step);
        }
        long epoch = step / batchesPerEpoch();
        int within = (int) (step % batchesPerEpoch());
        if (epoch != cachedEpoch) {
            permutation = permutation(epoch);
            cachedEpoch = epoch;
        }
        int[] out = new int[batchSize];
        System.arraycopy(permutation, within * batchSize, out, 0, batchSize);
        return out;
    }

    private int[] permutation(long epoch) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        NoiseSource rng = NoiseSource.seeded(seed).fork(epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
