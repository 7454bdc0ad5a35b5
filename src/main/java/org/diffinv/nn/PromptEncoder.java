package org.diffinv.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.diffinv.util.HostArrays;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.diffinv.util.Scalars;

/**
 * A tiny text encoder for the kit's captions (the stand-in for CLIP's text encoder in latent diffusion, Rombach
 * et al. 2022, Section 3.3): word tokens of a fixed vocabulary, learned token and position embeddings and one
 * pre-norm Transformer layer (Vaswani et al. 2017), giving a conditioning tensor {@code c (N, L, D)}.
 *
 * <p>Tokenisation: lower-case, split on anything that is not a letter or a hyphen; a word outside the vocabulary
 * becomes {@code <unk>}. Every prompt starts with {@code <bos>}; the empty prompt "" is {@code <bos> <null>} (its
 * own learned embedding, as Stable Diffusion's CLIP("") is not zeros); the rest is {@code <pad>} up to L tokens
 * (longer prompts are cut). Input to forward: token ids {@code (N, L)} (any numeric type).
 */
public final class PromptEncoder extends KitBlock {

    /** The vocabulary, id = index: specials, caption words, class-name words. */
    public static final List<String> VOCABULARY = List.of("<pad>", "<bos>", "<null>", "<unk>", "a", "an", "photo",
            "picture", "of", "high", "quality", "low", "clothing", "item", "t-shirt", "top", "trouser", "trousers",
            "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle", "boot");

    private static final Map<String, Integer> IDS;

    static {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int i = 0; i < VOCABULARY.size(); i++) {
            m.put(VOCABULARY.get(i), i);
        }
        IDS = Collections.unmodifiableMap(m);
    }

    private final int length;
    private final int dim;
    private final int heads;
    private final Parameter tokenEmbedding;
    private final Parameter positionEmbedding;
    private final LayerNorm norm1;
    private final Linear qkv;
    private final Linear proj;
    private final LayerNorm norm2;
    private final Linear mlp1;
    private final Linear mlp2;
    private final LayerNorm normOut;

    /** An encoder producing {@code (N, length, dim)} with {@code heads} attention heads. */
    public PromptEncoder(int length, int dim, int heads) {
        super((byte) 1);
        if (length < 2 || dim < 1 || heads < 1 || dim % heads != 0) {
            throw new IllegalArgumentException("need length >= 2 and dim a positive multiple of heads; got " + length
                    + ", " + dim + ", " + heads);
        }
        this.length = length;
        this.dim = dim;
        this.heads = heads;
        this.tokenEmbedding = addParameter(Parameter.builder().setName("tokenEmbedding")
                .setType(Parameter.Type.WEIGHT).optShape(new Shape(VOCABULARY.size(), dim)).build());
        this.positionEmbedding = addParameter(Parameter.builder().setName("positionEmbedding")
                .setType(Parameter.Type.WEIGHT).optShape(new Shape(length, dim)).build());
        this.norm1 = addChildBlock("norm1", LayerNorm.builder().build());
        this.qkv = addChildBlock("qkv", Linear.builder().setUnits(3L * dim).build());
        this.proj = addChildBlock("proj", Linear.builder().setUnits(dim).build());
        this.norm2 = addChildBlock("norm2", LayerNorm.builder().build());
        this.mlp1 = addChildBlock("mlp1", Linear.builder().setUnits(2L * dim).build());
        this.mlp2 = addChildBlock("mlp2", Linear.builder().setUnits(dim).build());
        this.normOut = addChildBlock("normOut", LayerNorm.builder().build());
    }

    /** The token count L. */
    public int length() {
        return length;
    }

    /** The embedding width D. */
    public int dim() {
        return dim;
    }

    /** The words of {@code prompt} after lower-casing and splitting (see the class comment). */
    public static List<String> words(String prompt) {
        List<String> out = new ArrayList<>();
        for (String w : prompt.toLowerCase(Locale.ROOT).split("[^a-z-]+")) {
            if (!w.isEmpty()) {
                out.add(w);
            }
        }
        return out;
    }

    /** The token ids of {@code prompt}, length L (see the class comment). */
    public int[] tokenize(String prompt) {
        if (prompt == null) {
            throw new IllegalArgumentException("prompt must not be null (use \"\" for the null prompt)");
        }
        int[] ids = new int[length];
        ids[0] = IDS.get("<bos>");
        List<String> w = words(prompt);
        if (w.isEmpty()) {
            ids[1] = IDS.get("<null>");
            return ids;
        }
        for (int i = 0; i < w.size() && i + 1 < length; i++) {
            ids[i + 1] = IDS.getOrDefault(w.get(i), IDS.get("<unk>"));
        }
        return ids;
    }

    /** The token ids of several prompts as an INT32 array {@code (N, L)} on {@code manager}. */
    public NDArray tokenize(NDManager manager, List<String> prompts) {
        int[] flat = new int[prompts.size() * length];
        for (int i = 0; i < prompts.size(); i++) {
            System.arraycopy(tokenize(prompts.get(i)), 0, flat, i * length, length);
        }
        return HostArrays.of(manager, flat, new Shape(prompts.size(), length));
    }

    @Override
    protected void initChildren(NDManager manager, DataType dataType) {
        norm1.initialize(manager, dataType, new Shape(1, length, dim));
        qkv.initialize(manager, dataType, new Shape(1, dim));
        proj.initialize(manager, dataType, new Shape(1, dim));
        norm2.initialize(manager, dataType, new Shape(1, length, dim));
        mlp1.initialize(manager, dataType, new Shape(1, dim));
        mlp2.initialize(manager, dataType, new Shape(1, 2L * dim));
        normOut.initialize(manager, dataType, new Shape(1, length, dim));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDArray ids = inputs.singletonOrThrow();
        if (ids.getShape().dimension() != 2 || ids.getShape().get(1) != length) {
            throw new IllegalArgumentException("prompt encoder expects token ids (N, " + length + "), got "
                    + ids.getShape());
        }
        NDArray emb = value(ps, tokenEmbedding, ids, training);
        NDArray oneHot = ids.toType(DataType.INT64, false).oneHot(VOCABULARY.size()).toType(emb.getDataType(), false);
        NDArray h = oneHot.matMul(emb).add(value(ps, positionEmbedding, ids, training));
        long n = ids.getShape().get(0);
        NDArray u = run(norm1, ps, h, training);
        NDList qkvParts = run(qkv, ps, u, training).split(3, 2);
        int d = dim / heads;
        NDArray q = qkvParts.get(0).reshape(n, length, heads, d).transpose(0, 2, 1, 3);
        NDArray k = qkvParts.get(1).reshape(n, length, heads, d).transpose(0, 2, 1, 3);
        NDArray v = qkvParts.get(2).reshape(n, length, heads, d).transpose(0, 2, 1, 3);
        NDArray w = Scalars.mul(q.matMul(k.transpose(0, 1, 3, 2)), 1.0 / Math.sqrt(d)).softmax(-1);
        NDArray a = w.matMul(v).transpose(0, 2, 1, 3).reshape(n, length, dim);
        h = h.add(run(proj, ps, a, training));
        h = h.add(run(mlp2, ps, silu(run(mlp1, ps, run(norm2, ps, h, training), training)), training));
        return new NDList(run(normOut, ps, h, training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), length, dim)};
    }
}
