"""Do generated revisit frames bring back the paintings? A measure for the decoration bar.

    cd models/experiments
    /usr/bin/python3 decorations.py ../maze-none ../maze-prepend-4 ../maze-prepend-16 [--seeds 3]

The retrieval set is rebuilt from its maze seeds (make_eval.retrieval_cases; the pytest
test_world checks it equals the committed PNGs) and every trajectory is rendered a second time with its paintings removed.
Painting pixels = where the two renderings differ. For each revisit frame of the 1-16 bucket
that shows at least --min-pixels painting pixels, it compares the generated frame with the
ground truth on those pixels only:

* painting MAE: mean absolute error over the painting pixels (0-255 per channel);
* bare-wall MAE: the same for the no-painting rendering (what a model that remembers the
  room but not the painting would ideally draw);
* recalled: on those pixels the generated frame is closer to the painting than to the bare
  wall (MAE to the ground truth below MAE to the no-painting rendering): which of the two
  the model drew. A model that forgets the painting draws the wall and scores near 0; a
  blurry guess between the two lands on either side by chance.

The recall is also split by whether the frame's paintings were in view in the context clip
(shown_in_context): a painting the context never showed was first drawn by the model itself,
so only those the context showed can be recalled.

Prints one line per bundle and writes <out>/decorations.json, and <out>/painting-strip.png:
rows ground truth, the same views without paintings, then each bundle (seed 0); columns the
first STRIP_PER_TRAJ counted frames of each trajectory (a fixed rule, not picked by quality).
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "training"))
import make_eval  # noqa: E402
from data import bare_rendering, shown_in_context  # noqa: E402
from evaluate import HERE, Bundle, add_sampling_args, imsave, load_set, override_sampling, run_set, to_img  # noqa: E402


def retrieval_paintings(cases=None):
    """[(frames, frames rendered without paintings, painting-pixel masks [N, H, W], sinceSeen)]
    for the retrieval set (make_eval.retrieval_cases; the pytest test_world checks it equals the
    committed PNGs)."""
    return [(fr, *bare_rendering(maze, pose, acts, fr, make_eval.H, make_eval.W), np.array(since))
            for maze, pose, fr, acts, since in (cases or make_eval.retrieval_cases())]


def counted_frames(since, masks, c, n, min_pixels):
    """Indices of the frames the measure counts among the n after the c context frames: revisits
    of the 1-16 bucket that show at least min_pixels painting pixels."""
    return [i for i in range(c, c + n) if 1 <= since[i] <= 16 and masks[i].sum() >= min_pixels]


def painting_scores(frame, truth, bare, mask):
    """On the painting pixels `mask` (images 0-255, [H, W, 3]): the MAE of `frame` to the truth,
    the MAE of the bare wall to the truth, and whether `frame` is closer to the painting than to
    the bare wall (recalled)."""
    truth = truth.astype(np.float64)
    mae = np.abs(frame - truth)[mask].mean()
    return mae, np.abs(bare - truth)[mask].mean(), mae < np.abs(frame - bare)[mask].mean()


STRIP_PER_TRAJ = 3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bundles", nargs="+")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--min-pixels", type=int, default=16)
    ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "docs", "issue3"))
    add_sampling_args(ap)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cases = make_eval.retrieval_cases()
    trajs = retrieval_paintings(cases)
    c0 = load_set("retrieval")[0]["contextFrames"]
    in_ctx = [shown_in_context(maze, pose, acts, bare, c0) for (maze, pose, _, acts, _), (_, bare, _, _) in zip(cases, trajs)]
    results = {}
    strip = {}
    for path in args.bundles:
        b = Bundle(path)
        override_sampling(b, args)
        _, _, c, gen, _, _ = run_set(b, "retrieval", 128, None, args.seeds)
        n = gen.shape[1]
        maes, bare_maes, recalled, counted, ctx = [], [], [], [], []
        for k in range(gen.shape[0]):
            fr, fr_bare, masks, since = trajs[k % len(trajs)]
            for i in counted_frames(since, masks, c, n, args.min_pixels):
                g = ((np.clip(gen[k, i - c], -1, 1) + 1) * 127.5).transpose(1, 2, 0)
                mae, bare, hit = painting_scores(g, fr[i], fr_bare[i], masks[i])
                maes.append(mae)
                bare_maes.append(bare)
                recalled.append(hit)
                counted.append((k, i - c))
                ctx.append(in_ctx[k % len(trajs)][i])
        r = {"frames": len(maes), "painting_mae": round(float(np.mean(maes)), 2),
             "bare_wall_mae": round(float(np.mean(bare_maes)), 2),
             "recalled": round(float(np.mean(recalled)), 3), "seeds": args.seeds, "min_pixels": args.min_pixels}
        rec, ctx = np.array(recalled), np.array(ctx)
        for name, sel in (("in_context", ctx), ("not_in_context", ~ctx)):
            r["frames_painting_" + name] = int(sel.sum())
            r["recalled_painting_" + name] = round(float(rec[sel].mean()), 3) if sel.any() else None
        results[b.id] = r
        print(b.id, json.dumps(r), flush=True)
        # strip columns: the first STRIP_PER_TRAJ counted frames of each trajectory, seed 0
        cols = [(k, j) for k in range(len(trajs)) for j in [jj for kk, jj in counted if kk == k][:STRIP_PER_TRAJ]]
        if not strip:
            strip["ground truth"] = [trajs[k][0][c + j] for k, j in cols]
            strip["without paintings"] = [trajs[k][1][c + j] for k, j in cols]
        strip[b.id] = [to_img(gen[k, j]) for k, j in cols]
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "decorations.json"), "w") as f:
        json.dump(results, f, indent=1)
    img = np.concatenate([np.concatenate(row, 1) for row in strip.values()], 0).repeat(2, 0).repeat(2, 1)
    imsave(os.path.join(args.out, "painting-strip.png"), img, check_contrast=False)
    with open(os.path.join(args.out, "painting-strip.txt"), "w") as f:
        f.write("rows, top to bottom: " + ", ".join(strip) + "\ncolumns: the first %d revisit frames (1-16 bucket, "
                ">= %d painting pixels) of each retrieval trajectory, seed-0 samples\n" % (STRIP_PER_TRAJ, args.min_pixels))


if __name__ == "__main__":
    main()
