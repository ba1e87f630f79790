package org.arvdm.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.labels.ItemLabelAnchor;
import org.jfree.chart.labels.ItemLabelPosition;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The paper's Figure 9 in our world: one labelled point per model, mean retrieval rate
 * against maximum PSNR decay, written as a PNG with JFreeChart.
 */
final class ParetoChart {
    private ParetoChart() {}

    /** One point: {@code decay} in dB (x), {@code rate} in [0, 1] (y). */
    record Point(String label, double decay, double rate, boolean reference) {}

    static void write(List<Point> unsorted, String subtitle, Path png) throws IOException {
        // sorted by decay, so neighbouring labels can alternate above and below their points
        List<Point> points = unsorted.stream()
                .sorted(Comparator.comparingDouble(Point::decay))
                .toList();
        XYSeriesCollection data = new XYSeriesCollection();
        for (Point p : points) {
            XYSeries s = new XYSeries(p.label(), false);
            s.add(p.decay(), p.rate());
            data.addSeries(s);
        }
        NumberAxis x = new NumberAxis("maximum PSNR decay (dB): first interval minus the worst later one");
        x.setAutoRangeIncludesZero(true);
        x.setLowerMargin(0.12);
        x.setUpperMargin(0.12);
        NumberAxis y = new NumberAxis("mean retrieval rate (SSIM over threshold, mean of buckets)");
        // rates live in [0, 1]: a fixed axis (with room for labels below 0) keeps runs comparable
        y.setRange(-0.08, 1.05);
        y.setTickUnit(new NumberTickUnit(0.1));
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(false, true);
        r.setDefaultItemLabelGenerator(
                (dataset, series, item) -> dataset.getSeriesKey(series).toString());
        r.setDefaultItemLabelsVisible(true);
        r.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        ItemLabelPosition above = new ItemLabelPosition(ItemLabelAnchor.OUTSIDE12, TextAnchor.BOTTOM_CENTER);
        ItemLabelPosition below = new ItemLabelPosition(ItemLabelAnchor.OUTSIDE6, TextAnchor.TOP_CENTER);
        for (int i = 0; i < points.size(); i++) {
            r.setSeriesPositiveItemLabelPosition(i, i % 2 == 0 ? above : below);
            r.setSeriesNegativeItemLabelPosition(i, i % 2 == 0 ? above : below);
            if (points.get(i).reference()) {
                r.setSeriesPaint(i, Color.GRAY);
            }
        }
        XYPlot plot = new XYPlot(data, x, y, r);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.setDomainGridlineStroke(new BasicStroke(0.5f));
        plot.setRangeGridlineStroke(new BasicStroke(0.5f));
        JFreeChart chart = new JFreeChart(
                "Memory against error accumulation (the paper's Figure 9)",
                new Font(Font.SANS_SERIF, Font.BOLD, 15),
                plot,
                true);
        chart.addSubtitle(new org.jfree.chart.title.TextTitle(subtitle));
        chart.setBackgroundPaint(Color.WHITE);
        ChartUtils.saveChartAsPNG(png.toFile(), chart, 900, 650);
    }
}
