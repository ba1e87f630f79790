package org.arvdm.report;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.arvdm.diagnostics.EvaluationSet;
import org.arvdm.diagnostics.Scoring;
import org.arvdm.image.FrameImages;
import org.arvdm.manifest.ModelManifest;

/**
 * Ground truth (top row) above the generated frames (bottom row) of one trajectory, at the
 * generated frames that revisit a place, each column captioned with its generated-frame
 * index and how many frames ago the place was last seen.
 */
final class StripImage {
    private static final int MAX_COLUMNS = 20;
    private static final int CAPTION = 14;

    private StripImage() {}

    /** The generated-frame indices to show: the revisits, spread evenly when there are many; else the first ones. */
    static List<Integer> columns(EvaluationSet.Trajectory t, int contextFrames, int generated) {
        List<Integer> revisits = new ArrayList<>();
        for (int k = 0; k < generated; k++) {
            if (Scoring.bucketOf(t.sinceSeen()[contextFrames + k]) >= 0) {
                revisits.add(k);
            }
        }
        if (revisits.isEmpty()) {
            for (int k = 0; k < Math.min(generated, MAX_COLUMNS); k++) {
                revisits.add(k);
            }
        }
        if (revisits.size() <= MAX_COLUMNS) {
            return revisits;
        }
        List<Integer> picked = new ArrayList<>();
        for (int i = 0; i < MAX_COLUMNS; i++) {
            picked.add(revisits.get((int) Math.round((double) i * (revisits.size() - 1) / (MAX_COLUMNS - 1))));
        }
        return picked;
    }

    static void write(
            EvaluationSet.Trajectory t, int contextFrames, List<float[]> generated, ModelManifest.Frame shape, Path png)
            throws IOException {
        List<Integer> cols = columns(t, contextFrames, generated.size());
        int scale = Math.max(2, 96 / Math.max(shape.height(), shape.width()));
        int w = shape.width() * scale;
        int h = shape.height() * scale;
        int gap = 2;
        BufferedImage img =
                new BufferedImage(cols.size() * (w + gap) + gap, 2 * h + 3 * gap + CAPTION, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        for (int i = 0; i < cols.size(); i++) {
            int k = cols.get(i);
            int x = gap + i * (w + gap);
            g.drawImage(
                    FrameImages.toImage(
                            t.frames().get(contextFrames + k), shape.channels(), shape.height(), shape.width()),
                    x,
                    gap,
                    w,
                    h,
                    null);
            g.drawImage(
                    FrameImages.toImage(generated.get(k), shape.channels(), shape.height(), shape.width()),
                    x,
                    2 * gap + h,
                    w,
                    h,
                    null);
            int since = t.sinceSeen()[contextFrames + k];
            g.setColor(Color.BLACK);
            g.drawString("#" + k + (since >= 0 ? " s" + since : ""), x + 2, 2 * h + 3 * gap + CAPTION - 3);
        }
        g.dispose();
        ImageIO.write(img, "png", png.toFile());
    }
}
