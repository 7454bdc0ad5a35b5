/**
 * Display helpers for the notebooks, usable from plain Java (no notebook-kernel dependency): image tensors to
 * pictures and labelled grids ({@link org.diffinv.notebook.Images}, {@link org.diffinv.notebook.ImageGrid}), XChart
 * line and bar charts ({@link org.diffinv.notebook.Charts}), Tablesaw tables as HTML and from records
 * ({@link org.diffinv.notebook.Tables}), interruptible live progress in a console or a notebook
 * ({@link org.diffinv.notebook.Progress}, {@link org.diffinv.notebook.DisplaySink},
 * {@link org.diffinv.notebook.InterruptedRunException}), the smoke / quick / full switch
 * ({@link org.diffinv.notebook.RunMode}) and the results directory ({@link org.diffinv.notebook.Results}).
 *
 * <p>In JJava, a {@code BufferedImage} displays as image/png and an HTML string with {@code display(html,
 * "text/html")}; the notebook start-up script binds {@link org.diffinv.notebook.Progress#setDefaultSink} to JJava's
 * {@code display}/{@code updateDisplay}.
 */
package org.diffinv.notebook;
