package org.arvdm.diagnostics;

/**
 * Full-reference image quality metrics: PSNR and SSIM.
 *
 * <p>Images are {@code float[]} in CHW layout (channel-major: index {@code (c * height + y) * width + x})
 * and every metric takes the <em>data range</em> of the pixel values, i.e. the distance between the
 * smallest and largest possible value: {@code 1.0} for images in [0, 1], {@code 2.0} for images in
 * [-1, 1], {@code 255.0} for 8-bit values. The range is stated by the caller and never estimated from
 * the data. All arithmetic is done in {@code double}.
 *
 * <p>SSIM is the one of Wang, Bovik, Sheikh and Simoncelli (2004), computed exactly as
 * scikit-image's {@code structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
 * use_sample_covariance=False, data_range=R, channel_axis=0)}:
 * <ul>
 *   <li>local means, variances and covariance are weighted by a normalised Gaussian of σ = 1.5
 *       truncated at 3.5 σ, i.e. radius {@code (int) (3.5 * 1.5 + 0.5) = 5}: an 11×11 window
 *       (scipy.ndimage's kernel {@code exp(-x²/(2σ²))}, normalised to sum 1, applied separably);</li>
 *   <li>population (not sample) covariances; C1 = (0.01 R)², C2 = (0.03 R)²;</li>
 *   <li>the SSIM map is cropped by {@code (11 - 1) / 2 = 5} pixels on every border before it is averaged,
 *       and the per-channel means are averaged over channels.</li>
 * </ul>
 * scikit-image filters the whole image with {@code mode='reflect'} and then discards that 5-pixel
 * border. Because the crop equals the filter radius, every kept value is computed from pixels inside
 * the image only, so this class evaluates the filters on the kept ("valid") region only: the result is
 * identical and the reflected border never needs to be built. Consequently both sides of an image must
 * be at least 11 pixels (scikit-image raises for smaller images as well).
 *
 * <p>NaN pixels propagate to a NaN result. The class is stateless and thread-safe.
 */
public final class ImageMetrics {

    /** Standard deviation of the Gaussian weighting window. */
    public static final double SSIM_SIGMA = 1.5;
    /** Truncation of the Gaussian in standard deviations (scikit-image's choice for an 11-tap window). */
    public static final double SSIM_TRUNCATE = 3.5;
    /** Radius of the window: {@code (int) (SSIM_TRUNCATE * SSIM_SIGMA + 0.5)}, as scipy.ndimage computes it. */
    public static final int SSIM_RADIUS = (int) (SSIM_TRUNCATE * SSIM_SIGMA + 0.5);
    /** Side of the square window, 11. Images must be at least this large in height and width. */
    public static final int SSIM_WINDOW = 2 * SSIM_RADIUS + 1;
    /** Luminance stabilising constant factor: C1 = (K1 · dataRange)². */
    public static final double SSIM_K1 = 0.01;
    /** Contrast stabilising constant factor: C2 = (K2 · dataRange)². */
    public static final double SSIM_K2 = 0.03;

    /** The normalised 1-D Gaussian taps, index 0 at offset -radius. */
    private static final double[] KERNEL = gaussianKernel(SSIM_SIGMA, SSIM_RADIUS);

    /** Number of locally filtered statistics: x, y, x², y², xy. */
    private static final int STATS = 5;

    private ImageMetrics() {}

    /**
     * Mean squared error between two images of equal length (any layout).
     *
     * @throws IllegalArgumentException if an array is null or empty, or the lengths differ
     */
    public static double mse(float[] a, float[] b) {
        requireSameLength(a, b);
        double sum = 0.0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - (double) b[i];
            sum += d * d;
        }
        return sum / a.length;
    }

    /**
     * Peak signal-to-noise ratio in dB: {@code 10 · log10(dataRange² / MSE)}, with the MSE taken over all
     * elements (all channels together, as scikit-image's {@code peak_signal_noise_ratio} does). Symmetric in
     * {@code a} and {@code b}.
     *
     * @return the PSNR in dB; {@link Double#POSITIVE_INFINITY} when the images are identical (MSE = 0)
     * @throws IllegalArgumentException if an array is null or empty, the lengths differ, or
     *                                  {@code dataRange} is not finite and positive
     */
    public static double psnr(float[] a, float[] b, double dataRange) {
        requireDataRange(dataRange);
        double mse = mse(a, b);
        if (mse == 0.0) {
            return Double.POSITIVE_INFINITY;
        }
        return 10.0 * Math.log10(dataRange * dataRange / mse);
    }

    /**
     * Mean SSIM of two single-channel images of {@code height × width} pixels (row-major).
     *
     * @see #ssim(float[], float[], int, int, int, double)
     */
    public static double ssim(float[] a, float[] b, int height, int width, double dataRange) {
        return ssim(a, b, 1, height, width, dataRange);
    }

    /**
     * Mean SSIM of two CHW images, per channel and averaged over channels (see the class comment for the
     * exact definition). Symmetric in {@code a} and {@code b}; 1 for identical images, in [-1, 1] otherwise.
     *
     * @throws IllegalArgumentException if an array is null, the shape is not positive, the array lengths
     *                                  differ from each other or from {@code channels·height·width}, height or
     *                                  width is below {@value #SSIM_WINDOW}, or {@code dataRange} is not
     *                                  finite and positive
     */
    public static double ssim(float[] a, float[] b, int channels, int height, int width, double dataRange) {
        requireSameLength(a, b);
        requireDataRange(dataRange);
        if (channels <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException(
                    "shape must be positive, got channels=" + channels + ", height=" + height + ", width=" + width);
        }
        long expected = (long) channels * height * width;
        if (a.length != expected) {
            throw new IllegalArgumentException("image length " + a.length + " does not match shape channels=" + channels
                    + " x height=" + height + " x width=" + width + " = " + expected);
        }
        if (height < SSIM_WINDOW || width < SSIM_WINDOW) {
            throw new IllegalArgumentException("image of height=" + height + ", width=" + width
                    + " is smaller than the " + SSIM_WINDOW + "x" + SSIM_WINDOW + " SSIM window");
        }
        double c1 = (SSIM_K1 * dataRange) * (SSIM_K1 * dataRange);
        double c2 = (SSIM_K2 * dataRange) * (SSIM_K2 * dataRange);
        int validWidth = width - 2 * SSIM_RADIUS;
        int validHeight = height - 2 * SSIM_RADIUS;
        // Horizontally filtered statistics of every row over the valid columns, interleaved per pixel.
        double[] rows = new double[STATS * height * validWidth];
        double total = 0.0;
        for (int c = 0; c < channels; c++) {
            filterRows(a, b, c * height * width, height, width, validWidth, rows);
            total += meanSsimOfChannel(rows, validHeight, validWidth, c1, c2);
        }
        return total / channels;
    }

    /** Horizontal pass: the five statistics of each row, filtered, for columns radius .. width-radius-1. */
    private static void filterRows(
            float[] a, float[] b, int offset, int height, int width, int validWidth, double[] rows) {
        int out = 0;
        for (int y = 0; y < height; y++) {
            int rowStart = offset + y * width;
            for (int x = 0; x < validWidth; x++) {
                double sx = 0.0, sy = 0.0, sxx = 0.0, syy = 0.0, sxy = 0.0;
                int p = rowStart + x;
                for (int k = 0; k < SSIM_WINDOW; k++, p++) {
                    double w = KERNEL[k];
                    double va = a[p];
                    double vb = b[p];
                    sx += w * va;
                    sy += w * vb;
                    sxx += w * (va * va);
                    syy += w * (vb * vb);
                    sxy += w * (va * vb); // grouped so that swapping a and b gives bit-identical sums
                }
                rows[out++] = sx;
                rows[out++] = sy;
                rows[out++] = sxx;
                rows[out++] = syy;
                rows[out++] = sxy;
            }
        }
    }

    /** Vertical pass over the row-filtered statistics, SSIM map, and its mean over the valid region. */
    private static double meanSsimOfChannel(double[] rows, int validHeight, int validWidth, double c1, double c2) {
        int stride = STATS * validWidth;
        double sum = 0.0;
        for (int y = 0; y < validHeight; y++) {
            for (int x = 0; x < validWidth; x++) {
                double ux = 0.0, uy = 0.0, uxx = 0.0, uyy = 0.0, uxy = 0.0;
                int p = y * stride + STATS * x;
                for (int k = 0; k < SSIM_WINDOW; k++, p += stride) {
                    double w = KERNEL[k];
                    ux += w * rows[p];
                    uy += w * rows[p + 1];
                    uxx += w * rows[p + 2];
                    uyy += w * rows[p + 3];
                    uxy += w * rows[p + 4];
                }
                double vx = uxx - ux * ux;
                double vy = uyy - uy * uy;
                double vxy = uxy - ux * uy;
                sum += ((2.0 * ux * uy + c1) * (2.0 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
            }
        }
        return sum / ((double) validHeight * validWidth);
    }

    /** scipy.ndimage's {@code _gaussian_kernel1d(sigma, 0, radius)}: exp(-x²/(2σ²)) for |x| ≤ radius, sum 1. */
    private static double[] gaussianKernel(double sigma, int radius) {
        double[] taps = new double[2 * radius + 1];
        double sum = 0.0;
        for (int i = 0; i < taps.length; i++) {
            double x = i - radius;
            taps[i] = Math.exp(-0.5 / (sigma * sigma) * x * x);
            sum += taps[i];
        }
        for (int i = 0; i < taps.length; i++) {
            taps[i] /= sum;
        }
        return taps;
    }

    private static void requireSameLength(float[] a, float[] b) {
        if (a == null || b == null) {
            throw new IllegalArgumentException("images must not be null (a " + (a == null ? "is" : "is not")
                    + " null, b " + (b == null ? "is" : "is not") + " null)");
        }
        if (a.length != b.length) {
            throw new IllegalArgumentException(
                    "image lengths differ: a has " + a.length + " values, b has " + b.length);
        }
        if (a.length == 0) {
            throw new IllegalArgumentException("images must not be empty");
        }
    }

    private static void requireDataRange(double dataRange) {
        if (!(dataRange > 0.0) || Double.isInfinite(dataRange)) {
            throw new IllegalArgumentException("dataRange must be finite and positive, got " + dataRange);
        }
    }
}
