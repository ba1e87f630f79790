"""Training data: exploration trajectories in training mazes, cached as uint8 arrays.

Training mazes use seeds TRAIN_SEED0 + i; held-out evaluation mazes use seeds >= 900000
(see make_eval.py), so no evaluation maze is ever seen in training.
"""
from __future__ import annotations

import copy
import os
from typing import Any, Callable, Iterator, Optional, Sequence, Tuple

import numpy as np

from world import Action, Maze, Pose, explore_actions, rollout, since_seen

TRAIN_SEED0 = 1000


def trajectories(n_mazes: int = 200, per_maze: int = 2, length: int = 128, seed0: int = TRAIN_SEED0,
                 maze_cls: Callable[[int], Maze] = Maze, explore: Callable[..., list[int]] = explore_actions
                 ) -> Iterator[Tuple[Maze, Pose, list[int]]]:
    """The training trajectories: (maze, start pose, actions), in cache order (world v2:
    maze_cls=world2.Maze2, explore=world2.explore_actions)."""
    for i in range(n_mazes):
        maze = maze_cls(seed0 + i)
        rng = np.random.RandomState(seed0 + i)
        for _ in range(per_maze):
            pose = maze.random_pose(rng)
            yield maze, pose, [0] + explore(maze, pose, length - 1, rng)


def build_cache(path: str, n_mazes: int = 200, per_maze: int = 2, length: int = 128, H: int = 32, W: int = 32,
                seed0: int = TRAIN_SEED0, **world: Any) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """frames [N, L, H, W, 3] uint8, actions [N, L], since [N, L] (cached in `path`); `world`:
    maze_cls and explore for trajectories()."""
    if os.path.exists(path):
        d = np.load(path)
        return d["frames"], d["actions"], d["since"]
    frames, actions, since = [], [], []
    for maze, pose, acts in trajectories(n_mazes, per_maze, length, seed0, **world):
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


def without_paintings(maze: Maze) -> Maze:
    """The same maze with its paintings taken off the walls (everything else identical)."""
    bare = copy.deepcopy(maze)
    bare.paint_idx[:] = 0
    return bare


def only_painting(maze: Maze, k: int) -> Maze:
    """The same maze with every painting but number k (its paint_idx value, 1-based) taken off."""
    one = without_paintings(maze)
    one.paint_idx[maze.paint_idx == k] = k
    return one


def bare_rendering(maze: Maze, pose: Pose, acts: Sequence[Action], frames: np.ndarray, H: int = 32, W: int = 32
                   ) -> Tuple[np.ndarray, np.ndarray]:
    """The trajectory rendered without its paintings, and the painting-pixel masks [N, H, W]:
    where that rendering differs from `frames` (the same trajectory with paintings)."""
    bare, _ = rollout(without_paintings(maze), pose, acts, H, W)
    return bare, np.any(bare != frames, axis=-1)


def shown_in_context(maze: Maze, pose: Pose, acts: Sequence[Action], bare: np.ndarray, c: int, H: int = 32, W: int = 32
                     ) -> np.ndarray:
    """Per frame: are most of its painting pixels (more than half) from paintings that were in
    view somewhere in the c context frames? Only those can be recalled from the client's clip;
    a painting first seen in a generated frame was never shown to the model (it drew that view
    itself), so no memory can bring it back. Each painting is rendered alone (the others taken
    off) to tell whose pixels are whose. `bare`: the trajectory rendered without paintings."""
    own = [np.zeros(bare.shape[:3], bool)]
    for k in np.unique(maze.paint_idx[maze.paint_idx > 0]):
        own.append(np.any(rollout(only_painting(maze, k), pose, acts, H, W)[0] != bare, axis=-1))  # [N, H, W]
    own = np.array(own)
    seen = own[:, :c].any(axis=(1, 2, 3))  # which paintings the context showed
    total = own.sum(axis=(0, 2, 3))
    return np.where(total > 0, 2 * own[seen].sum(axis=(0, 2, 3)) > total, False)


def painting_masks(path: str, frames: np.ndarray, n_mazes: int = 200, per_maze: int = 2, length: int = 128, H: int = 32,
                   W: int = 32, seed0: int = TRAIN_SEED0) -> np.ndarray:
    """Per-pixel painting masks [N, L, H, W] (bool) of the training cache: where a rendering
    with the paintings removed differs from the cached frames. Cached in `path`."""
    if os.path.exists(path):
        return np.load(path)["paint"]
    masks = np.stack([bare_rendering(maze, pose, acts, frames[k], H, W)[1]
                      for k, (maze, pose, acts) in enumerate(trajectories(n_mazes, per_maze, length, seed0))])
    np.savez_compressed(path, paint=masks)
    return masks


class Sampler:
    """Draws (window, memory) training examples from the cache.

    revisit_bias: share of examples whose window holds a revisit of a view that is in reach
    (in memory or earlier in the window). With painting masks (`paint`), paint_bias is the share
    of examples drawn from the revisit windows whose revisit frame shows a painting, and
    paint_weight the loss weight of painting pixels on in-reach revisit frames (1 elsewhere):
    the painting is then determined by the memory, and a model that draws the bare wall there
    instead pays for it.
    """

    def __init__(self, frames: np.ndarray, actions: np.ndarray, since: np.ndarray, window: int = 4, memory_frames: int = 0,
                 revisit_bias: float = 0.5, seed: int = 0, paint: Optional[np.ndarray] = None, paint_bias: float = 0.0,
                 paint_weight: float = 1.0) -> None:
        self.frames = frames
        self.actions = actions
        self.since = since
        self.w = window
        self.wm = memory_frames
        self.rng = np.random.RandomState(seed)
        self.bias = revisit_bias if memory_frames > 0 else 0.0
        self.paint = paint
        self.paint_bias = paint_bias if paint is not None else 0.0
        self.paint_weight = paint_weight if paint is not None else 1.0
        # candidate window starts whose window holds a revisit reachable from memory, and those
        # of them where such a revisit frame shows a painting
        self.revisit_starts, self.paint_starts = [], []
        if memory_frames > 0:
            n, L = since.shape
            for i in range(n):
                for t in range(1, L - window + 1):
                    s = since[i, t:t + window]
                    reach = (s > 0) & (s <= memory_frames + np.arange(window))
                    if reach.any():
                        self.revisit_starts.append((i, t))
                        if paint is not None and paint[i, t:t + window][reach].any():
                            self.paint_starts.append((i, t))

    def batch(self, B: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """x [B, w, 3, H, W], a [B, w, 5], mem [B, wm, 3, H, W], ma [B, wm, 5], mm [B, wm] and
        the per-pixel loss weights pw [B, w, 1, H, W]."""
        n, L = self.actions.shape
        w, wm = self.w, self.wm
        H, W = self.frames.shape[2], self.frames.shape[3]
        x = np.zeros((B, w, 3, H, W), np.float32)
        a = np.zeros((B, w, 5), np.float32)
        mem = np.zeros((B, wm, 3, H, W), np.float32)
        ma = np.zeros((B, wm, 5), np.float32)
        mm = np.zeros((B, wm), bool)
        pw = np.ones((B, w, 1, H, W), np.float32)
        for b in range(B):
            if self.revisit_starts and self.rng.rand() < self.bias:
                starts = self.revisit_starts
                if self.paint_bias > 0 and self.paint_starts and self.rng.rand() < self.paint_bias / self.bias:
                    starts = self.paint_starts
                i, t = starts[self.rng.randint(len(starts))]
            else:
                i = self.rng.randint(n)
                t = self.rng.randint(0, L - w + 1)
            x[b] = self.frames[i, t:t + w].transpose(0, 3, 1, 2) / 127.5 - 1.0
            a[b, np.arange(w), self.actions[i, t:t + w]] = 1.0
            avail = 0
            if wm > 0:
                avail = min(t, wm)
                if self.rng.rand() < 0.2:
                    avail = self.rng.randint(0, avail + 1)
                if avail > 0:
                    mem[b, wm - avail:] = self.frames[i, t - avail:t].transpose(0, 3, 1, 2) / 127.5 - 1.0
                    ma[b, np.arange(wm - avail, wm), self.actions[i, t - avail:t]] = 1.0
                    mm[b, wm - avail:] = True
            if self.paint_weight != 1.0:
                s = self.since[i, t:t + w]
                reach = (s > 0) & (s <= avail + np.arange(w))
                pw[b, reach, 0] += (self.paint_weight - 1.0) * self.paint[i, t:t + w][reach]
        return x, a, mem, ma, mm, pw

    def levels(self, B: int, T: int = 1000, clean_prefix: float = 0.3) -> np.ndarray:
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
