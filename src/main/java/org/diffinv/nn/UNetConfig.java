package org.diffinv.nn;

import java.util.Arrays;
import java.util.Locale;

/**
 * The hyper-parameters of a {@link UNet}, an immutable value (serialised as JSON beside checkpoints).
 *
 * @param inChannels input image channels {@code C_in}
 * @param outChannels output channels (eps has {@code C_in})
 * @param imageSize the side of the (square) input, a multiple of {@code 2^(levels-1)}
 * @param baseChannels channels at the first level
 * @param channelMults per-level channel multipliers of {@code baseChannels}; the number of levels
 * @param blocksPerLevel residual blocks per level on the way down (one more on the way up)
 * @param attentionResolutions the feature-map sides at which attention blocks are inserted (e.g. {8})
 * @param heads attention heads
 * @param groups group-norm groups (reduced to a divisor of the channel count where needed)
 * @param conditioning "none", "film" (mean-pooled context added to the time embedding) or "cross"
 *     (cross-attention on the context sequence at the attention resolutions)
 * @param contextDim the width {@code D_c} of the conditioning tensor {@code (N, L, D_c)}; 0 when unconditioned
 */
public record UNetConfig(int inChannels, int outChannels, int imageSize, int baseChannels, int[] channelMults,
                         int blocksPerLevel, int[] attentionResolutions, int heads, int groups,
                         String conditioning, int contextDim) {

    /** Validates the values. */
    public UNetConfig {
        if (inChannels < 1 || outChannels < 1 || baseChannels < 1 || blocksPerLevel < 1 || heads < 1
                || groups < 1) {
            throw new IllegalArgumentException("channels, blocksPerLevel, heads and groups must be >= 1: " + this);
        }
        if (channelMults == null || channelMults.length < 1) {
            throw new IllegalArgumentException("channelMults must have at least one level");
        }
        if (imageSize % (1 << (channelMults.length - 1)) != 0) {
            throw new IllegalArgumentException("imageSize " + imageSize + " must be divisible by 2^(levels-1) = "
                    + (1 << (channelMults.length - 1)));
        }
        if (attentionResolutions == null) {
            attentionResolutions = new int[0];
        }
        conditioning = conditioning == null ? "none" : conditioning.toLowerCase(Locale.ROOT);
        if (!conditioning.equals("none") && !conditioning.equals("film") && !conditioning.equals("cross")) {
            throw new IllegalArgumentException("conditioning must be none, film or cross, got " + conditioning);
        }
        if (!conditioning.equals("none") && contextDim < 1) {
            throw new IllegalArgumentException("conditioning " + conditioning + " needs contextDim >= 1");
        }
        if (conditioning.equals("cross") && attentionResolutions.length == 0) {
            throw new IllegalArgumentException("cross-attention conditioning needs an attention resolution");
        }
        channelMults = channelMults.clone();
        attentionResolutions = attentionResolutions.clone();
    }

    /** Whether the network takes a conditioning tensor. */
    public boolean conditioned() {
        return !conditioning.equals("none");
    }

    @Override
    public int[] channelMults() {
        return channelMults.clone();
    }

    @Override
    public int[] attentionResolutions() {
        return attentionResolutions.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UNetConfig c && c.inChannels == inChannels && c.outChannels == outChannels
                && c.imageSize == imageSize && c.baseChannels == baseChannels
                && Arrays.equals(c.channelMults, channelMults) && c.blocksPerLevel == blocksPerLevel
                && Arrays.equals(c.attentionResolutions, attentionResolutions) && c.heads == heads
                && c.groups == groups && c.conditioning.equals(conditioning) && c.contextDim == contextDim;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {inChannels, outChannels, imageSize, baseChannels,
                Arrays.hashCode(channelMults), blocksPerLevel, Arrays.hashCode(attentionResolutions), heads, groups,
                conditioning.hashCode(), contextDim});
    }

    @Override
    public String toString() {
        return "UNetConfig{in=" + inChannels + ", out=" + outChannels + ", size=" + imageSize + ", base="
                + baseChannels + ", mults=" + Arrays.toString(channelMults) + ", blocks=" + blocksPerLevel
                + ", attn=" + Arrays.toString(attentionResolutions) + ", heads=" + heads + ", groups=" + groups
                + ", cond=" + conditioning + ", contextDim=" + contextDim + "}";
    }
}
