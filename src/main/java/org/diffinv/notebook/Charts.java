package org.diffinv.notebook;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Small XChart helpers for the notebooks: line charts of named series (training curves, PSNR vs steps), grouped
 * bar charts (a metric per method), conversion to a {@link BufferedImage} (displays as image/png in JJava) and PNG
 * files, on a white background. The returned XChart objects can be styled further ({@code chart.getStyler().setYAxisLogarithmic(true)}).
 * Works headless ({@code -Djava.awt.headless=true}).
 */
public final class Charts {

    /** Default chart width in pixels. */
    public static final int WIDTH = 640;
    /** Default chart height in pixels. */
    public static final int HEIGHT = 400;

    private Charts() {
    }

    /**
     * One named series of points {@code (x_i, y_i)}.
     *
     * @param name the legend entry, non-empty
     * @param x abscissae, finite, same length as {@code y}, at least one point
     * @param y ordinates, finite
     */
    public record Series(String name, double[] x, double[] y) {
        /** Validates and copies the arrays. */
        public Series {
            if (name == null || name.isEmpty()) {
                throw new IllegalArgumentException("series name must be non-empty");
            }
            if (x == null || y == null || x.length != y.length || x.length == 0) {
                throw new IllegalArgumentException("series '" + name + "' needs x and y of one positive length, got "
                        + (x == null ? "null" : x.length) + " and " + (y == null ? "null" : y.length));
            }
            x = x.clone();
            y = y.clone();
            for (int i = 0; i < x.length; i++) {
                if (!Double.isFinite(x[i]) || !Double.isFinite(y[i])) {
                    throw new IllegalArgumentException("series '" + name + "' has a non-finite point " + i + ": ("
                            + x[i] + ", " + y[i] + ")");
                }
            }
        }

        /** A series with {@code x = 0, 1, ..., n-1}. */
        public static Series of(String name, double[] y) {
            double[] x = new double[y == null ? 0 : y.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = i;
            }
            return new Series(name, x, y);
        }

        /** A series from abscissae and ordinates. */
        public static Series of(String name, double[] x, double[] y) {
            return new Series(name, x, y);
        }

        /** A defensive copy of the abscissae. */
        @Override
        public double[] x() {
            return x.clone();
        }

        /** A defensive copy of the ordinates. */
        @Override
        public double[] y() {
            return y.clone();
        }
    }

    /**
     * A line chart (with small markers) of one or more series.
     *
     * @param title chart title
     * @param xTitle x-axis title
     * @param yTitle y-axis title
     * @param series at least one series, distinct names
     * @throws IllegalArgumentException if there is no series or two share a name
     */
    public static XYChart line(String title, String xTitle, String yTitle, List<Series> series) {
        if (series == null || series.isEmpty()) {
            throw new IllegalArgumentException("a line chart needs at least one series");
        }
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle)
                .yAxisTitle(yTitle).build();
        chart.getStyler().setMarkerSize(4);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        List<String> seen = new ArrayList<>();
        for (Series s : series) {
            if (seen.contains(s.name())) {
                throw new IllegalArgumentException("two series are named '" + s.name() + "'");
            }
            seen.add(s.name());
            chart.addSeries(s.name(), s.x, s.y).setMarker(s.x.length > 60 ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
        }
        return chart;
    }

    /** {@link #line(String, String, String, List)} with varargs series. */
    public static XYChart line(String title, String xTitle, String yTitle, Series... series) {
        return line(title, xTitle, yTitle, Arrays.asList(series));
    }

    /**
     * A grouped bar chart: one group per category (e.g. a task), one bar per series (e.g. a method) in each.
     *
     * @param title chart title
     * @param xTitle x-axis title
     * @param yTitle y-axis title
     * @param categories the category labels, at least one, distinct
     * @param valuesBySeries series name to one finite value per category, in category order (insertion order of the
     *     map is the legend order)
     * @throws IllegalArgumentException on empty input, a length mismatch (naming the series) or a non-finite value
     */
    public static CategoryChart bar(String title, String xTitle, String yTitle, List<String> categories,
                                    Map<String, double[]> valuesBySeries) {
        if (categories == null || categories.isEmpty()) {
            throw new IllegalArgumentException("a bar chart needs at least one category");
        }
        if (categories.stream().distinct().count() != categories.size()) {
            throw new IllegalArgumentException("categories must be distinct, got " + categories);
        }
        if (valuesBySeries == null || valuesBySeries.isEmpty()) {
            throw new IllegalArgumentException("a bar chart needs at least one series");
        }
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle)
                .yAxisTitle(yTitle).build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        for (Map.Entry<String, double[]> e : new LinkedHashMap<>(valuesBySeries).entrySet()) {
            double[] v = e.getValue();
            if (v == null || v.length != categories.size()) {
                throw new IllegalArgumentException("series '" + e.getKey() + "' has " + (v == null ? "no" : v.length)
                        + " values for " + categories.size() + " categories");
            }
            List<Double> values = new ArrayList<>(v.length);
            for (int i = 0; i < v.length; i++) {
                if (!Double.isFinite(v[i])) {
                    throw new IllegalArgumentException("series '" + e.getKey() + "' has value " + v[i]
                            + " for category '" + categories.get(i) + "'");
                }
                values.add(v[i]);
            }
            chart.addSeries(e.getKey(), new ArrayList<>(categories), values);
        }
        return chart;
    }

    /** Renders a chart to an image (XChart's {@code BitmapEncoder.getBufferedImage}). */
    public static BufferedImage toImage(Chart<?, ?> chart) {
        if (chart == null) {
            throw new IllegalArgumentException("chart is null");
        }
        return BitmapEncoder.getBufferedImage(chart);
    }

    /**
     * Writes a chart as a PNG file of its width and height, creating parent directories.
     *
     * @return the file written
     * @throws IllegalArgumentException if the file name does not end in {@code .png}
     */
    public static Path savePng(Chart<?, ?> chart, Path file) {
        return Images.savePng(toImage(chart), file);
    }
}
