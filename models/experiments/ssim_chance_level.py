"""SSIM between unrelated views of the maze, to justify the retrieval threshold (docs/evaluation.md).

    /usr/bin/python3 models/experiments/ssim_chance_level.py models/eval

Same SSIM as the service (Gaussian 11x11, sigma 1.5, population covariance, data range 2 on
[-1, 1] frames). Prints the distribution of SSIM between random frames of different
trajectories, and between frames k and k + lag of one trajectory.
"""
import json
import os
import sys

import numpy as np
from skimage.io import imread
from skimage.metrics import structural_similarity


def load(root, name):
    with open(os.path.join(root, name, "manifest.json")) as f:
        m = json.load(f)
    h, w = m["frame"]["height"], m["frame"]["width"]
    out = []
    for t in m["trajectories"]:
        img = imread(os.path.join(root, name, t["frames"]))[:, :, :3].astype(np.float64) / 127.5 - 1
        out.append(img.reshape(h, t["length"], w, 3).transpose(1, 0, 2, 3))
    return out


def ssim(a, b):
    return structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                 data_range=2.0, channel_axis=2)


def main():
    root = sys.argv[1]
    trajs = [t for name in sorted(os.listdir(root)) if os.path.isfile(os.path.join(root, name, "manifest.json"))
             for t in load(root, name)]
    rng = np.random.RandomState(0)
    chance = []
    for _ in range(400):
        i, j = rng.choice(len(trajs), 2, replace=False)
        chance.append(ssim(trajs[i][rng.randint(len(trajs[i]))], trajs[j][rng.randint(len(trajs[j]))]))
    chance = np.array(chance)
    print("unrelated views: mean %.3f, median %.3f, p90 %.3f, p99 %.3f, share > 0.5: %.3f"
          % (chance.mean(), np.median(chance), np.percentile(chance, 90), np.percentile(chance, 99),
             (chance > 0.5).mean()))
    for lag in (1, 2, 4, 8):
        v = np.array([ssim(f[k], f[k + lag]) for f in trajs for k in range(0, len(f) - lag, 3)])
        print("frames k and k+%d: mean %.3f, share > 0.5: %.3f" % (lag, v.mean(), (v > 0.5).mean()))


if __name__ == "__main__":
    main()
