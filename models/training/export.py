"""Export a trained run as a model bundle (model-bundle.md):

    /usr/bin/python3 export.py configs/<id>.json [--out ../<id>] [--ckpt runs/<id>/ckpt.pt]

Writes model.json, denoiser.pt (torch.jit.script, CPU), memory_encoder.pt (tokens kind)
and parity.npz (inputs and outputs of the saved modules, reloaded with torch.jit.load).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
from typing import Any, Optional

import numpy as np
import torch
import torch.nn as nn

from networks import KIND, alphas_cumprod_cosine, build
from train import HERE, Config, load_config
from world import ACTIONS


def parity_inputs(cfg: Config, B: int = 2, seed: int = 1234) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    C, H, W, w = 3, cfg["height"], cfg["width"], cfg["window"]
    kind = KIND[cfg["arch"]]
    x = torch.randn(B, w, C, H, W, generator=g)
    levels = torch.tensor([[250, 500, 750, 1000], [0, 10, 600, 999]][:B] * (B // 2 + 1), dtype=torch.long)[:B, :w]
    actions = torch.zeros(B, w, len(ACTIONS))
    actions[:, torch.arange(w), torch.randint(0, len(ACTIONS), (w,), generator=g)] = 1.0
    d = dict(x=x, levels=levels, actions=actions)
    if kind == "frames":
        m = cfg["memory_frames"]
        d["memory"] = torch.rand(B, m, C, H, W, generator=g) * 2 - 1
        d["memory_actions"] = torch.zeros(B, m, len(ACTIONS))
        d["memory_actions"][:, :, 1] = 1.0
        mask = torch.ones(B, m, dtype=torch.bool)
        mask[1, : m // 2] = False  # second sample: short history (padding slots)
        d["memory_mask"] = mask
    elif kind == "tokens":
        m = cfg["memory_frames"]
        d["enc_frames"] = torch.rand(B, m, C, H, W, generator=g) * 2 - 1
        d["enc_actions"] = torch.zeros(B, m, len(ACTIONS))
        d["enc_actions"][:, :, 3] = 1.0
        mask = torch.ones(B, m, dtype=torch.bool)
        mask[1, : m // 2] = False
        d["enc_mask"] = mask
    else:
        d["memory"] = torch.zeros(B, 0, C, H, W)
        d["memory_actions"] = torch.zeros(B, 0, len(ACTIONS))
        d["memory_mask"] = torch.zeros(B, 0, dtype=torch.bool)
    return d


def export(cfg: Config, den: nn.Module, enc: Optional[nn.Module], out: str, training: Optional[dict[str, Any]] = None
           ) -> dict[str, Any]:
    os.makedirs(out, exist_ok=True)
    den = den.eval().cpu()
    kind = KIND[cfg["arch"]]
    sd = torch.jit.script(den)
    sd.save(os.path.join(out, "denoiser.pt"))
    if enc is not None:
        se = torch.jit.script(enc.eval().cpu())
        se.save(os.path.join(out, "memory_encoder.pt"))
    dj = torch.jit.load(os.path.join(out, "denoiser.pt"))
    d = parity_inputs(cfg)
    with torch.no_grad():
        if kind == "tokens":
            ej = torch.jit.load(os.path.join(out, "memory_encoder.pt"))
            d["enc_out"] = ej(d["enc_frames"], d["enc_actions"], d["enc_mask"])
            B = d["x"].shape[0]
            d["memory"] = d["enc_out"].clone()
            d["memory_actions"] = torch.zeros(B, 0, len(ACTIONS))
            d["memory_mask"] = torch.ones(B, d["memory"].shape[1], dtype=torch.bool)
        d["out"] = dj(d["x"], d["levels"], d["actions"], d["memory"], d["memory_actions"], d["memory_mask"])
    arrs = {}
    for k, v in d.items():
        a = v.numpy()
        if a.dtype == np.bool_:
            arrs[k] = a.astype(bool)
        elif a.dtype == np.int64:
            arrs[k] = a.astype(np.int64)
        else:
            arrs[k] = a.astype(np.float32)
    np.savez(os.path.join(out, "parity.npz"), **arrs)
    ac = alphas_cumprod_cosine(cfg["timesteps"])
    mem = {"architecture": cfg["arch"], "kind": kind, "frames": cfg["memory_frames"] if kind != "none" else 0}
    if kind == "tokens":
        mem["tokens"] = cfg["memory_tokens"]
        mem["token_dim"] = cfg["dim"]
    n_den = sum(p.numel() for p in den.parameters())
    n_enc = sum(p.numel() for p in enc.parameters()) if enc is not None else 0
    mj = {
        "id": cfg["id"],
        "description": cfg.get("description", cfg["id"]),
        "frame": {"channels": 3, "height": cfg["height"], "width": cfg["width"]},
        "actions": {"type": "discrete", "names": ACTIONS},
        "diffusion": {"timesteps": cfg["timesteps"], "alphas_cumprod": ac, "prediction": cfg["prediction"],
                      "schedule": "cosine (improved DDPM, s=0.008, betas clipped at 0.999)"},
        "window": {"frames": cfg["window"], "stride": 1},
        "sampling": {"ar_steps": cfg.get("ar_steps", 1), "init_steps": cfg.get("init_steps", 4),
                     "eta": cfg.get("eta", 1.0)},
        "memory": mem,
        "parameters": {"denoiser": n_den, "memory_encoder": n_enc},
        "parity": {"atol": 1e-4, "rtol": 1e-4},
        "training": training or {},
    }
    with open(os.path.join(out, "model.json"), "w") as f:
        json.dump(mj, f, indent=1)
    return mj


def init_chain(cfg: Config) -> list[dict[str, Any]]:
    """The runs this bundle's weights descend from, with their steps and wall time."""
    out = []
    p = cfg.get("init_from") or cfg.get("resume_from")
    recorded = []  # the init chain recorded by the last committed bundle on the way
    while p:
        if any(o["run"] == p for o in out):
            raise ValueError("init chain of %s loops back to run %s" % (cfg["id"], p))
        ck = os.path.join(HERE, "runs", p, "ckpt.pt")
        if not os.path.exists(ck):
            # no local run: a committed bundle of that id (train.init_source) records how it was
            # made; past the committed bundles, the chain the last of them recorded
            mj = os.path.join(HERE, "..", p, "model.json")
            if not os.path.exists(mj):
                rest = [i for i, o in enumerate(recorded) if o.get("run") == p]
                out.extend(recorded[rest[0]:] if rest else [{"run": p}])
                break
            with open(mj) as f:
                t = json.load(f).get("training", {})
            out.append({"run": p, "steps": t.get("steps"), "wall_time_min": t.get("wall_time_min"),
                        "prediction": t.get("config", {}).get("prediction"), "batch": t.get("batch"),
                        "weights": "committed bundle models/%s" % p})
            recorded = t.get("init_chain", [])
            p = t.get("init_from") or t.get("resume_from")
            continue
        s = torch.load(ck, map_location="cpu")
        c = s.get("cfg", {})
        out.append({"run": p, "steps": s["step"], "wall_time_min": round(s["wall"] / 60.0, 1),
                    "prediction": c.get("prediction", "v"), "batch": c.get("batch")})
        p = c.get("init_from") or c.get("resume_from")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("config")
    ap.add_argument("--out", default=None)
    ap.add_argument("--ckpt", default=None)
    args = ap.parse_args()
    cfg = load_config(args.config)
    out = args.out or os.path.join(HERE, "..", cfg["id"])
    ck = args.ckpt or os.path.join(HERE, "runs", cfg["id"], "ckpt.pt")
    s = torch.load(ck, map_location="cpu")
    den, enc = build(cfg)
    den.load_state_dict(s["ema"])
    if enc is not None:
        enc.load_state_dict(s["ema_enc"])
    hist = s["hist"]
    last = [h[1] for h in hist[-10:]]
    training = {
        "data": "exploration trajectories (random moves, look-arounds, retracing the last k moves) in 200 training "
                "mazes (seeds 1000-1199), 2 x 128 frames each, 32x32 RGB; held-out eval mazes use seeds >= 900000",
        "objective": "diffusion forcing: independent per-frame levels (45%% sorted, 20%% equal, 30%% of samples with a clean "
                     "prefix of 1-3 frames at level 0), %s-prediction MSE%s, AdamW, EMA weights exported" % (
                         cfg["prediction"], " weighted by (1-abar)" if cfg["prediction"] == "v" else "")
                     + (", %d%% of samples from windows with a revisit in reach of memory" % round(100 * cfg["revisit_bias"])
                        if cfg["memory_frames"] else "")
                     + (" (%d%% from those whose revisit frame shows a painting), painting pixels of in-reach revisit "
                        "frames weighted %g in the loss" % (round(100 * cfg["paint_bias"]), cfg["paint_weight"])
                        if cfg["paint_bias"] > 0 or cfg["paint_weight"] != 1.0 else "")
                     + (", learning rate falling linearly to 0 from step %d" % cfg["cooldown_from"]
                        if cfg["cooldown_from"] is not None else ""),
        "steps": s["step"], "batch": cfg["batch"], "lr": cfg["lr"],
        "wall_time_min": round(s["wall"] / 60.0, 1),
        "final_loss": round(float(np.mean(last)), 4) if last else None,
        "init_from": cfg["init_from"],
        "resume_from": cfg["resume_from"],
        "init_chain": init_chain(cfg),
        "hardware": s.get("hardware", "cpu") + " (2 CPU cores, shared with other training runs and builds)",
        "date": datetime.date.today().isoformat(),
        "command": "cd models/training && /usr/bin/python3 train.py configs/%s.json && /usr/bin/python3 export.py configs/%s.json"
                   % (cfg["id"], cfg["id"]),
        "config": {k: v for k, v in cfg.items() if k not in ("description",)},
    }
    mj = export(cfg, den, enc, out, training)
    print("exported %s to %s (denoiser %d params, encoder %d)" % (cfg["id"], out, mj["parameters"]["denoiser"],
                                                                   mj["parameters"]["memory_encoder"]))


if __name__ == "__main__":
    main()
