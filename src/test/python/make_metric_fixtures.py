#!/usr/bin/python3
"""Write the SSIM / PSNR reference fixtures used by ImageMetricsTest.

Run with Debian's interpreter (python3-numpy, python3-scipy, python3-skimage):

    /usr/bin/python3 src/test/python/make_metric_fixtures.py

Output, in src/test/resources/metrics/ (relative to the repository root):

* ``<case>.bin``: image ``a`` then image ``b``, each as little-endian float32
  in CHW order (channels, height, width), no header.
* ``index.json``: one entry per case with its shape, the data range, and
  scikit-image's ``structural_similarity`` and ``peak_signal_noise_ratio``
  for that pair (``psnr`` is ``null`` where skimage gives +inf, i.e. for
  identical images).

The reference values are computed on the float32 pixels widened to float64,
which is what the Java implementation does too (skimage would otherwise
filter in float32 and add ~1e-7 of its own rounding). The images are made
from a fixed seed, so re-running the script reproduces the files exactly
(for the same numpy / skimage versions).
"""

import json
import pathlib

import numpy as np
import scipy
import scipy.ndimage as ndi
import skimage
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

OUT = pathlib.Path(__file__).resolve().parents[1] / "resources" / "metrics"
RNG = np.random.default_rng(20041)


def smooth(channels, height, width, lo=0.0, hi=1.0):
    """A structured image: per-channel sums of sinusoids and blobs in [lo, hi]."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    out = np.empty((channels, height, width))
    for c in range(channels):
        fy, fx = RNG.uniform(0.05, 0.35, size=2)
        img = np.sin(fy * yy + RNG.uniform(0, 6)) * np.cos(fx * xx + RNG.uniform(0, 6))
        for _ in range(3):
            cy, cx = RNG.uniform(0, height), RNG.uniform(0, width)
            r = RNG.uniform(2, 8)
            img += RNG.uniform(-1, 1) * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))
        img = (img - img.min()) / (img.max() - img.min())
        out[c] = lo + (hi - lo) * img
    return out


def noise(channels, height, width, lo=0.0, hi=1.0):
    return RNG.uniform(lo, hi, size=(channels, height, width))


def add_noise(img, std, lo, hi):
    return np.clip(img + RNG.normal(0.0, std, size=img.shape), lo, hi)


def blur(img, sigma):
    return np.stack([ndi.gaussian_filter(ch, sigma, mode="reflect") for ch in img])


def cases():
    """(name, a, b, data_range); a and b are CHW arrays."""
    s = smooth(3, 32, 32)
    yield "noise_pair_rgb", noise(3, 32, 32), noise(3, 32, 32), 1.0
    yield "smooth_vs_noised", s, add_noise(s, 0.05, 0.0, 1.0), 1.0
    yield "smooth_vs_blurred", s, blur(s, 1.0), 1.0
    yield "smooth_vs_shifted", s, np.roll(s, shift=(2, -1), axis=(1, 2)), 1.0
    yield "smooth_vs_inverted", s, 1.0 - s, 1.0
    yield "identical", s, s.copy(), 1.0
    yield "constant_pair", np.full((3, 16, 16), 0.5), np.full((3, 16, 16), 0.6), 1.0
    c = smooth(3, 16, 16)
    yield "constant_vs_smooth", np.full((3, 16, 16), 0.5), c, 1.0
    n = smooth(3, 40, 56)
    yield "non_square_3x40x56", n, add_noise(blur(n, 0.7), 0.03, 0.0, 1.0), 1.0
    g = smooth(1, 48, 48)
    yield "single_channel_48x48", g, add_noise(g, 0.1, 0.0, 1.0), 1.0
    m = smooth(3, 32, 32, -1.0, 1.0)
    yield "range2_minus1_to_1", m, add_noise(0.9 * m + 0.05, 0.08, -1.0, 1.0), 2.0
    e = np.round(smooth(3, 32, 32, 0.0, 255.0))
    yield "range255_integer_valued", e, np.clip(np.round(e + RNG.normal(0, 6, e.shape)), 0, 255), 255.0
    f = smooth(3, 64, 64)
    yield "frame_3x64x64_contrast", f, add_noise(0.8 * f + 0.1, 0.02, 0.0, 1.0), 1.0
    yield "minimum_size_11x11", noise(3, 11, 11), noise(3, 11, 11), 1.0


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.bin"):
        old.unlink()
    entries = []
    for name, a, b, data_range in cases():
        a32 = np.ascontiguousarray(a, dtype="<f4")
        b32 = np.ascontiguousarray(b, dtype="<f4")
        assert a32.shape == b32.shape and a32.ndim == 3
        a64, b64 = a32.astype(np.float64), b32.astype(np.float64)
        channels, height, width = a32.shape
        if channels == 1:
            # exercise skimage's grayscale path (no channel_axis)
            ssim = structural_similarity(a64[0], b64[0], gaussian_weights=True, sigma=1.5,
                                         use_sample_covariance=False, data_range=data_range)
        else:
            ssim = structural_similarity(a64, b64, gaussian_weights=True, sigma=1.5,
                                         use_sample_covariance=False, data_range=data_range,
                                         channel_axis=0)
        with np.errstate(divide="ignore"):
            psnr = peak_signal_noise_ratio(a64, b64, data_range=data_range)
        (OUT / f"{name}.bin").write_bytes(a32.tobytes() + b32.tobytes())
        entries.append({
            "name": name,
            "file": f"{name}.bin",
            "channels": int(channels),
            "height": int(height),
            "width": int(width),
            "dataRange": float(data_range),
            "ssim": float(ssim),
            "psnr": float(psnr) if np.isfinite(psnr) else None,
        })
        print(f"{name:28s} ssim={ssim: .6f} psnr={psnr:.4f}")
    index = {
        "generator": (f"src/test/python/make_metric_fixtures.py with numpy {np.__version__}, "
                      f"scipy {scipy.__version__}, scikit-image {skimage.__version__}: "
                      "structural_similarity(gaussian_weights=True, sigma=1.5, "
                      "use_sample_covariance=False, data_range=dataRange, channel_axis=0), "
                      "peak_signal_noise_ratio(data_range=dataRange); "
                      "<file> = a then b, little-endian float32, CHW"),
        "cases": entries,
    }
    (OUT / "index.json").write_text(json.dumps(index, indent=1) + "\n")


if __name__ == "__main__":
    main()
