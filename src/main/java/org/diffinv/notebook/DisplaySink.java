package org.diffinv.notebook;

import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Where live HTML output goes: shows an HTML fragment and returns an id, then replaces it in place by id.
 *
 * <p>In a JJava notebook the start-up script binds it to the kernel's display functions, e.g.
 * <pre>{@code
 * Progress.setDefaultSink(DisplaySink.of(
 *         html -> display(html, "text/html"),
 *         (id, html) -> updateDisplay(id, html, "text/html")));
 * }</pre>
 * (the methods are named {@code show}/{@code update}, not {@code display}, so an anonymous implementation inside
 * a notebook does not shadow JJava's {@code display} functions). Implementations must be safe to call from the
 * thread running the loop.
 */
public interface DisplaySink {

    /**
     * Shows a new HTML fragment.
     *
     * @param html the fragment
     * @return an id for {@link #update(String, String)}
     */
    String show(String html);

    /**
     * Replaces the fragment shown under {@code id}.
     *
     * @param id an id returned by {@link #show(String)}
     * @param html the new fragment
     */
    void update(String id, String html);

    /** A sink from two functions (see the class comment for the JJava binding). */
    static DisplaySink of(Function<String, String> show, BiConsumer<String, String> update) {
        Objects.requireNonNull(show, "show");
        Objects.requireNonNull(update, "update");
        return new DisplaySink() {
            @Override
            public String show(String html) {
                return show.apply(html);
            }

            @Override
            public void update(String id, String html) {
                update.accept(id, html);
            }
        };
    }
}
