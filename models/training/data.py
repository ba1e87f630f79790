"""Training data: exploration trajectories in training mazes, cached as uint8 arrays.

Training mazes use seeds TRAIN_SEED0 + i; held-out evaluation mazes use seeds >= 900000
(see make_eval.py), so no evaluation maze is ever seen in training.
"""
import os

import numpy as np

from world import Maze, explore_actions, rollout, since_seen

TRAIN_SEED0 = 1000


def build_cache(path, n_mazes=200, per_maze=2, length=128, H=32, W=32, seed0=TRAIN_SEED0):
    if os.path.exists(path):
        d = np.load(path)
        return d["frames"], d["actions"], d["since"]
    frames, actions, since = [], [], []
    for i in range(n_mazes):
        maze = Maze(seed0 + i)
        rng = np.random.RandomState(seed0 + i)
        for _ in range(per_maze):
            pose = maze.random_pose(rng)
            acts = [0] + explore_actions(maze, pose, length - 1, rng)
            fr, poses = rollout(maze, pose, acts, H, W)
            frames.append(fr)
            actions.append(acts)
            since.append(since_seen(poses))
    frames = np.stack(frames)
    actions = np.array(actions, dtype=np.int64)
    since = np.array(since, dtype=np.int64)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    np.savez(path, frames=frames, actions=actions, since=since)
    return frames, actions, since


class Sampler:
    """Draws (window, memory) training examples from the cache."""

    def __init__(self, frames, actions, since, window=4, memory_frames=0, revisit_bias=0.5, seed=0):
        self.frames = frames
        self.actions = actions
        self.since = since
        self.w = window
        self.wm = memory_frames
        self.rng = np.random.RandomState(seed)
        self.bias = revisit_bias if memory_frames > 0 else 0.0
        # candidate window starts whose window holds a revisit reachable from memory
        self.revisit_starts = []
        if memory_frames > 0:
            n, L = since.shape
            for i in range(n):
                for t in range(1, L - window + 1):
                    s = since[i, t:t + window]
                    if ((s > 0) & (s <= memory_frames + np.arange(window))).any():
                        self.revisit_starts.append((i, t))

    def batch(self, B):
        n, L = self.actions.shape
        w, wm = self.w, self.wm
        H, W = self.frames.shape[2], self.frames.shape[3]
        x = np.zeros((B, w, 3, H, W), np.float32)
        a = np.zeros((B, w, 5), np.float32)
        mem = np.zeros((B, wm, 3, H, W), np.float32)
        ma = np.zeros((B, wm, 5), np.float32)
        mm = np.zeros((B, wm), bool)
        for b in range(B):
            if self.revisit_starts and self.rng.rand() < self.bias:
                i, t = self.revisit_starts[self.rng.randint(len(self.revisit_starts))]
            else:
                i = self.rng.randint(n)
                t = self.rng.randint(0, L - w + 1)
            x[b] = self.frames[i, t:t + w].transpose(0, 3, 1, 2) / 127.5 - 1.0
            a[b, np.arange(w), self.actions[i, t:t + w]] = 1.0
            if wm > 0:
                avail = min(t, wm)
                if self.rng.rand() < 0.2:
                    avail = self.rng.randint(0, avail + 1)
                if avail > 0:
                    mem[b, wm - avail:] = self.frames[i, t - avail:t].transpose(0, 3, 1, 2) / 127.5 - 1.0
                    ma[b, np.arange(wm - avail, wm), self.actions[i, t - avail:t]] = 1.0
                    mm[b, wm - avail:] = True
        return x, a, mem, ma, mm

    def levels(self, B, T=1000, clean_prefix=0.3):
        w = self.w
        lv = self.rng.randint(1, T + 1, size=(B, w))
        r = self.rng.rand(B)
        srt = np.sort(lv, axis=1)
        lv = np.where((r < 0.45)[:, None], srt, lv)
        eq = (r > 0.8)
        lv[eq] = lv[eq, :1]
        # clean prefix: the oldest p window frames are given clean (level 0) as conditioning
        for b in range(B):
            if self.rng.rand() < clean_prefix:
                p = self.rng.randint(1, w)
                lv[b, :p] = 0
        return lv.astype(np.int64)
