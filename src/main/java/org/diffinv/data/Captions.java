package org.diffinv.data;

import org.diffinv.diffusion.NoiseSource;

import java.util.List;

/**
 * The captions the kit's prompt-conditioned latent prior is trained on, built from the Fashion-MNIST class names
 * and quality words: "a photo of a sneaker", "a high quality photo of a bag", "a picture of an ankle boot",
 * "sneaker", the class-free "a high quality photo", and the null prompt "" (prompt dropout, for
 * classifier-free use and for P2L / PSLD's null conditioning).
 */
public final class Captions {

    /** The caption noun phrase of each class, index = label. */
    public static final List<String> PHRASES = List.of("t-shirt", "trouser", "pullover", "dress", "coat", "sandal",
            "shirt", "sneaker", "bag", "ankle boot");

    /** The class-free quality caption (P2L's ImageNet initialisation prompt). */
    public static final String QUALITY_PROMPT = "a high quality photo";

    private Captions() {
    }

    /** The canonical prompt of a class, "a photo of a(n) PHRASE" (used for the prompt-match share). */
    public static String classPrompt(int label) {
        return "a photo of " + article(phrase(label)) + " " + phrase(label);
    }

    private static String phrase(int label) {
        if (label < 0 || label >= PHRASES.size()) {
            throw new IllegalArgumentException("label " + label + " is outside [0, " + (PHRASES.size() - 1) + "]");
        }
        return PHRASES.get(label);
    }

    private static String article(String noun) {
        return "aeiou".indexOf(noun.charAt(0)) >= 0 ? "an" : "a";
    }

    /**
     * A training caption for an image of class {@code label}: with probability {@code dropout} the null prompt
     * "", otherwise one of eight templates drawn uniformly from {@code rng}: "a photo of a X" (x2), "a high
     * quality photo of a X" (x2), "a picture of a X", "X", "a clothing item" ... see the source for the list;
     * one of the eight is the class-free {@value #QUALITY_PROMPT}.
     */
    public static String sample(int label, NoiseSource rng, double dropout) {
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        }
        if (rng.nextDouble() < dropout) {
            return "";
        }
        String x = phrase(label);
        String ax = article(x) + " " + x;
        return switch (rng.nextInt(8)) {
            case 0, 1 -> "a photo of " + ax;
            case 2, 3 -> "a high quality photo of " + ax;
            case 4 -> "a picture of " + ax;
            case 5 -> x;
            case 6 -> "a clothing item: " + x;
            default -> QUALITY_PROMPT;
        };
    }
}
