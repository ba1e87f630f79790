"""Meta-ARVDM sampler and the issue's quality bars, run on exported bundles.

    /usr/bin/python3 evaluate.py ../maze-none ../maze-prepend-16 ... [--out ../../docs/issue3]

For each bundle: accumulation set (PSNR/SSIM per interval of generated frames, against the
"repeat the last context frame" baseline) and retrieval set (SSIM of generated revisit
frames per bucket of frames-since-seen, and the retrieval rate SSIM > 0.5). Results go to
<out>/results.json; a strip (ground truth row above each bundle's generated row) to
<out>/retrieval-strip.png and <out>/accumulation-strip.png.

The loop (docs/meta-arvdm.md): default schedule family with w from the bundle and stride Δ,
DDIM (η from the bundle, x̂0 clamped to [-1, 1]). Context enters the network through
memory (frames / tokens kinds) and, for every kind, through the window: during the
initialization stage the window is [last Δ context frames at level 0, w-Δ new frames at
level T]; memory then holds the history before those Δ frames.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any, Callable, Optional, Sequence, Tuple

import numpy as np
import torch
from skimage.io import imread, imsave
from skimage.metrics import structural_similarity

HERE = os.path.dirname(os.path.abspath(__file__))
BUCKETS = [(1, 16), (17, 48), (49, 112)]

Noise = Callable[[Tuple[int, ...]], torch.Tensor]  # shape -> float64 Gaussian draw
Memory = Tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # memory, memory_actions, memory_mask
Trajectory = Tuple[torch.Tensor, torch.Tensor, np.ndarray]  # frames [N, C, H, W], one-hot actions, sinceSeen


class Bundle:
    def __init__(self, path: str) -> None:
        with open(os.path.join(path, "model.json")) as f:
            self.mj = json.load(f)
        self.id = self.mj["id"]
        self.den = torch.jit.load(os.path.join(path, "denoiser.pt"))
        self.kind = self.mj["memory"]["kind"]
        self.enc = torch.jit.load(os.path.join(path, "memory_encoder.pt")) if self.kind == "tokens" else None
        self.ac = torch.tensor(self.mj["diffusion"]["alphas_cumprod"], dtype=torch.float64)
        self.T = self.mj["diffusion"]["timesteps"]
        self.w = self.mj["window"]["frames"]
        self.wm = self.mj["memory"]["frames"]
        self.pred = self.mj["diffusion"]["prediction"]
        self.calls = 0
        self.call_time = 0.0

    def memory_inputs(self, hist: torch.Tensor, hist_a: torch.Tensor, upto: int) -> Memory:
        """Memory from history[:upto] (last wm frames)."""
        B = hist.shape[0]
        C, H, W = hist.shape[2:]
        if self.kind == "none":
            return torch.zeros(B, 0, C, H, W), torch.zeros(B, 0, 5), torch.zeros(B, 0, dtype=torch.bool)
        lo = max(0, upto - self.wm)
        m = hist[:, lo:upto]
        ma = hist_a[:, lo:upto]
        # pass the full w_m slots, padding (mask false) in front while history is short
        pad = self.wm - m.shape[1]
        mask = torch.cat([torch.zeros(B, pad, dtype=torch.bool), torch.ones(B, m.shape[1], dtype=torch.bool)], 1)
        m = torch.cat([torch.zeros(B, pad, C, H, W), m], 1)
        ma = torch.cat([torch.zeros(B, pad, 5), ma], 1)
        if self.kind == "tokens":
            with torch.no_grad():
                tok = self.enc(m, ma, mask)
            return tok, torch.zeros(B, 0, 5), torch.ones(B, tok.shape[1], dtype=torch.bool)
        return m, ma, mask

    def call(self, x: torch.Tensor, lv: torch.Tensor, a: torch.Tensor, mem: Memory) -> torch.Tensor:
        t = time.time()
        with torch.no_grad():
            out = self.den(x.float(), lv, a, *mem).double()
        self.call_time += time.time() - t
        self.calls += 1
        return out

    def ddim(self, x: torch.Tensor, out: torch.Tensor, t: torch.Tensor, s: torch.Tensor, eta: float = 0.0,
             noise: Optional[Noise] = None) -> torch.Tensor:
        """x [B,F,...] at levels t [B,F] -> levels s; frames with s == t untouched. sigma*z is drawn from
        noise(shape) frame by frame in window order, only for frames whose sigma > 0 (the Java engine's order)."""
        at = self.ac[t][:, :, None, None, None]
        as_ = self.ac[s][:, :, None, None, None]
        if self.pred == "v":
            x0 = at.sqrt() * x - (1 - at).sqrt() * out
        elif self.pred == "eps":
            x0 = (x - (1 - at).sqrt() * out) / at.sqrt()
        else:
            x0 = out
        x0 = x0.clamp(-1, 1)
        eps = (x - at.sqrt() * x0) / (1 - at).clamp(min=1e-12).sqrt()
        sig = eta * ((1 - as_) / (1 - at).clamp(min=1e-12)).sqrt() * (1 - at / as_).clamp(min=0).sqrt()
        z = torch.zeros_like(x)
        for f in range(x.shape[1]):
            if eta > 0 and bool((sig[:, f] > 0).any()):
                z[:, f] = (noise or _randn)(x[:, f].shape)
        xs = as_.sqrt() * x0 + (1 - as_ - sig ** 2).clamp(min=0).sqrt() * eps + sig * z
        same = (s == t)[:, :, None, None, None]
        return torch.where(same, x, xs)


def onehot(names: Sequence[str], acts: Sequence[str]) -> torch.Tensor:
    a = torch.zeros(len(acts), 5, dtype=torch.float64)
    for i, n in enumerate(acts):
        a[i, names.index(n)] = 1.0
    return a


def _randn(shape: Sequence[int]) -> torch.Tensor:
    return torch.randn(shape, dtype=torch.float64)


def generate(b: Bundle, ctx: torch.Tensor, ctx_a: torch.Tensor, fut_a: torch.Tensor, n: int, stride: Optional[int] = None,
             m_ar: Optional[int] = None, m_init: Optional[int] = None, seed: int = 0,
             levels: Optional[Tuple[Sequence[int], Sequence[int]]] = None, eta: Optional[float] = None,
             noise: Optional[Noise] = None) -> torch.Tensor:
    """ctx [B,c,C,H,W] in [-1,1]; ctx_a [B,c,A]; fut_a [B,n,A]. Returns [B,n,C,H,W].

    levels: optional explicit (input levels, output levels) of one AR step (else the default family);
    noise: optional shape -> float64 tensor, every Gaussian draw in the Java engine's order (initial
    noise, re-noising, sigma*z), for the parity test; frames computed past n get the noop action."""
    g = torch.manual_seed(seed)
    noise = noise or _randn
    w = b.w
    D = stride or b.mj["window"]["stride"]
    m_ar = m_ar or b.mj["sampling"]["ar_steps"]
    m_init = m_init or b.mj["sampling"]["init_steps"]
    eta = b.mj["sampling"]["eta"] if eta is None else eta
    T = b.T
    B, c = ctx.shape[:2]
    if c < D:
        raise ValueError("the context has %d frames, fewer than the stride %d" % (c, D))
    K = w // D
    if levels is None:
        tin = torch.tensor([round(T * ((j // D) + 1) / K) for j in range(w)], dtype=torch.long)
        tout = torch.tensor([round(T * (j // D) / K) for j in range(w)], dtype=torch.long)
    else:
        tin, tout = (torch.tensor(v, dtype=torch.long) for v in levels)
    hist = ctx.clone()
    hist_a = ctx_a.clone()
    total = n + w
    pad = torch.zeros(B, total, fut_a.shape[2], dtype=fut_a.dtype)
    pad[:, :, b.mj["actions"]["names"].index("noop")] = 1.0
    acts = torch.cat([fut_a, pad], 1)[:, :total]
    shape = ctx.shape[2:]
    emitted = 0
    if w > D:
        # initialization: [last D context frames at level 0, w-D new frames T -> 0]
        k = w - D
        x = torch.cat([ctx[:, c - D:], noise((B, k, *shape))], 1)
        a = torch.cat([ctx_a[:, c - D:], acts[:, :k]], 1).float()
        mem = b.memory_inputs(hist.float(), hist_a.float(), c - D)
        lv_prev = torch.cat([torch.zeros(D, dtype=torch.long), torch.full((k,), T, dtype=torch.long)])
        for m in range(1, m_init + 1):
            lv_new = torch.cat([torch.zeros(D, dtype=torch.long),
                                torch.full((k,), int(round(T * (1 - m / m_init))), dtype=torch.long)])
            out = b.call(x, lv_prev.expand(B, w), a, mem)
            x = b.ddim(x, out, lv_prev.expand(B, w), lv_new.expand(B, w), eta, noise)
            lv_prev = lv_new
        init = x[:, D:]
        ac = b.ac[tin[:k]][None, :, None, None, None]
        win = ac.sqrt() * init + (1 - ac).sqrt() * noise(init.shape)
        win = torch.cat([win, noise((B, D, *shape))], 1)
    else:
        win = noise((B, w, *shape))
    win_a = acts[:, :w]
    nxt = w  # index into acts of the next frame to enter
    frames = []
    while emitted < n:
        mem = b.memory_inputs(hist.float(), hist_a.float(), hist.shape[1])
        lv_prev = tin.clone()
        for m in range(1, m_ar + 1):
            lv_new = torch.round(tin.double() + (tout - tin).double() * m / m_ar).long()
            out = b.call(win, lv_prev.expand(B, w), win_a.float(), mem)
            win = b.ddim(win, out, lv_prev.expand(B, w), lv_new.expand(B, w), eta, noise)
            lv_prev = lv_new
        done = win[:, :D].clamp(-1, 1)
        frames.append(done)
        emitted += D
        hist = torch.cat([hist, done], 1)
        hist_a = torch.cat([hist_a, win_a[:, :D]], 1)
        new_a = acts[:, nxt:nxt + D]
        if new_a.shape[1] < D:
            new_a = torch.cat([new_a, pad[:, :D - new_a.shape[1]]], 1)
        nxt += D
        win = torch.cat([win[:, D:], noise((B, D, *shape))], 1)
        win_a = torch.cat([win_a[:, D:], new_a], 1)
    return torch.cat(frames, 1)[:, :n]


def read_manifest(name: str) -> Tuple[str, dict[str, Any]]:
    """(folder, manifest) of the bundled evaluation set `name`."""
    d = os.path.join(HERE, "..", "eval", name)
    with open(os.path.join(d, "manifest.json")) as f:
        return d, json.load(f)


def read_tiles(path: str, man: dict[str, Any]) -> np.ndarray:
    """The frames of a PNG that holds them side by side: float64 [N, C, H, W] in [-1, 1]."""
    H, W = man["frame"]["height"], man["frame"]["width"]
    img = imread(path)[:, :, :3]
    return img.reshape(H, -1, W, 3).transpose(1, 3, 0, 2).astype(np.float64) / 127.5 - 1.0


def load_set(name: str) -> Tuple[dict[str, Any], list[Trajectory]]:
    d, man = read_manifest(name)
    trajs = []
    for t in man["trajectories"]:
        fr = read_tiles(os.path.join(d, t["frames"]), man)  # [N, 3, H, W]
        trajs.append((torch.from_numpy(fr), onehot(man["actions"]["names"], t["actions"]),
                      np.array(t["sinceSeen"])))
    return man, trajs


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = ((a - b) ** 2).mean()
    return float(10 * np.log10(4.0 / max(mse, 1e-12)))


def interval_psnr(mse: np.ndarray) -> float:
    """PSNR of an interval: per trajectory from the mean MSE over the interval's frames
    (frames in [-1, 1], peak-to-peak 2), then averaged over trajectories. (Averaging
    per-frame PSNR would let exact repeats, infinite PSNR, dominate.)"""
    return round(float(np.mean(10 * np.log10(4.0 / np.maximum(mse.mean(axis=1), 1e-10)))), 3)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    return float(structural_similarity(a.transpose(1, 2, 0), b.transpose(1, 2, 0), channel_axis=2, data_range=2.0,
                                       win_size=7))


def to_img(fr: np.ndarray) -> np.ndarray:
    return ((np.clip(fr, -1, 1) + 1) * 127.5).round().astype(np.uint8).transpose(1, 2, 0)


def add_sampling_args(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--eta", type=float, default=None, help="override the bundle's sampling eta")
    ap.add_argument("--ar-steps", type=int, default=None, help="override the bundle's denoising steps per AR stage")


def override_sampling(b: Bundle, args: argparse.Namespace) -> None:
    """Apply --eta / --ar-steps to the bundle's sampling defaults (model.json `sampling`)."""
    if args.eta is not None:
        b.mj["sampling"]["eta"] = args.eta
    if args.ar_steps is not None:
        b.mj["sampling"]["ar_steps"] = args.ar_steps


def run_set(b: Bundle, name: str, n_future: int, stride: Optional[int] = None, seeds: int = 1
            ) -> Tuple[dict[str, Any], list[Trajectory], int, np.ndarray, np.ndarray, np.ndarray]:
    man, trajs = load_set(name)
    c = man["contextFrames"]
    ctx = torch.stack([t[0][:c] for t in trajs])
    ctx_a = torch.stack([t[1][:c] for t in trajs])
    n = min(n_future, min(t[0].shape[0] for t in trajs) - c)
    fut_a = torch.stack([t[1][c:c + n] for t in trajs])
    # several sampling seeds: stacked along the batch axis as if more trajectories
    gen = np.concatenate([generate(b, ctx, ctx_a, fut_a, n, stride=stride, seed=s).numpy() for s in range(seeds)])
    gt = np.concatenate([torch.stack([t[0][c:c + n] for t in trajs]).numpy()] * seeds)
    last = np.concatenate([ctx[:, -1].numpy()] * seeds)
    return man, trajs * seeds, c, gen, gt, last


REVISIT_PER_TRAJ, REVISIT_MIN_SINCE = 4, 4
REVISIT_STRIP_NOTE = ("columns: revisit frames of the 1-16 bucket, the first %d of each retrieval trajectory "
                      "whose place was last seen at least %d frames earlier (seed-0 samples)"
                      % (REVISIT_PER_TRAJ, REVISIT_MIN_SINCE))


def accumulation(b: Bundle, args: argparse.Namespace, r: dict[str, Any], strips: dict[str, dict[str, np.ndarray]]
                 ) -> None:
    man, trajs, c, gen, gt, last = run_set(b, "accumulation", args.acc_frames, args.stride, args.seeds)
    B, n = gen.shape[:2]
    se = ((gen - gt) ** 2).mean(axis=(2, 3, 4))  # [B, n] per-frame MSE
    ss = np.array([[ssim(gen[i, j], gt[i, j]) for j in range(n)] for i in range(B)])
    be = ((last[:, None] - gt) ** 2).mean(axis=(2, 3, 4))
    base_s = np.array([[ssim(last[i], gt[i, j]) for j in range(n)] for i in range(B)])
    r["accumulation"] = {
        "psnr": {"%d-%d" % (k, k + 16): interval_psnr(se[:, k:k + 16]) for k in range(0, n, 16)},
        "ssim": {"%d-%d" % (k, k + 16): round(float(ss[:, k:k + 16].mean()), 4) for k in range(0, n, 16)},
        "copy_last_psnr_0-16": interval_psnr(be[:, :16]),
        "copy_last_ssim_0-16": round(float(base_s[:, :16].mean()), 4),
    }
    r["accumulation"]["beats_copy_last"] = r["accumulation"]["psnr"]["0-16"] > r["accumulation"]["copy_last_psnr_0-16"]
    strips.setdefault("accumulation", {"gt": gt[0, :32]})[b.id] = gen[0, :32]


def retrieval(b: Bundle, args: argparse.Namespace, r: dict[str, Any], strips: dict[str, dict[str, np.ndarray]]
              ) -> None:
    man, trajs, c, gen, gt, last = run_set(b, "retrieval", args.ret_frames, args.stride, args.seeds)
    n = gen.shape[1]
    rb = {}
    for lo, hi in BUCKETS:
        vals = []
        for i, t in enumerate(trajs):
            s = t[2][c:c + n]
            for j in np.nonzero((s >= lo) & (s <= hi))[0]:
                vals.append(ssim(gen[i, j], gt[i, j]))
        key = "%d-%d" % (lo - 1, hi)
        rb[key] = {"n": len(vals), "ssim": round(float(np.mean(vals)), 4) if vals else None,
                   "rate@0.5": round(float(np.mean(np.array(vals) > 0.5)), 3) if vals else None}
    r["retrieval"] = rb
    strips.setdefault("retrieval", {"gt": gt[0, :40]})[b.id] = gen[0, :40]
    # revisit strip: chosen by a fixed rule (not by quality) so every bundle shows the same frames
    cols = []
    for i in range(len(trajs) // args.seeds):
        s = trajs[i][2][c:c + n]
        cols += [(i, j) for j in np.nonzero((s >= REVISIT_MIN_SINCE) & (s <= 16))[0][:REVISIT_PER_TRAJ]]
    strips.setdefault("revisit", {"gt": np.stack([gt[i, j] for i, j in cols])})[b.id] = np.stack([gen[i, j] for i, j in cols])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("bundles", nargs="+")
    ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "docs", "issue3"))
    ap.add_argument("--stride", type=int, default=None)
    ap.add_argument("--acc-frames", type=int, default=64)
    ap.add_argument("--ret-frames", type=int, default=128)
    ap.add_argument("--strip", default=None, help="bundle ids (comma) for the strips; default all")
    ap.add_argument("--tag", default="")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seeds", type=int, default=3, help="sampling seeds, metrics averaged over all")
    add_sampling_args(ap)
    ap.add_argument("--sets", default="accumulation,retrieval", help="which held-out sets to run (comma)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    rpath = os.path.join(args.out, "results%s.json" % args.tag)
    results = json.load(open(rpath)) if os.path.exists(rpath) else {}
    strips = {}
    for path in args.bundles:
        b = Bundle(path)
        override_sampling(b, args)
        t0 = time.time()
        r = {}
        sets = args.sets.split(",")
        if "accumulation" in sets:
            accumulation(b, args, r, strips)
        if "retrieval" in sets:
            retrieval(b, args, r, strips)
        r["network_calls"] = b.calls
        r["ms_per_call_batch8"] = round(1000 * b.call_time / max(b.calls, 1), 1)
        r["eval_wall_s"] = round(time.time() - t0, 1)
        r["stride"] = args.stride or b.mj["window"]["stride"]
        r["sampling"] = b.mj["sampling"]
        r["seeds"] = args.seeds
        results[b.id] = r
        print(b.id, json.dumps(r), flush=True)
        with open(rpath, "w") as f:
            json.dump(results, f, indent=1)
    for name, st in strips.items():
        ids = [k for k in st if k != "gt"]
        if args.strip:
            ids = [k for k in args.strip.split(",") if k in st]
        rows = [np.concatenate([to_img(f) for f in st["gt"]], 1)]
        for k in ids:
            rows.append(np.concatenate([to_img(f) for f in st[k]], 1))
        img = np.concatenate(rows, 0).repeat(2, 0).repeat(2, 1)
        imsave(os.path.join(args.out, "%s-strip%s.png" % (name, args.tag)), img, check_contrast=False)
        with open(os.path.join(args.out, "%s-strip%s.txt" % (name, args.tag)), "w") as f:
            f.write("rows, top to bottom: ground truth, " + ", ".join(ids) + "\n")
            if name == "revisit":
                f.write(REVISIT_STRIP_NOTE + "\n")


if __name__ == "__main__":
    main()
