"""Seconds per training step of world v2 U-Nets of several sizes on this machine (docs/experiments.md):

    /usr/bin/python3 step_cost.py [--batch 32] [--steps 25] [--threads 2] [--amp bf16]

Each row: train2.loss_fn on real windows of the training cache, backward and an AdamW step; the
median over the steps after the first five.
"""
import argparse
import os
import time

import torch

import train2

HERE = os.path.dirname(os.path.abspath(__file__))
SIZES = [([32, 64, 96], 1), ([64, 128, 192], 1), ([48, 96, 144], 2)]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=25)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--amp", choices=["bf16"], default=None, help="bfloat16 autocast (train2's `amp`)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    base = train2.load_config(os.path.join(HERE, "configs", "maze2-unet-4.json"))
    frames, actions, _ = train2.cache(base)
    print("| channels | blocks | parameters | batch | amp | s per step |")
    print("| --- | --- | --- | --- | --- | --- |")
    for chans, blocks in SIZES:
        cfg = dict(base, chans=chans, blocks=blocks, batch=a.batch)
        net = train2.build(cfg)
        opt = torch.optim.AdamW(net.parameters(), lr=1e-4)
        batches = train2.Batches(frames, actions, cfg, 0)
        ts = []
        for _ in range(a.steps):
            t = time.perf_counter()
            loss = train2.loss_fn(net, batches.batch(a.batch, None), a.amp)
            opt.zero_grad()
            loss.backward()
            opt.step()
            ts.append(time.perf_counter() - t)
        ts = sorted(ts[5:])
        print("| %s | %d | %d | %d | %s | %.3f |" % ("/".join(map(str, chans)), blocks,
                                                    sum(q.numel() for q in net.parameters()), a.batch,
                                                    a.amp or "off", ts[len(ts) // 2]),
              flush=True)


if __name__ == "__main__":
    main()
