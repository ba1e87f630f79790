"""World v2 bars of a bundle (the issue "A world model that follows the actions"), with the
reference sampler of evaluate.py (the Java engine's loop, checked by SamplerParityTest):

    /usr/bin/python3 evaluate2.py ../maze2-unet-4 [--seeds 2] [--out ../../docs/examples]

Schedule: input levels [0, .., 0, T] (every frame denoised from noise given clean past frames,
DIAMOND's schedule; lag 0) with M_ar = the bundle's ar_steps, eta the bundle's.
- controllability (v2-controllability states): per action a, the share of states where the
  frame made for a (true history, the same noise for every action) is nearer (MSE) to the true
  next frame for a than to the true next frame of every other action; split by newView.
- free running (the set's 16 trajectories, 8 context + 72 frames): per action, the mean
  frame-to-frame change (0-255 mean absolute difference) of generated against true frames;
  the sharpness ratio (mean squared image gradient, generated / true) over the first 16 frames.
- accumulation (v2-accumulation): PSNR over the first 16 generated frames against repeating
  the last context frame.
Writes <out>/<id>-v2-accumulation.png and <out>/<id>-v2-controllability.png (truth rows above
generated rows, 4x nearest-neighbour) and prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
from typing import Any, Sequence, Tuple

import numpy as np
import torch
from skimage.io import imsave

from evaluate import Bundle, generate, interval_psnr, load_set, onehot, read_manifest, read_tiles

HERE = os.path.dirname(os.path.abspath(__file__))

# a controllability state: history frames [P, C, H, W], its one-hot actions, the true next frame for
# every action [A, C, H, W], and per action whether that next view is new
State = Tuple[torch.Tensor, torch.Tensor, np.ndarray, Sequence[bool]]


def dc_levels(b: Bundle) -> Tuple[list[int], list[int]]:
    w = b.w
    return [0] * (w - 1) + [b.T], [0] * w


def gen(b: Bundle, ctx: torch.Tensor, ctx_a: torch.Tensor, fut_a: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    return generate(b, ctx, ctx_a, fut_a, n, stride=1, seed=seed, levels=dc_levels(b))


def load_states(name: str = "v2-controllability") -> Tuple[dict[str, Any], list[State]]:
    d, man = read_manifest(name)
    out = []
    for s in man["states"]:
        hist = read_tiles(os.path.join(d, s["history"]), man)
        nxt = read_tiles(os.path.join(d, s["next"]), man)
        out.append((torch.from_numpy(hist), onehot(man["actions"]["names"], s["historyActions"]), nxt, s["newView"]))
    return man, out


def controllability(b: Bundle, seeds: int) -> Tuple[dict[str, Any], list[State], np.ndarray]:
    man, states = load_states()
    names = man["actions"]["names"]
    A = len(names)
    hits = {a: [] for a in names}
    hits_new = {a: [] for a in names}
    hits_seen = {a: [] for a in names}
    samples = []
    for seed in range(seeds):
        ctx = torch.stack([s[0] for s in states])
        ctx_a = torch.stack([s[1] for s in states])
        outs = []
        for a in range(A):
            fut = torch.zeros(len(states), 1, A, dtype=torch.float64)
            fut[:, 0, a] = 1
            outs.append(gen(b, ctx, ctx_a, fut, 1, seed)[:, 0].numpy())
        outs = np.stack(outs, 1)  # [S, A, C, H, W]
        for i, (_, _, nxt, new) in enumerate(states):
            d = ((outs[i][:, None] - nxt[None]) ** 2).mean(axis=(2, 3, 4))  # [gen a, true b]
            for a in range(A):
                ok = bool(np.all(d[a, a] < np.delete(d[a], a)))
                hits[names[a]].append(ok)
                (hits_new if new[a] else hits_seen)[names[a]].append(ok)
        if seed == 0:
            samples = outs
    r = lambda h: {a: (round(float(np.mean(v)), 3) if v else None) for a, v in h.items()}
    return {"all": r(hits), "newViews": r(hits_new), "seenViews": r(hits_seen),
            "states": len(states), "seeds": seeds}, states, samples


def change(fr: np.ndarray, acts: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """fr [B, n, C, H, W] in [-1, 1] (first = last context frame); acts [B, n] action index of each frame."""
    d = np.abs(np.diff(fr, axis=1)).mean(axis=(2, 3, 4)) * 127.5  # [B, n-1]
    return d, acts[:, 1:]


def sharp(fr: np.ndarray) -> float:
    gx = np.diff(fr, axis=-1)
    gy = np.diff(fr, axis=-2)
    return float((gx ** 2).mean() + (gy ** 2).mean())


def free_running(b: Bundle, seeds: int) -> dict[str, Any]:
    man, trajs = load_set("v2-controllability")
    names = man["actions"]["names"]
    c = man["contextFrames"]
    n = min(t[0].shape[0] for t in trajs) - c
    ctx = torch.stack([t[0][:c] for t in trajs])
    ctx_a = torch.stack([t[1][:c] for t in trajs])
    fut_a = torch.stack([t[1][c:c + n] for t in trajs])
    gt = torch.stack([t[0][c - 1:c + n] for t in trajs]).numpy()
    acts = fut_a.argmax(-1).numpy()
    acts = np.concatenate([np.zeros((len(trajs), 1), int), acts], 1)
    tg, ta = change(gt, acts)
    gens, gchg, gsharp = [], [], []
    for seed in range(seeds):
        g = gen(b, ctx, ctx_a, fut_a, n, seed).numpy()
        g = np.concatenate([gt[:, :1], g], 1)
        gens.append(g)
        gd, _ = change(g, acts)
        gchg.append(gd)
        gsharp.append(sharp(g[:, 1:17]))
    gchg = np.concatenate(gchg)
    ta2 = np.concatenate([ta] * seeds)
    per = {}
    for k, a in enumerate(names):
        t_m, g_m = tg[ta == k].mean(), gchg[ta2 == k].mean()
        per[a] = {"true": round(float(t_m), 2), "generated": round(float(g_m), 2),
                  "ratio": round(float(g_m / t_m), 3) if t_m > 0 else None}
    return {"change": per, "sharpness": round(float(np.mean(gsharp) / sharp(gt[:, 1:17])), 3), "frames": n}


def accumulation(b: Bundle, seeds: int) -> Tuple[dict[str, Any], np.ndarray, np.ndarray, np.ndarray]:
    man, trajs = load_set("v2-accumulation")
    c = man["contextFrames"]
    n = 16
    ctx = torch.stack([t[0][:c] for t in trajs])
    ctx_a = torch.stack([t[1][:c] for t in trajs])
    fut_a = torch.stack([t[1][c:c + n] for t in trajs])
    gt = torch.stack([t[0][c:c + n] for t in trajs]).numpy()
    last = ctx[:, -1].numpy()
    ps, g0 = [], None
    for seed in range(seeds):
        g = gen(b, ctx, ctx_a, fut_a, n, seed).numpy()
        g0 = g if g0 is None else g0
        ps.append(interval_psnr(((g - gt) ** 2).mean(axis=(2, 3, 4))))
    base = interval_psnr(((last[:, None] - gt) ** 2).mean(axis=(2, 3, 4)))
    return {"psnr_0_16": round(float(np.mean(ps)), 3), "copy_last": base,
            "gain_db": round(float(np.mean(ps)) - base, 3)}, gt, g0, ctx.numpy()


def img(fr: np.ndarray) -> np.ndarray:
    return ((np.clip(fr, -1, 1) + 1) * 127.5).round().astype(np.uint8).transpose(1, 2, 0)


def grid(rows: Sequence[Sequence[np.ndarray]], scale: int = 4, gap: int = 2) -> np.ndarray:
    """rows: lists of [C, H, W] frames -> one uint8 picture, a white gap between rows."""
    H, W = rows[0][0].shape[1:]
    n = max(len(r) for r in rows)
    out = np.full((len(rows) * (H + gap), n * W, 3), 255, np.uint8)
    for i, r in enumerate(rows):
        for j, f in enumerate(r):
            out[i * (H + gap):i * (H + gap) + H, j * W:(j + 1) * W] = img(f)
    return np.kron(out, np.ones((scale, scale, 1), np.uint8))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("bundle")
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--ar-steps", type=int, default=None)
    ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "docs", "examples"))
    args = ap.parse_args()
    torch.set_num_threads(2)
    b = Bundle(args.bundle)
    if args.ar_steps:
        b.mj["sampling"]["ar_steps"] = args.ar_steps
    res = {"bundle": b.id, "schedule": {"inputLevels": dc_levels(b)[0], "arSteps": b.mj["sampling"]["ar_steps"],
                                        "eta": b.mj["sampling"]["eta"]}}
    res["controllability"], states, samples = controllability(b, args.seeds)
    res["freeRunning"] = free_running(b, args.seeds)
    res["accumulation"], gt, g, ctx = accumulation(b, args.seeds)
    os.makedirs(args.out, exist_ok=True)
    rows = []
    for i in range(4):
        rows.append([ctx[i, -1]] + list(gt[i]))
        rows.append([ctx[i, -1]] + list(g[i]))
    imsave(os.path.join(args.out, "%s-v2-accumulation.png" % b.id), grid(rows), check_contrast=False)
    rows = []
    for i in range(8):
        rows.append([states[i][0][-1].numpy()] + list(states[i][2]))
        rows.append([states[i][0][-1].numpy()] + list(samples[i]))
    imsave(os.path.join(args.out, "%s-v2-controllability.png" % b.id), grid(rows), check_contrast=False)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
