"""World v2 ("maze-v2"): the v1 mazes, rooms, textures and paintings (world.Maze, same seeds,
same renderer), seen with finer steps so that consecutive frames overlap as in game video.

Pose: integers (x, y, k). Position in units of 1/Q block (Q = 64), heading k in 0..11, the
angle 30 deg * k (k = 0: +x, k = 3: +y, as v1's d = 0 and d = 1). Actions (v1 names):
noop; forward / back: add / subtract the integer move vector MOVE[k], about a quarter block
(16 units) along the heading; left: k + 1 (30 deg counter-clockwise, v1's left); right: k - 1.
All pose arithmetic is integer, so forward then back and twelve turns return the same pose,
and a frame is a pure function of the pose: the same view bit for bit. A move is refused (the
pose stays) when the agent's square body (half-size R = 13 units, 0.2 block) would touch a
wall block. With a 90 deg field of view a 30 deg turn keeps two thirds of the view.
"""
from __future__ import annotations

import math
from typing import Sequence, Tuple

import numpy as np

from world import ACTIONS, Maze, Pose, rollout, since_seen  # noqa: F401  (rollout, since_seen: any maze / pose tuples)

WORLD = "maze-v2"
Q = 64  # position units per block
STEP = 16  # a move: a quarter block
NH = 12  # headings: 30 degrees each
R = 13  # half-size of the agent's body, in position units
MOVE = [(int(round(STEP * math.cos(2 * math.pi * k / NH))), int(round(STEP * math.sin(2 * math.pi * k / NH))))
        for k in range(NH)]
# unit view directions, exact for the axis headings (cos 90 deg = 0, not 6e-17)
VIEW = [(round(math.cos(2 * math.pi * k / NH), 12), round(math.sin(2 * math.pi * k / NH), 12)) for k in range(NH)]
INVERSE = {0: 0, 1: 2, 2: 1, 3: 4, 4: 3}


class Maze2(Maze):
    """A v1 maze (same seed, same layout and decorations) with v2 poses and steps."""

    def random_pose(self, rng: np.random.RandomState) -> Pose:
        x, y = self.open_cells[rng.randint(len(self.open_cells))]
        return (x * Q + Q // 2, y * Q + Q // 2, int(rng.randint(NH)))  # a block centre

    def free(self, x: int, y: int) -> bool:
        """The agent's body (the square of half-size R around (x, y)) touches open blocks only."""
        for bx in range((x - R) // Q, (x + R) // Q + 1):
            for by in range((y - R) // Q, (y + R) // Q + 1):
                if bx < 0 or by < 0 or bx >= self.S or by >= self.S or self.grid[bx, by] == 1:
                    return False
        return True

    HEADINGS = NH

    def move(self, k: int) -> Tuple[int, int]:
        return MOVE[k]

    def render(self, pose: Pose, H: int = 32, W: int = 32) -> np.ndarray:
        x, y, k = pose
        return self.cast(x / Q, y / Q, VIEW[k][0], VIEW[k][1], H, W)


def explore_actions(maze: Maze2, pose: Pose, n: int, rng: np.random.RandomState) -> list[int]:
    """Game-like exploration: runs of the same action (walks of 2-8 quarter-block steps, turns
    of 1-6 x 30 deg, short back-ups), a few pauses (noop), full look-arounds (12 turns) and
    retracing the last k actions (exact revisits at many distances, up to ~100 frames)."""
    acts = []
    while len(acts) < n:
        r = rng.rand()
        if r < 0.05:
            seq = [0] * int(rng.randint(1, 4))
        elif r < 0.10 and len(acts) >= 4:
            k = int(rng.randint(3, min(len(acts), 60) + 1))
            seq = [INVERSE[a] for a in reversed(acts[-k:])]
        elif r < 0.13:
            seq = [3 if rng.rand() < 0.5 else 4] * NH
        else:
            u = rng.rand()
            if u < 0.65:
                seq = [1] * int(rng.randint(2, 9))
            elif u < 0.72:
                seq = [2] * int(rng.randint(1, 4))
            else:
                t = 3 if rng.rand() < 0.5 else 4
                seq = [t] * _turn_length(maze, pose, t, rng)
        for a in seq:
            if len(acts) >= n:
                break
            nxt = maze.step(pose, a)
            if nxt == pose and a in (1, 2):
                break  # walked into a wall: end the run (the next run decides what to do)
            acts.append(a)
            pose = nxt
        else:
            continue
        # blocked: turn away
        t = 3 if rng.rand() < 0.5 else 4
        for _ in range(_turn_length(maze, pose, t, rng, lo=2)):
            if len(acts) >= n:
                break
            acts.append(t)
            pose = maze.step(pose, t)
    return acts


def _turn_length(maze: Maze2, pose: Pose, t: int, rng: np.random.RandomState, lo: int = 1, hi: int = 6) -> int:
    """A turn run of lo..hi steps; mostly (70%) one that ends facing a free path of at least
    two steps, as a player turns towards where they can go."""
    ok = []
    p = pose
    for L in range(1, hi + 1):
        p = maze.step(p, t)
        if L >= lo and maze.step(maze.step(p, 1), 1) != maze.step(p, 1) != p:
            ok.append(L)
    if ok and rng.rand() < 0.7:
        return ok[rng.randint(len(ok))]
    return int(rng.randint(lo, hi + 1))


def novel(poses: Sequence[Pose], horizon: int = 20) -> list[bool]:
    """Per frame: True if its view (exact pose) is not among the `horizon` frames before it."""
    out = []
    for i, p in enumerate(poses):
        out.append(p not in poses[max(0, i - horizon):i])
    return out
