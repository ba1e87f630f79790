"""Could a patch-8, width-64 network draw the paintings at all? A bound for its output head.

    cd models/experiments
    /usr/bin/python3 head_bound.py [--dims 32,64,96]

Every bundle ends in a linear map from a 64-wide token to one 8x8x3 patch, so each patch it
draws lies in a 64-dimensional affine subspace. This fits the best such subspace for the
training frames (PCA of their 8x8 patches, 20,000 frames) and projects the ground-truth revisit
frames of the retrieval set on it: if the projections still show the paintings (the measure of
decorations.py: closer to the painting than to the bare wall on the painting pixels), the head's
rank is not what keeps the bundles from recalling them. Counts the same frames as
decorations.py (1-16 bucket, at least --min-pixels painting pixels).
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "training"))
from data import build_cache  # noqa: E402
from decorations import counted_frames, painting_scores, retrieval_paintings  # noqa: E402
from evaluate import HERE, load_set  # noqa: E402

PATCH = 8


def patches(x):
    n, h, w, c = x.shape
    return x.reshape(n, h // PATCH, PATCH, w // PATCH, PATCH, c).transpose(0, 1, 3, 2, 4, 5).reshape(-1, PATCH * PATCH * c)


def unpatch(p, shape):
    n, h, w, c = shape
    return p.reshape(n, h // PATCH, w // PATCH, PATCH, PATCH, c).transpose(0, 1, 3, 2, 4, 5).reshape(shape)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dims", default="32,64,96")
    ap.add_argument("--min-pixels", type=int, default=16)
    args = ap.parse_args()
    frames, _, _ = build_cache(os.path.join(HERE, "runs", "data_32.npz"))
    x = frames.reshape(-1, *frames.shape[2:])
    x = x[np.random.default_rng(0).choice(len(x), 20000, replace=False)].astype(np.float64)
    p = patches(x)
    mu = p.mean(0)
    vt = np.linalg.svd(p - mu, full_matrices=False)[2]
    trajs = retrieval_paintings()
    c = load_set("retrieval")[0]["contextFrames"]  # generated frames only, as decorations.py counts
    for k in [int(v) for v in args.dims.split(",")]:
        v = vt[:k]
        mae, bare_mae, recalled, se = [], [], [], []
        for fr, fr_bare, masks, since in trajs:
            f = fr.astype(np.float64)
            r = unpatch((patches(f) - mu) @ v.T @ v + mu, f.shape)
            for j in counted_frames(since, masks, c, len(f) - c, args.min_pixels):
                se.append(((r[j] - f[j]) ** 2).mean())
                m, b, hit = painting_scores(r[j], fr[j], fr_bare[j], masks[j])
                mae.append(m)
                bare_mae.append(b)
                recalled.append(hit)
        print("%d dims: %d frames, PSNR %.2f dB, painting MAE %.2f (bare wall %.2f), recalled %.3f"
              % (k, len(mae), 10 * np.log10(255 ** 2 / np.mean(se)), np.mean(mae), np.mean(bare_mae), np.mean(recalled)))


if __name__ == "__main__":
    main()
