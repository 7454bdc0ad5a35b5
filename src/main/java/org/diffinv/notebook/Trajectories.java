package org.diffinv.notebook;

import ai.djl.ndarray.NDArray;
import org.diffinv.diffusion.ReverseLoop.Snapshot;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * Pictures of a reverse run: for one image of the batch, the iterate {@code x_t} and the estimate {@code x0Hat} at
 * each recorded step, side by side (columns labelled by the time index {@code t}).
 */
public final class Trajectories {

    private Trajectories() {
    }

    /**
     * A two-row grid (x_t above, x0Hat below) of image {@code index} of the batch over {@code snapshots}, values
     * clipped to [-1, 1] for display, upscaled by {@code scale}.
     */
    public static BufferedImage grid(List<Snapshot> snapshots, int index, int scale) {
        if (snapshots == null || snapshots.isEmpty()) {
            throw new IllegalArgumentException("no snapshots to draw: run the solver with Run.recordSnapshots(k), k > 0");
        }
        long n = snapshots.get(0).xt().getShape().get(0);
        if (index < 0 || index >= n) {
            throw new IllegalArgumentException("image index " + index + " is outside the batch [0, " + (n - 1) + "]");
        }
        List<BufferedImage> xt = new ArrayList<>();
        List<BufferedImage> x0 = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (Snapshot s : snapshots) {
            try (NDArray a = s.xt().get(index).clip(-1, 1); NDArray b = s.x0Hat().get(index).clip(-1, 1)) {
                xt.add(Images.toImage(a));
                x0.add(Images.toImage(b));
            }
            labels.add("t=" + s.t());
        }
        return ImageGrid.builder().optScale(scale).optColumnLabels(labels).addRow("x_t", xt).addRow("x0Hat", x0)
                .build();
    }

    /**
     * The trajectory of a latent solver seen through the decoder: for image {@code index} of the batch, the decoded
     * iterate {@code D(z_t)} above and the decoded estimate {@code D(z0Hat)} below at each recorded step (latents are
     * decoded, never clipped; the images are clipped to [-1, 1] for display).
     */
    public static BufferedImage decodedGrid(List<Snapshot> snapshots, org.diffinv.priors.Autoencoder ae, int index,
            int scale) {
        if (snapshots == null || snapshots.isEmpty()) {
            throw new IllegalArgumentException("no snapshots to draw: run the solver with Run.recordSnapshots(k), k > 0");
        }
        long n = snapshots.get(0).xt().getShape().get(0);
        if (index < 0 || index >= n) {
            throw new IllegalArgumentException("image index " + index + " is outside the batch [0, " + (n - 1) + "]");
        }
        List<BufferedImage> zt = new ArrayList<>();
        List<BufferedImage> z0 = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (Snapshot s : snapshots) {
            try (ai.djl.ndarray.NDManager scope = s.xt().getManager().newSubManager()) {
                NDArray a = s.xt().get(index + ":" + (index + 1));
                NDArray b = s.x0Hat().get(index + ":" + (index + 1));
                a.attach(scope);
                b.attach(scope);
                NDArray da = ae.decode(a).clip(-1, 1);
                NDArray db = ae.decode(b).clip(-1, 1);
                zt.add(Images.toImage(da.get(0)));
                z0.add(Images.toImage(db.get(0)));
            }
            labels.add("t=" + s.t());
        }
        return ImageGrid.builder().optScale(scale).optColumnLabels(labels).addRow("D(z_t)", zt)
                .addRow("D(z0Hat)", z0).build();
    }
}
