package org.arvdm.diagnostics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.json.JsonMapper;

/**
 * Checks {@link ImageMetrics} against scikit-image on the fixtures written by
 * {@code src/test/python/make_metric_fixtures.py} (in {@code src/test/resources/metrics/}), and its
 * properties on generated images.
 */
class ImageMetricsTest {

    private static final double SSIM_TOLERANCE = 1e-3;
    private static final double PSNR_TOLERANCE_DB = 1e-4;

    /** One entry of {@code metrics/index.json}; {@code psnr} is null where skimage gives +inf. */
    record Fixture(
            String name, String file, int channels, int height, int width, double dataRange, double ssim, Double psnr) {

        float[][] images() {
            String resource = "/metrics/" + file;
            try (InputStream in = ImageMetricsTest.class.getResourceAsStream(resource)) {
                assertThat(in).as("fixture resource %s", resource).isNotNull();
                int n = channels * height * width;
                ByteBuffer bytes = ByteBuffer.wrap(in.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
                assertThat(bytes.remaining()).as("size of %s", resource).isEqualTo(2 * n * Float.BYTES);
                float[] a = new float[n];
                float[] b = new float[n];
                bytes.asFloatBuffer().get(a).get(b);
                return new float[][] {a, b};
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        double javaSsim() {
            float[][] ab = images();
            return ImageMetrics.ssim(ab[0], ab[1], channels, height, width, dataRange);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    record Index(String generator, List<Fixture> cases) {}

    static List<Fixture> fixtures() {
        try (InputStream in = ImageMetricsTest.class.getResourceAsStream("/metrics/index.json")) {
            assertThat(in).as("metrics/index.json on the test classpath").isNotNull();
            return JsonMapper.builder().build().readValue(in, Index.class).cases();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void ssimAgreesWithScikitImage(Fixture fixture) {
        assertThat(fixture.javaSsim()).isCloseTo(fixture.ssim(), within(SSIM_TOLERANCE));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void psnrAgreesWithScikitImage(Fixture fixture) {
        float[][] ab = fixture.images();
        double psnr = ImageMetrics.psnr(ab[0], ab[1], fixture.dataRange());
        if (fixture.psnr() == null) {
            assertThat(psnr).isEqualTo(Double.POSITIVE_INFINITY);
        } else {
            assertThat(psnr).isCloseTo(fixture.psnr(), within(PSNR_TOLERANCE_DB));
        }
    }

    @Test
    void largestSsimDifferenceFromScikitImageIsWithinTolerance() {
        List<Fixture> fixtures = fixtures();
        assertThat(fixtures).hasSizeGreaterThanOrEqualTo(10);
        double maxDiff = 0.0;
        String worst = "";
        for (Fixture fixture : fixtures) {
            double diff = Math.abs(fixture.javaSsim() - fixture.ssim());
            if (!(diff <= maxDiff)) {
                maxDiff = diff;
                worst = fixture.name();
            }
        }
        System.out.printf("max |SSIM - skimage| over %d fixtures = %.3e (%s)%n", fixtures.size(), maxDiff, worst);
        assertThat(maxDiff).as("max |SSIM diff| (case %s)", worst).isLessThan(SSIM_TOLERANCE);
    }

    @Test
    void identicalImagesGiveSsimOneAndInfinitePsnr() {
        float[] image = random(3 * 20 * 24, 1);
        float[] copy = image.clone();
        assertThat(ImageMetrics.ssim(image, copy, 3, 20, 24, 1.0)).isCloseTo(1.0, within(1e-12));
        assertThat(ImageMetrics.psnr(image, copy, 1.0)).isEqualTo(Double.POSITIVE_INFINITY);
        float[] constant = new float[3 * 16 * 16];
        Arrays.fill(constant, 0.25f);
        assertThat(ImageMetrics.ssim(constant, constant.clone(), 3, 16, 16, 1.0))
                .isCloseTo(1.0, within(1e-12));
    }

    @Test
    void differentImagesGiveSsimBelowOneAndFinitePsnr() {
        float[] a = random(3 * 16 * 16, 2);
        float[] b = a.clone();
        b[100] += 0.1f;
        assertThat(ImageMetrics.ssim(a, b, 3, 16, 16, 1.0)).isLessThan(1.0);
        assertThat(ImageMetrics.psnr(a, b, 1.0)).isFinite();
    }

    @Test
    void metricsAreSymmetricInTheirArguments() {
        float[] a = random(3 * 17 * 23, 3);
        float[] b = random(3 * 17 * 23, 4);
        for (int i = 0; i < a.length; i++) {
            b[i] = 0.6f * a[i] + 0.4f * b[i];
        }
        assertThat(ImageMetrics.ssim(a, b, 3, 17, 23, 1.0)).isEqualTo(ImageMetrics.ssim(b, a, 3, 17, 23, 1.0));
        assertThat(ImageMetrics.psnr(a, b, 1.0)).isEqualTo(ImageMetrics.psnr(b, a, 1.0));
    }

    @Test
    void ssimIsTheMeanOfThePerChannelSsims() {
        int plane = 14 * 19;
        float[] a = random(3 * plane, 5);
        float[] b = random(3 * plane, 6);
        double sum = 0.0;
        for (int c = 0; c < 3; c++) {
            float[] pa = Arrays.copyOfRange(a, c * plane, (c + 1) * plane);
            float[] pb = Arrays.copyOfRange(b, c * plane, (c + 1) * plane);
            sum += ImageMetrics.ssim(pa, pb, 14, 19, 1.0);
        }
        assertThat(ImageMetrics.ssim(a, b, 3, 14, 19, 1.0)).isCloseTo(sum / 3, within(1e-12));
    }

    @Test
    void scalingPixelsAndDataRangeTogetherLeavesMetricsUnchanged() {
        float[] a = random(2 * 12 * 13, 7);
        float[] b = random(2 * 12 * 13, 8);
        float[] a255 = new float[a.length];
        float[] b255 = new float[b.length];
        for (int i = 0; i < a.length; i++) {
            a255[i] = a[i] * 255f;
            b255[i] = b[i] * 255f;
        }
        assertThat(ImageMetrics.ssim(a255, b255, 2, 12, 13, 255.0))
                .isCloseTo(ImageMetrics.ssim(a, b, 2, 12, 13, 1.0), within(1e-6));
        assertThat(ImageMetrics.psnr(a255, b255, 255.0)).isCloseTo(ImageMetrics.psnr(a, b, 1.0), within(1e-4));
    }

    @Test
    void psnrOfAConstantOffsetFollowsTheDefinition() {
        float[] a = new float[3 * 8 * 8];
        float[] b = new float[a.length];
        Arrays.fill(b, 0.1f);
        double expected = 10.0 * Math.log10(1.0 / ((double) 0.1f * 0.1f));
        assertThat(ImageMetrics.psnr(a, b, 1.0))
                .isCloseTo(expected, within(1e-9))
                .isCloseTo(20.0, within(1e-5));
        assertThat(ImageMetrics.mse(a, b)).isCloseTo((double) 0.1f * 0.1f, within(1e-15));
    }

    @Test
    void rejectsImagesOfDifferentLengths() {
        float[] a = new float[3 * 16 * 16];
        float[] b = new float[3 * 16 * 16 - 1];
        assertThatThrownBy(() -> ImageMetrics.ssim(a, b, 3, 16, 16, 1.0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lengths differ")
                .hasMessageContaining("768")
                .hasMessageContaining("767");
        assertThatThrownBy(() -> ImageMetrics.psnr(a, b, 1.0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lengths differ");
    }

    @Test
    void rejectsImagesWhoseLengthDoesNotMatchTheShape() {
        float[] a = new float[3 * 16 * 16];
        assertThatThrownBy(() -> ImageMetrics.ssim(a, a.clone(), 3, 16, 17, 1.0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not match shape")
                .hasMessageContaining("816");
        assertThatThrownBy(() -> ImageMetrics.ssim(a, a.clone(), 0, 16, 16, 1.0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("channels=0");
    }

    @Test
    void rejectsImagesSmallerThanTheWindow() {
        float[] a = new float[3 * 10 * 40];
        assertThatThrownBy(() -> ImageMetrics.ssim(a, a.clone(), 3, 10, 40, 1.0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("height=10")
                .hasMessageContaining("11x11");
    }

    @Test
    void rejectsMissingEmptyAndInvalidArguments() {
        float[] a = new float[16 * 16];
        assertThatThrownBy(() -> ImageMetrics.psnr(null, a, 1.0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("a is null");
        assertThatThrownBy(() -> ImageMetrics.psnr(new float[0], new float[0], 1.0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty");
        for (double range : new double[] {0.0, -1.0, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> ImageMetrics.ssim(a, a.clone(), 16, 16, range))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("dataRange");
            assertThatThrownBy(() -> ImageMetrics.psnr(a, a.clone(), range))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("dataRange");
        }
    }

    private static float[] random(int n, long seed) {
        Random random = new Random(seed);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = random.nextFloat();
        }
        return out;
    }
}
