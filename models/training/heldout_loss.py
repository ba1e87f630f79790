"""A world v2 run's training loss on training windows and on held-out ones (docs/experiments.md):

    /usr/bin/python3 heldout_loss.py configs/<id>.json [--batches 40] [--batch 32] [--checkpoint PATH]

The EMA network (the one exported) of the checkpoint a training run would resume (train2.resume_source), or --checkpoint,
in float32 and without gradients; windows drawn by train2.Batches with the run's own recipe (levels,
blurred and noisy histories, mirroring, balance) and the same seed, from the training trajectories
and from as many held-out ones (maze seeds from 960000, which no training cache or evaluation set
uses). Equal losses say the network is underfitted (more capacity or steps help); a held-out loss
clearly above the training one says it has begun to learn its training mazes by heart.
"""
import argparse
import os

import numpy as np
import torch

import train2
import world2
from data import build_cache

HERE = os.path.dirname(os.path.abspath(__file__))
HELDOUT_SEED0 = 960000


def mean_loss(net: torch.nn.Module, frames: np.ndarray, actions: np.ndarray, cfg: dict, batches: int, batch: int,
              seed: int) -> tuple:
    """Mean and standard error of the per-batch losses."""
    b = train2.Batches(frames, actions, cfg, seed)
    with torch.no_grad():
        losses = [train2.loss_fn(net, b.batch(batch)).item() for _ in range(batches)]
    return float(np.mean(losses)), float(np.std(losses) / np.sqrt(len(losses)))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("config")
    p.add_argument("--batches", type=int, default=40)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--checkpoint", default=None)
    a = p.parse_args()
    cfg = train2.load_config(a.config)
    torch.set_num_threads(cfg["threads"])
    src = a.checkpoint or train2.resume_source(cfg, os.path.join(HERE, "runs", cfg["id"]))
    if src is None:
        raise SystemExit("no checkpoint of %s in runs/ or checkpoints/" % cfg["id"])
    s = torch.load(src, map_location="cpu")
    net = train2.build(cfg)
    net.load_state_dict(train2.as_float(s["ema"]))
    net.eval()
    frames, actions, _ = train2.cache(cfg)
    n = frames.shape[0] // cfg["per_maze"]
    hf, ha, _ = build_cache(os.path.join(HERE, "runs", "data2_%d_heldout%d_%d.npz" % (cfg["height"], HELDOUT_SEED0, n)),
                            n_mazes=n, per_maze=cfg["per_maze"], length=cfg["length"], H=cfg["height"],
                            W=cfg["width"], seed0=HELDOUT_SEED0, maze_cls=world2.Maze2, explore=world2.explore_actions)
    print("%s at step %d (%s): %d x %d windows each" % (cfg["id"], s["step"], src, a.batches, a.batch))
    for name, (f, ac) in (("training", (frames, actions)), ("held-out", (hf, ha))):
        m, se = mean_loss(net, f, ac, cfg, a.batches, a.batch, seed=12345)
        print("%-8s trajectories %4d  loss %.4f +- %.4f" % (name, f.shape[0], m, se), flush=True)


if __name__ == "__main__":
    main()
