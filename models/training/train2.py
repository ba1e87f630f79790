"""Train a world v2 bundle (the U-Net of unet.py):

    /usr/bin/python3 train2.py configs/maze2-unet-4.json [--minutes M] [--steps N]
    /usr/bin/python3 train2.py configs/maze2-unet-4.json --export [--out ../maze2-unet-4] [--ckpt PATH]

Data: exploration trajectories of world v2 (world2.py) in training mazes 1000-1399 (held-out
sets use seeds >= 920000), cached in runs/data2_32.npz. A sample is one target frame with
the `past` frames before it: the target at a level drawn half from the levels the default
schedules sample (multiples of 125: M_ar = 4 and 8 from 1000) and half uniformly; the past
frames clean (level 0), or in a quarter of the samples at decreasing levels below the
target's as in a pyramid window; light Gaussian noise on clean past frames in a third of the
samples (labelled clean, so the network learns not to trust every pixel of a generated
history); mirrored frames with left and right swapped in half; a share `p_balance` of the
windows drawn action-balanced (an action first, then a frame it led to); a share `p_blur` of the
clean histories Gaussian-blurred (sigma in `blur_sigma`, labelled clean, the target sharp); a share
`p_self` of the windows with their nearest `self_frames` past frames made by the network itself (its EMA
weights, DDIM in `self_steps` steps from noise, one frame after the other from the true frames before
them; labelled clean, the target the true frame), the history free running meets. Loss: EDM's F-target MSE
(uniform weight in F, i.e. the x0 error weighted by 1/c_out^2). AdamW, EMA weights exported.
Checkpoints in runs/<id>/ckpt.pt every two minutes and at the end; rerunning resumes, from
checkpoints/<id>.pt (committed at the end of a session) when runs/ has none, or for a fine-tune
(`init_from`) from checkpoints/<init_from>.pt. `--slim` writes a run's checkpoint to
checkpoints/<id>.pt for committing as float16 weights and EMA without the optimizer state (a quarter
of the size, for the larger networks; a resume from it restarts AdamW's moments). The learning rate
warms up over 200 steps and, from `decay_from`, follows a cosine down to a tenth at `steps`. `amp`
"bf16" runs the network under bfloat16 autocast (float32 weights, optimizer and loss): on a CPU
with AMX (`grep amx_bf16 /proc/cpuinfo`) a step of the 4.2 M network takes half the time.

The bundle is exported with a window of one frame (`window`, default 1): the default schedule
is then exactly the trained one (each frame from noise to clean in M_ar steps given its clean
past frames from memory, DIAMOND's loop, lag 0). The network takes any window (each frame sees
the frames before it), so a larger `window` exports the same weights for pyramid schedules.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import time
from typing import Callable, Optional, Tuple

import numpy as np
import torch

import world2
from data import build_cache
from networks import alphas_cumprod_cosine
from train import Config, ema_update, log_progress, run_args, save_checkpoint
from unet import WorldUNet, precondition

HERE = os.path.dirname(os.path.abspath(__file__))
SWAP = [0, 1, 2, 4, 3]  # mirrored frame: left <-> right
# (past [n, P, C, H, W], past actions [n, P, A], past mask [n, P], action [n, A]) -> next frame [n, C, H, W]
Sampler = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


DEFAULTS = dict(height=32, width=32, past=4, window=1, chans=[32, 64, 96], blocks=1, emb=128, batch=16, lr=3e-4,
                steps=20000, minutes=100, seed=0, timesteps=1000, ema=0.999, threads=2, n_mazes=400, per_maze=2,
                length=128, schedule_levels=125, p_schedule=0.5, p_pyramid=0.25, p_context_noise=0.33,
                context_noise=0.04, p_mirror=0.5, p_balance=0.0, ar_steps=4, init_steps=4, eta=0.0,
                p_blur=0.0, blur_sigma=[0.4, 1.2], init_from=None, decay_from=None, p_self=0.0, self_frames=2,
                self_steps=2, amp=None)


def load_config(path: str) -> Config:
    with open(path) as f:
        cfg = json.load(f)
    return dict(DEFAULTS, **cfg)


def build(cfg: Config) -> WorldUNet:
    return WorldUNet(alphas_cumprod_cosine(cfg["timesteps"]), past=cfg["past"], emb=cfg["emb"],
                     chans=tuple(cfg["chans"]), blocks=cfg["blocks"])


class Batches:
    def __init__(self, frames: np.ndarray, actions: np.ndarray, cfg: Config, seed: int) -> None:
        self.frames = frames  # [N, L, H, W, 3] uint8
        self.actions = actions  # [N, L]
        self.cfg = cfg
        self.rng = np.random.RandomState(seed)
        self.ac = np.array(alphas_cumprod_cosine(cfg["timesteps"]), dtype=np.float64)
        # every (trajectory, frame) with a frame before it, grouped by the action that led to it
        n, t = np.nonzero(actions[:, 1:] >= 0)
        t = t + 1
        self.by_action = [(n[actions[n, t] == a], t[actions[n, t] == a]) for a in range(5)]

    def windows(self, B: int) -> Tuple[np.ndarray, np.ndarray]:
        """B target frames: uniform over the data, or (a share p_balance) first an action drawn
        uniformly from those present, then a frame it led to, so that rare actions (back is about
        5% of the exploration policy's actions) weigh as much as forward."""
        r = self.rng
        n = r.randint(len(self.frames), size=B)
        t = r.randint(1, self.frames.shape[1], size=B)
        present = [a for a in range(5) if len(self.by_action[a][0])]
        for i in np.nonzero(r.rand(B) < self.cfg["p_balance"])[0]:
            an, at = self.by_action[present[r.randint(len(present))]]
            j = r.randint(len(an))
            n[i], t[i] = an[j], at[j]
        return n, t

    def levels(self, B: int) -> np.ndarray:
        c, T, r = self.cfg, self.cfg["timesteps"], self.rng
        lv = r.randint(1, T + 1, size=B)
        k = c["schedule_levels"]
        sched = r.rand(B) < c["p_schedule"]
        lv[sched] = k * r.randint(1, T // k + 1, size=int(sched.sum()))
        return lv

    def batch(self, B: int, sampler: Optional[Sampler] = None) -> Tuple[torch.Tensor, ...]:
        """One training batch. With a `sampler` (the network's own one-frame sampler), a share `p_self`
        of the windows has its nearest `self_frames` past frames made by the network, one after the
        other from the true frames before them (labelled clean, the target stays the true frame)."""
        c, r = self.cfg, self.rng
        P, T = c["past"], c["timesteps"]
        S = c["self_frames"] if sampler is not None and c["p_self"] > 0 else 0
        n, t = self.windows(B)
        target = np.zeros((B, 3, c["height"], c["width"]), np.float32)
        past = np.zeros((B, P + S, 3, c["height"], c["width"]), np.float32)  # S frames before the past
        mask = np.zeros((B, P + S), bool)
        act = np.zeros((B, 5), np.float32)
        pact = np.zeros((B, P + S, 5), np.float32)
        mirror = r.rand(B) < c["p_mirror"]
        for i in range(B):
            sw = SWAP if mirror[i] else list(range(5))
            f = self.frames[n[i]]
            img = lambda j: (f[j].transpose(2, 0, 1).astype(np.float32) / 127.5 - 1.0)[:, :, ::-1 if mirror[i] else 1]
            target[i] = img(t[i])
            act[i, sw[self.actions[n[i], t[i]]]] = 1.0
            for k in range(P + S):
                j = t[i] - P - S + k
                if j >= 0:
                    past[i, k] = img(j)
                    mask[i, k] = True
                    pact[i, k, sw[self.actions[n[i], j]]] = 1.0
        past_t = torch.from_numpy(past)
        own = np.zeros(B, bool)
        if S:
            own = (r.rand(B) < c["p_self"]) & (t >= P + S)
            idx = torch.from_numpy(np.nonzero(own)[0])
            if len(idx):
                p_t, a_t, m_t = past_t[idx], torch.from_numpy(pact)[idx], torch.from_numpy(mask)[idx]
                for k in range(S):  # frame P + k of the extended past from the P frames before it
                    p_t[:, P + k] = sampler(p_t[:, k:P + k], a_t[:, k:P + k], m_t[:, k:P + k], a_t[:, P + k])
                past_t[idx] = p_t
        past_t, pact, mask = past_t[:, S:].contiguous(), np.ascontiguousarray(pact[:, S:]), np.ascontiguousarray(mask[:, S:])
        lv = self.levels(B)
        plv = np.zeros((B, P), np.int64)
        pyr = (r.rand(B) < c["p_pyramid"]) & ~own
        for i in np.nonzero(pyr)[0]:
            step = r.randint(1, lv[i] + 1)
            for k in range(P):  # k = P - 1 is the nearest past frame
                plv[i, k] = max(0, lv[i] - step * (P - k))
        noisy_ctx = (r.rand(B) < c["p_context_noise"]) & ~pyr & ~own
        g = torch.Generator().manual_seed(int(r.randint(2 ** 31)))
        # a share p_blur of the clean histories blurred (labelled clean): a free-running history is the
        # model's own frames, softer than the truth, and the target stays the true sharp frame
        blur = (r.rand(B) < c["p_blur"]) & ~pyr & ~own
        for i in np.nonzero(blur)[0]:
            past_t[i] = gaussian_blur(past_t[i], float(r.uniform(*c["blur_sigma"])))
        pab = torch.from_numpy(self.ac[plv].astype(np.float32))[:, :, None, None, None]
        past_t = pab.sqrt() * past_t + (1 - pab).sqrt() * torch.randn(past_t.shape, generator=g)
        amp = torch.from_numpy((noisy_ctx * r.rand(B) * c["context_noise"]).astype(np.float32))
        past_t = past_t + amp[:, None, None, None, None] * torch.randn(past_t.shape, generator=g)
        x0 = torch.from_numpy(target)
        ab = torch.from_numpy(self.ac[lv].astype(np.float32))[:, None, None, None]
        xt = ab.sqrt() * x0 + (1 - ab).sqrt() * torch.randn(x0.shape, generator=g)
        return (xt, torch.from_numpy(lv), torch.from_numpy(act), past_t, torch.from_numpy(plv),
                torch.from_numpy(pact), torch.from_numpy(mask), x0)


def own_sampler(net: WorldUNet, steps: int, seed: int) -> Sampler:
    """The network's one-frame sampler for self-made histories: DDIM (eta 0) from noise in `steps`
    evenly spaced levels given clean past frames, x0 clamped to [-1, 1] as the service does; no gradient."""
    g = torch.Generator().manual_seed(seed)
    T = net.T
    levels = [T - (T * i) // steps for i in range(steps + 1)]

    def sample(past: torch.Tensor, pact: torch.Tensor, mask: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        n = past.shape[0]
        plv = torch.zeros(n, past.shape[1], dtype=torch.long)
        x = torch.randn(past[:, 0].shape, generator=g)
        with torch.no_grad():
            for a, b in zip(levels[:-1], levels[1:]):
                x0 = net.denoise(x, torch.full((n,), a, dtype=torch.long), act, past, plv, pact, mask).clamp(-1, 1)
                if b == 0:
                    return x0
                ab, abn = net.ac[a], net.ac[b]
                eps = (x - ab.sqrt() * x0) / (1 - ab).sqrt()
                x = abn.sqrt() * x0 + (1 - abn).sqrt() * eps
        return x

    return sample


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """A separable Gaussian blur of [N, C, H, W] frames (reflect padding, radius 3 sigma)."""
    r = max(1, int(np.ceil(3 * sigma)))
    k = torch.exp(-torch.arange(-r, r + 1, dtype=torch.float32) ** 2 / (2 * sigma * sigma))
    k = (k / k.sum()).to(x.dtype)
    n, ch, h, w = x.shape
    y = torch.nn.functional.pad(x.reshape(n * ch, 1, h, w), (r, r, r, r), mode="reflect")
    y = torch.nn.functional.conv2d(y, k.view(1, 1, 1, -1))
    y = torch.nn.functional.conv2d(y, k.view(1, 1, -1, 1))
    return y.reshape(n, ch, h, w)


def lr_at(cfg: Config, step: int) -> float:
    """Warm-up over 200 steps, then constant; from `decay_from` a cosine down to a tenth at `steps`."""
    lr = cfg["lr"] * min(1.0, (step + 1) / 200.0)
    d = cfg.get("decay_from")
    if d is not None and step >= d:
        u = min(1.0, (step - d) / max(1, cfg["steps"] - d))
        lr *= 0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * u))
    return lr


AMP = {"bf16": torch.bfloat16}


def amp_dtype(amp: Optional[str]) -> Optional[torch.dtype]:
    """The autocast dtype of train2's `amp` option (None: float32 throughout)."""
    if amp is not None and amp not in AMP:
        raise ValueError("amp must be null or one of %s, got %r" % (sorted(AMP), amp))
    return AMP.get(amp)


def loss_fn(net: WorldUNet, b: Tuple[torch.Tensor, ...], amp: Optional[str] = None) -> torch.Tensor:
    """The F-space loss; `amp` "bf16" runs the network under bfloat16 autocast (float32 weights, float32
    group-norm statistics and loss; about twice as fast on a CPU with AMX, see docs/experiments.md)."""
    dtype = amp_dtype(amp)
    xt, lv, act, past, plv, pact, mask, x0 = b
    abar = net.ac[lv]
    _, c_skip, c_out, _ = precondition(abar, net.sd)
    with torch.autocast("cpu", dtype=dtype or torch.bfloat16, enabled=dtype is not None):
        x0_hat = net.denoise(xt, lv, act, past, plv, pact, mask)
    x0_hat = x0_hat.float()
    # F-space MSE: ((x0_hat - x0) / c_out)^2 = (F - F_target)^2
    return (((x0_hat - x0) / c_out[:, None, None, None]) ** 2).mean()


def cache(cfg: Config) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    return build_cache(os.path.join(HERE, "runs", "data2_%d.npz" % cfg["height"]), n_mazes=cfg["n_mazes"],
                       per_maze=cfg["per_maze"], length=cfg["length"], H=cfg["height"], W=cfg["width"],
                       maze_cls=world2.Maze2, explore=world2.explore_actions)


def own_checkpoint(cfg: Config, run: str) -> Optional[str]:
    """The run's own checkpoint (run/ckpt.pt), else the one committed at the end of an earlier session
    (runs/ is not in git, and a session's background training does not survive it); None if neither."""
    return next((p for p in (os.path.join(run, "ckpt.pt"), os.path.join(HERE, "checkpoints", cfg["id"] + ".pt"))
                 if os.path.exists(p)), None)


def resume_source(cfg: Config, run: str) -> Optional[str]:
    """The checkpoint a run goes on from: its own (own_checkpoint), else for a fine-tune the parent's
    committed one (its steps, time and history go on); None for a fresh run."""
    parent = os.path.join(HERE, "checkpoints", cfg["init_from"] + ".pt") if cfg.get("init_from") else None
    own = own_checkpoint(cfg, run)
    return own if own is not None or parent is None or not os.path.exists(parent) else parent


def train(cfg: Config, out: str) -> None:
    amp_dtype(cfg["amp"])  # an unknown value fails here, before the data cache is read
    torch.set_num_threads(cfg["threads"])
    # no denormals: x86 computes them on a slow path (a precaution; the slowdown seen here was CPU
    # contention, see docs/experiments.md)
    torch.set_flush_denormal(True)
    torch.manual_seed(cfg["seed"])
    os.makedirs(out, exist_ok=True)
    t0 = time.time()
    frames, actions, _ = cache(cfg)
    print("data: %d trajectories x %d frames (%.0f s)" % (frames.shape[0], frames.shape[1], time.time() - t0), flush=True)
    net, ema = build(cfg), build(cfg)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg["lr"], weight_decay=0.01)
    step, wall, hist = 0, 0.0, []
    ck = os.path.join(out, "ckpt.pt")
    src = resume_source(cfg, out)
    if src is not None:
        s = torch.load(src, map_location="cpu")
        net.load_state_dict(as_float(s["model"]))
        ema.load_state_dict(as_float(s["ema"]))
        if "opt" in s:
            opt.load_state_dict(s["opt"])
        else:
            print("%s has no optimizer state (a slim checkpoint): AdamW's moments start over" % src, flush=True)
        step, wall, hist = s["step"], s["wall"], s["hist"]
        print("resumed from %s at step %d (%.1f min)" % (src, step, wall / 60), flush=True)
    else:
        ema.load_state_dict(net.state_dict())
    batches = Batches(frames, actions, cfg, cfg["seed"] + 17 + step)
    # the EMA network (the one exported) makes the self-made histories
    sampler = own_sampler(ema, cfg["self_steps"], cfg["seed"] + 29 + step) if cfg["p_self"] > 0 else None
    print("%s: params=%d batch=%d amp=%s" % (cfg["id"], sum(p.numel() for p in net.parameters()), cfg["batch"],
                                             cfg["amp"] or "off"), flush=True)
    t_start = time.time() - wall
    last_ck = time.time()
    acc = []

    def save() -> None:
        save_checkpoint(ck, cfg, model=net.state_dict(), ema=ema.state_dict(), opt=opt.state_dict(), step=step,
                        wall=time.time() - t_start, hist=hist)

    while step < cfg["steps"] and (time.time() - t_start) < cfg["minutes"] * 60:
        lr = lr_at(cfg, step)
        for g in opt.param_groups:
            g["lr"] = lr
        loss = loss_fn(net, batches.batch(cfg["batch"], sampler), cfg["amp"])
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        step += 1
        ema_update(((net, ema),), cfg["ema"], step)
        acc.append(loss.item())
        if step % 50 == 0:
            acc = log_progress(hist, acc, step, t_start)
        if time.time() - last_ck > 120:
            save()
            last_ck = time.time()
    save()
    print("done %s step %d wall %.1f min" % (cfg["id"], step, (time.time() - t_start) / 60), flush=True)


def as_float(state: dict) -> dict:
    """A state dict with half-precision tensors (a slim checkpoint's) back in float32."""
    return {k: v.float() if v.dtype == torch.float16 else v for k, v in state.items()}


def slim(ck: str, out: str, params: set) -> None:
    """Writes the run's checkpoint `ck` to `out` for committing: the weights (`params`, their names) and
    their EMA in float16, buffers such as the noise schedule as they are, no optimizer state (a quarter of
    the size; resuming from it restarts AdamW's moments)."""
    s = torch.load(ck, map_location="cpu")
    half = {k: {n: v.half() if n in params and v.dtype == torch.float32 else v for n, v in s[k].items()}
            for k in ("model", "ema")}
    torch.save(dict({k: v for k, v in s.items() if k not in ("model", "ema", "opt")}, **half), out + ".tmp")
    os.replace(out + ".tmp", out)
    print("wrote %s (step %d, %.1f MB)" % (out, s["step"], os.path.getsize(out) / 1e6))


def export(cfg: Config, ck: str, out: str) -> None:
    from export import export as write_bundle
    s = torch.load(ck, map_location="cpu")
    net = build(cfg)
    net.load_state_dict(as_float(s["ema"]))
    hist = s["hist"]
    last = [h[1] for h in hist[-10:]]
    bcfg = dict(cfg, arch="channel_concat", memory_frames=cfg["past"], prediction="x0")
    training = {
        "world": world2.WORLD,
        "data": "world v2 exploration trajectories (30 deg turns, quarter-block moves, runs of the same action) in "
                "%d training mazes (seeds 1000-%d), %d x %d frames each, 32x32 RGB; held-out sets use seeds >= 920000"
                % (cfg["n_mazes"], 1000 + cfg["n_mazes"] - 1, cfg["per_maze"], cfg["length"]),
        "objective": "per-frame denoising of a target frame given the %d frames before it on the input channels; "
                     "EDM preconditioning (sigma_data 0.5) exported as x0; F-space MSE; target levels half from "
                     "multiples of %d, half uniform; %d%% pyramid past levels, %d%% light noise on clean past frames, "
                     "%d%% mirrored (left/right swapped); %d%% of the windows drawn action-balanced%s; AdamW, EMA %.3f" % (
                         cfg["past"], cfg["schedule_levels"], round(100 * cfg["p_pyramid"]),
                         round(100 * cfg["p_context_noise"]), round(100 * cfg["p_mirror"]),
                         round(100 * cfg["p_balance"]),
                         " from step %d" % cfg["balance_from_step"] if cfg.get("balance_from_step") else "",
                         cfg["ema"])
                     + ("; %d%% of the clean histories blurred (Gaussian sigma %.1f-%.1f px)" % (
                         round(100 * cfg["p_blur"]), cfg["blur_sigma"][0], cfg["blur_sigma"][1]) if cfg["p_blur"] else "")
                     + ("; fine-tuned from %s's checkpoint" % cfg["init_from"] if cfg.get("init_from") else "")
                     + ("; cosine learning-rate decay to a tenth from step %d" % cfg["decay_from"]
                        if cfg.get("decay_from") is not None else ""),
        "steps": s["step"], "batch": cfg["batch"], "lr": cfg["lr"],
        "wall_time_min": round(s["wall"] / 60.0, 1),
        "final_loss": round(float(np.mean(last)), 4) if last else None,
        "hardware": s.get("hardware", "cpu") + " (2 CPU cores, shared with builds and tests)",
        "date": datetime.date.today().isoformat(),
        "command": "cd models/training && /usr/bin/python3 train2.py configs/%s.json && /usr/bin/python3 train2.py "
                   "configs/%s.json --export" % (cfg["id"], cfg["id"]),
        "config": {k: v for k, v in cfg.items() if k != "description"},
    }
    mj = write_bundle(bcfg, net, None, out, training)
    print("exported %s to %s (%d params)" % (cfg["id"], out, mj["parameters"]["denoiser"]))


def main() -> None:
    def extra(ap: argparse.ArgumentParser) -> None:
        ap.add_argument("--export", action="store_true")
        ap.add_argument("--out", default=None)
        ap.add_argument("--ckpt", default=None,
                        help="checkpoint to export (default: runs/<id>/ckpt.pt, else the committed checkpoints/<id>.pt)")
        ap.add_argument("--slim", action="store_true",
                        help="write runs/<id>/ckpt.pt to checkpoints/<id>.pt (or --out) in float16, no optimizer state")

    args, cfg = run_args(load_config, extra)
    run = os.path.join(args.runs, cfg["id"])
    if args.export:
        # never a fine-tune's parent (resume_source's last fallback): that would ship its weights under this id
        ck = args.ckpt or own_checkpoint(cfg, run)
        if ck is None:
            raise SystemExit("nothing to export: no %s and no committed checkpoints/%s.pt"
                             % (os.path.join(run, "ckpt.pt"), cfg["id"]))
        export(cfg, ck, args.out or os.path.join(HERE, "..", cfg["id"]))
    elif args.slim:
        slim(os.path.join(run, "ckpt.pt"), args.out or os.path.join(HERE, "checkpoints", cfg["id"] + ".pt"),
             {n for n, _ in build(cfg).named_parameters()})
    else:
        train(cfg, run)


if __name__ == "__main__":
    main()
