"""Train one bundle:  /usr/bin/python3 train.py configs/<id>.json [--minutes M] [--steps N]

Diffusion forcing: every window frame gets its own random level (sorted, equal or a clean
prefix in part of the batches so that every schedule obeying the three rules is in
distribution); v-prediction loss on the frames with level > 0. Checkpoints go to
runs/<id>/ckpt.pt every `ckpt_every` steps and at the end; rerunning the same command
resumes. A run stops at `steps` or after `minutes` of wall time, whichever comes first (the
committed configs are bounded by `steps`, the count the committed bundle was trained for).
`init_from` starts a memory variant from another run's EMA weights; `resume_from` continues
another run's full state (used by maze-none, whose first 2140 steps are the stage none-base).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time
from typing import Any, Callable, Iterable, Optional, Tuple

import numpy as np
import torch
import torch.nn as nn

from data import Sampler, build_cache, painting_masks
from networks import KIND, alphas_cumprod_cosine, build

Config = dict[str, Any]  # a training config (configs/*.json with the defaults of load_config)

HERE = os.path.dirname(os.path.abspath(__file__))


def save_checkpoint(path: str, cfg: Config, **state: Any) -> None:
    """Writes a run's state (with its config and the hardware it ran on) to `path` atomically."""
    state.update(cfg=cfg, hardware="%s, %d torch threads, torch %s" % (
        platform.processor() or platform.machine(), cfg["threads"], torch.__version__))
    torch.save(state, path + ".tmp")
    os.replace(path + ".tmp", path)


def ema_update(pairs: Iterable[Tuple[Optional[nn.Module], Optional[nn.Module]]], cap: float, step: int) -> None:
    """EMA of each (model, ema) pair's weights (None models skipped); the decay ramps up to `cap`."""
    d = min(cap, (1.0 + step) / (10.0 + step))
    with torch.no_grad():
        for m, e in pairs:
            if m is None:
                continue
            for p, q in zip(m.parameters(), e.parameters()):
                q.mul_(d).add_(p.detach(), alpha=1 - d)


def log_progress(hist: list[list[float]], acc: list[float], step: int, t_start: float) -> list[float]:
    """Records and prints the mean loss since the last call and the seconds per step since then (not
    since step 0, which for a resumed or fine-tuned run spans earlier sessions); returns a fresh
    accumulator."""
    el = time.time() - t_start
    prev_step, prev_el = (hist[-1][0], hist[-1][2]) if hist else (0, 0.0)
    rate = (el - prev_el) / max(step - prev_step, 1)
    hist.append([step, float(np.mean(acc)), el])
    print("step %d loss %.4f  %.3f s/step  %.1f min" % (step, np.mean(acc), rate, el / 60), flush=True)
    return []


def load_config(path: str) -> Config:
    with open(path) as f:
        cfg = json.load(f)
    base = dict(height=32, width=32, dim=128, patch=4, depth=4, heads=4, window=4, memory_frames=0,
                memory_tokens=0, batch=16, lr=3e-4, steps=3000, minutes=30, ckpt_every=100, seed=0,
                init_from=None, resume_from=None, timesteps=1000, ema=0.998, threads=2, prediction="x0",
                revisit_bias=0.5, paint_bias=0.0, paint_weight=1.0, cooldown_from=None, pose_bias=False)
    base.update(cfg)
    return base


def learning_rate(cfg: Config, step: int) -> float:
    """Warm-up over the first 100 steps, then constant; with `cooldown_from` the rate falls
    linearly from there to 0 at `steps` (a cool-down phase at the end of a run)."""
    lr = cfg["lr"] * min(1.0, (step + 1) / 100.0)
    c = cfg["cooldown_from"]
    if c is not None and step >= c:
        lr *= max(0.0, (cfg["steps"] - step) / max(cfg["steps"] - c, 1))
    return lr


def init_source(name: str, runs: str) -> str:
    """Where `init_from` takes its weights: an absolute checkpoint path as given; a run id, that
    run's checkpoint runs/<id>/ckpt.pt when it exists, else the committed bundle ../<id>/ (whose
    denoiser.pt holds that run's exported EMA weights), so a fresh clone can continue a bundle."""
    if os.path.isabs(name):
        return name
    ck = os.path.join(runs, name, "ckpt.pt")
    if os.path.exists(ck):
        return ck
    bundle = os.path.join(HERE, "..", name)
    if os.path.exists(os.path.join(bundle, "denoiser.pt")):
        return bundle
    return ck


def init_from(den: nn.Module, path: str) -> int:
    """Initialize a memory variant from a trained checkpoint's EMA weights (or a bundle folder's
    denoiser.pt). Matching tensors are copied, new ones keep their (zero) initialization; the
    temporal position table is copied into the window slots (and the memory slots start from the
    oldest window slot)."""
    if os.path.isdir(path):
        sd = torch.jit.load(os.path.join(path, "denoiser.pt"), map_location="cpu").state_dict()
    else:
        sd = torch.load(path, map_location="cpu")["ema"]
    own = den.state_dict()
    n = 0
    for k, v in sd.items():
        if k not in own:
            continue
        if own[k].shape == v.shape:
            own[k].copy_(v)
            n += 1
        elif k == "tpos":
            w = v.shape[1]
            own[k][:, -w:] = v
            own[k][:, :-w] = v[:, :1]
            n += 1
    den.load_state_dict(own)
    return n


def make_batch(sampler: Sampler, enc_kind: str, B: int, ac: torch.Tensor, T: int, prediction: str = "v"
               ) -> Tuple[torch.Tensor, ...]:
    x0, a, mem, ma, mm, pw = sampler.batch(B)
    lv = sampler.levels(B, T)
    x0 = torch.from_numpy(x0)
    lv_t = torch.from_numpy(lv)
    eps = torch.randn_like(x0)
    abar = ac[lv_t][:, :, None, None, None]
    xt = abar.sqrt() * x0 + (1 - abar).sqrt() * eps
    v = abar.sqrt() * eps - (1 - abar).sqrt() * x0 if prediction == "v" else x0
    return (xt, lv_t, torch.from_numpy(a), torch.from_numpy(mem), torch.from_numpy(ma), torch.from_numpy(mm), v, abar,
            torch.from_numpy(pw))


def x0_weight(abar: torch.Tensor) -> torch.Tensor:
    """v-MSE times (1 - abar) is the x0-MSE: the loss on the clean-frame estimate. It stops
    the network from spending capacity on the (unlearnable at patch 8) fine noise of the
    low levels; a small floor keeps those levels trained."""
    return (1.0 - abar).clamp(min=0.05)


def forward(den: nn.Module, enc: Optional[nn.Module], kind: str, xt: torch.Tensor, lv: torch.Tensor, a: torch.Tensor,
            mem: torch.Tensor, ma: torch.Tensor, mm: torch.Tensor) -> torch.Tensor:
    B = xt.shape[0]
    if kind == "tokens":
        tok = enc(mem, ma, mm)
        return den(xt, lv, a, tok, torch.zeros(B, 0, 5), torch.ones(B, tok.shape[1], dtype=torch.bool))
    if kind == "none":
        return den(xt, lv, a, torch.zeros(B, 0, *xt.shape[2:]), torch.zeros(B, 0, 5), torch.zeros(B, 0, dtype=torch.bool))
    return den(xt, lv, a, mem, ma, mm)


def loss_fn(pred: torch.Tensor, v: torch.Tensor, lv: torch.Tensor, abar: Optional[torch.Tensor] = None,
            pw: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Mean over the noised frames (level > 0) of the per-frame MSE; pw [B, w, 1, H, W] weights
    pixels (the sampler's painting weights)."""
    err = (pred - v) ** 2
    per = (err if pw is None else err * pw).mean(dim=(2, 3, 4))
    if abar is not None:
        per = per * x0_weight(abar[:, :, 0, 0, 0])
    m = (lv > 0).float()
    return (per * m).sum() / m.sum().clamp(min=1.0)


def run_args(load: Callable[[str], Config], extra: Optional[Callable[[argparse.ArgumentParser], None]] = None
             ) -> Tuple[argparse.Namespace, Config]:
    """The command line of a training script: config, --minutes, --steps, --runs (and `extra(ap)`'s
    arguments); returns (args, config with --minutes / --steps applied)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("config")
    ap.add_argument("--minutes", type=float, default=None)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--runs", default=os.path.join(HERE, "runs"))
    if extra:
        extra(ap)
    args = ap.parse_args()
    cfg = load(args.config)
    for k in ("minutes", "steps"):
        if getattr(args, k) is not None:
            cfg[k] = getattr(args, k)
    return args, cfg


def main() -> None:
    args, cfg = run_args(load_config)
    torch.set_num_threads(cfg["threads"])
    torch.manual_seed(cfg["seed"])
    rid = cfg["id"]
    out = os.path.join(args.runs, rid)
    os.makedirs(out, exist_ok=True)
    frames, actions, since = build_cache(os.path.join(args.runs, "data_%d.npz" % cfg["height"]), H=cfg["height"], W=cfg["width"])
    kind = KIND[cfg["arch"]]
    wm = cfg["memory_frames"] if kind != "none" else 0
    paint = None
    if cfg["paint_weight"] != 1.0 or cfg["paint_bias"] > 0:
        paint = painting_masks(os.path.join(args.runs, "paint_%d.npz" % cfg["height"]), frames,
                               H=cfg["height"], W=cfg["width"])
    sampler = Sampler(frames, actions, since, window=cfg["window"], memory_frames=wm, seed=cfg["seed"] + 17,
                      revisit_bias=cfg["revisit_bias"], paint=paint, paint_bias=cfg["paint_bias"],
                      paint_weight=cfg["paint_weight"])
    den, enc = build(cfg)
    params = list(den.parameters()) + (list(enc.parameters()) if enc is not None else [])
    opt = torch.optim.AdamW(params, lr=cfg["lr"], weight_decay=0.01)
    ema_den, ema_enc = build(cfg)
    step, wall, hist = 0, 0.0, []
    ck = os.path.join(out, "ckpt.pt")
    # a run's own checkpoint resumes it; `resume_from` continues another run's full state (weights,
    # EMA, optimizer, step count, wall time): maze-none was trained in two stages, and the memory
    # variants start from the first
    src = ck if os.path.exists(ck) else (
        os.path.join(args.runs, cfg["resume_from"], "ckpt.pt") if cfg["resume_from"] else None)
    if src is not None:
        s = torch.load(src, map_location="cpu")
        den.load_state_dict(s["model"])
        ema_den.load_state_dict(s["ema"])
        if enc is not None:
            enc.load_state_dict(s["enc"])
            ema_enc.load_state_dict(s["ema_enc"])
        opt.load_state_dict(s["opt"])
        step, wall, hist = s["step"], s["wall"], s["hist"]
        print("resumed %s from %s at step %d (%.1f min)" % (rid, src, step, wall / 60), flush=True)
    else:
        if cfg["init_from"]:
            p = init_source(cfg["init_from"], args.runs)
            print("init from %s: %d tensors" % (p, init_from(den, p)), flush=True)
        ema_den.load_state_dict(den.state_dict())
        if enc is not None:
            ema_enc.load_state_dict(enc.state_dict())
    nparam = sum(p.numel() for p in params)
    print("%s: arch=%s params=%d batch=%d" % (rid, cfg["arch"], nparam, cfg["batch"]), flush=True)
    ac = torch.tensor(alphas_cumprod_cosine(cfg["timesteps"]), dtype=torch.float32)
    t_start = time.time() - wall
    last_ck = time.time()
    acc = []

    def save() -> None:
        extra = dict(enc=enc.state_dict(), ema_enc=ema_enc.state_dict()) if enc is not None else {}
        save_checkpoint(ck, cfg, model=den.state_dict(), ema=ema_den.state_dict(), opt=opt.state_dict(), step=step,
                        wall=time.time() - t_start, hist=hist, **extra)

    while step < cfg["steps"] and (time.time() - t_start) < cfg["minutes"] * 60:
        batch = make_batch(sampler, kind, cfg["batch"], ac, cfg["timesteps"], cfg["prediction"])
        xt, lv, a, mem, ma, mm, v, abar, pw = batch
        lr = learning_rate(cfg, step)
        for g in opt.param_groups:
            g["lr"] = lr
        pred = forward(den, enc, kind, xt, lv, a, mem, ma, mm)
        loss = loss_fn(pred, v, lv, abar if cfg["prediction"] == "v" else None, pw)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        ema_update(((den, ema_den), (enc, ema_enc)), cfg["ema"], step)
        acc.append(loss.item())
        if step % 20 == 0:
            acc = log_progress(hist, acc, step, t_start)
        if step % cfg["ckpt_every"] == 0 or time.time() - last_ck > 120:
            save()
            last_ck = time.time()
    save()
    print("done %s step %d wall %.1f min" % (rid, step, (time.time() - t_start) / 60), flush=True)


if __name__ == "__main__":
    main()
