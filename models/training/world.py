"""Procedural first-person maze world (numpy ray casting).

Deterministic: a maze is a pure function of its seed, a frame a pure function of
(maze, pose), and a trajectory a pure function of (seed, start pose, actions).

Layout: a block grid of S x S blocks (S = 2n+1), a randomized-DFS perfect maze with
extra walls knocked out so that loops exist. The grid is cut into rooms (square
regions of blocks); every room has its own wall, floor and ceiling colours and its
own wall texture (bricks / stripes / checks at a room-specific scale). A few wall
faces carry a painting (two random bright colours and a shape), seen from few places.

Pose: position on a half-block lattice (x, y in units of 0.5 block) and a heading
d in {0:+x, 1:+y, 2:-x, 3:-y}. Actions: noop, forward, back (step backwards, same
heading), left (turn 90 deg counter-clockwise), right (turn 90 deg clockwise).
A move into a wall is a no-op. Four lefts return the starting pose exactly.
"""
from __future__ import annotations

from typing import Sequence, Tuple, Union

import numpy as np

Pose = Tuple[int, int, int]  # (x, y, heading) in the world's integer units
Action = Union[int, str]  # an index into ACTIONS or its name

ACTIONS = ["noop", "forward", "back", "left", "right"]
DIRS = np.array([[1, 0], [0, 1], [-1, 0], [0, -1]], dtype=np.int64)
STEP = 0.5  # blocks per forward/back move


class Maze:
    def __init__(self, seed: int, n: int = 6, room: int = 4, paintings: int = 10, extra_open: float = 0.18) -> None:
        self.seed = int(seed)
        rng = np.random.RandomState(self.seed)
        S = 2 * n + 1
        self.S = S
        g = np.ones((S, S), dtype=np.int8)  # 1 = wall block
        # randomized DFS over cells at odd coordinates
        stack = [(1, 1)]
        g[1, 1] = 0
        while stack:
            cx, cy = stack[-1]
            nbrs = []
            for dx, dy in ((2, 0), (-2, 0), (0, 2), (0, -2)):
                nx, ny = cx + dx, cy + dy
                if 0 < nx < S - 1 and 0 < ny < S - 1 and g[nx, ny] == 1:
                    nbrs.append((nx, ny))
            if not nbrs:
                stack.pop()
                continue
            nx, ny = nbrs[rng.randint(len(nbrs))]
            g[(cx + nx) // 2, (cy + ny) // 2] = 0
            g[nx, ny] = 0
            stack.append((nx, ny))
        # knock out extra walls (loops), only walls between two open cells
        for x in range(1, S - 1):
            for y in range(1, S - 1):
                if g[x, y] == 1 and (x + y) % 2 == 1:
                    if rng.rand() < extra_open:
                        g[x, y] = 0
        self.grid = g
        # rooms: square regions of `room` blocks
        self.room_size = room
        nr = (S + room - 1) // room
        self.n_rooms = nr * nr
        R = self.n_rooms
        hue = rng.rand(R)
        self.wall_col = np.stack([_hsv(hue[i], 0.35 + 0.45 * rng.rand(), 0.55 + 0.4 * rng.rand()) for i in range(R)])
        self.wall_col2 = self.wall_col * (0.55 + 0.25 * rng.rand(R, 1))
        self.floor_col = np.stack([_hsv(rng.rand(), 0.2 + 0.5 * rng.rand(), 0.25 + 0.35 * rng.rand()) for _ in range(R)])
        self.ceil_col = np.stack([_hsv(rng.rand(), 0.1 + 0.4 * rng.rand(), 0.6 + 0.35 * rng.rand()) for _ in range(R)])
        self.tex_kind = rng.randint(0, 3, size=R)  # 0 bricks, 1 vertical stripes, 2 checks
        self.tex_freq = rng.randint(2, 5, size=R)
        # paintings on wall faces that border an open block: key (bx, by, face)
        faces = []
        for x in range(S):
            for y in range(S):
                if g[x, y] == 1:
                    for f, (dx, dy) in enumerate(DIRS):
                        ox, oy = x + dx, y + dy
                        if 0 <= ox < S and 0 <= oy < S and g[ox, oy] == 0:
                            faces.append((x, y, f))
        idx = rng.choice(len(faces), size=min(paintings, len(faces)), replace=False)
        self.paintings = {}
        for i in idx:
            c1 = _hsv(rng.rand(), 0.9, 1.0)
            c2 = _hsv(rng.rand(), 0.9, 0.9)
            self.paintings[faces[i]] = (c1, c2, int(rng.randint(0, 3)))
        # painting lookup grids for vectorized rendering: per (x, y, face) -> index+1
        self.paint_idx = np.zeros((S, S, 4), dtype=np.int64)
        self.paint_c1 = np.zeros((len(self.paintings) + 1, 3))
        self.paint_c2 = np.zeros((len(self.paintings) + 1, 3))
        self.paint_shape = np.zeros(len(self.paintings) + 1, dtype=np.int64)
        for k, (key, (c1, c2, sh)) in enumerate(sorted(self.paintings.items())):
            self.paint_idx[key] = k + 1
            self.paint_c1[k + 1] = c1
            self.paint_c2[k + 1] = c2
            self.paint_shape[k + 1] = sh
        self.open_cells = [(x, y) for x in range(S) for y in range(S) if g[x, y] == 0]
        self.start_rng = rng

    def room_of(self, bx: int, by: int) -> int:
        nr = (self.S + self.room_size - 1) // self.room_size
        return (bx // self.room_size) * nr + (by // self.room_size)

    # ---- poses -------------------------------------------------------------------
    def random_pose(self, rng: np.random.RandomState) -> Pose:
        x, y = self.open_cells[rng.randint(len(self.open_cells))]
        return (2 * x + 1, 2 * y + 1, int(rng.randint(4)))  # half-block units, at a block centre

    def free(self, hx: int, hy: int) -> bool:
        """A half-lattice point is free if every block it touches is open."""
        xs = {hx // 2} if hx % 2 == 1 else {hx // 2 - 1, hx // 2}
        ys = {hy // 2} if hy % 2 == 1 else {hy // 2 - 1, hy // 2}
        for bx in xs:
            for by in ys:
                if bx < 0 or by < 0 or bx >= self.S or by >= self.S or self.grid[bx, by] == 1:
                    return False
        return True

    HEADINGS = 4  # v1: 90 degree turns

    def move(self, d: int) -> Tuple[int, int]:
        """The integer position change of a forward move with heading d."""
        return int(DIRS[d][0]), int(DIRS[d][1])

    def step(self, pose: Pose, action: Action) -> Pose:
        hx, hy, d = pose
        if isinstance(action, str):
            action = ACTIONS.index(action)
        if action == 1 or action == 2:
            s = 1 if action == 1 else -1
            mx, my = self.move(d)
            nx, ny = hx + s * mx, hy + s * my
            if self.free(nx, ny):
                return (int(nx), int(ny), d)
            return pose
        if action == 3:
            return (hx, hy, (d + 1) % self.HEADINGS)
        if action == 4:
            return (hx, hy, (d - 1) % self.HEADINGS)
        return pose

    # ---- rendering ----------------------------------------------------------------
    def render(self, pose: Pose, H: int = 32, W: int = 32) -> np.ndarray:
        """Render an H x W x 3 uint8 frame from a pose."""
        hx, hy, d = pose
        return self.cast(hx * 0.5, hy * 0.5, float(DIRS[d][0]), float(DIRS[d][1]), H, W)

    def cast(self, px: float, py: float, dx: float, dy: float, H: int = 32, W: int = 32) -> np.ndarray:
        """Ray-cast an H x W x 3 uint8 frame from position (px, py) in blocks, looking along
        the unit vector (dx, dy) with a 90 degree field of view."""
        rx, ry = dy, -dx  # right vector; FOV 90 degrees
        camx = (2.0 * (np.arange(W) + 0.5) / W) - 1.0
        rdx = dx + rx * camx
        rdy = dy + ry * camx
        with np.errstate(divide="ignore"):
            ddx = np.where(rdx == 0, 1e30, np.abs(1.0 / np.where(rdx == 0, 1, rdx)))
            ddy = np.where(rdy == 0, 1e30, np.abs(1.0 / np.where(rdy == 0, 1, rdy)))
        mx = np.full(W, int(np.floor(px)))
        my = np.full(W, int(np.floor(py)))
        stx = np.where(rdx < 0, -1, 1)
        sty = np.where(rdy < 0, -1, 1)
        sdx = np.where(rdx < 0, (px - mx) * ddx, (mx + 1.0 - px) * ddx)
        sdy = np.where(rdy < 0, (py - my) * ddy, (my + 1.0 - py) * ddy)
        hit = np.zeros(W, dtype=bool)
        side = np.zeros(W, dtype=np.int64)
        S = self.S
        for _ in range(4 * S):
            go_x = (sdx < sdy) & ~hit
            go_y = ~go_x & ~hit
            sdx = np.where(go_x, sdx + ddx, sdx)
            mx = np.where(go_x, mx + stx, mx)
            sdy = np.where(go_y, sdy + ddy, sdy)
            my = np.where(go_y, my + sty, my)
            side = np.where(go_x, 0, np.where(go_y, 1, side))
            mxc = np.clip(mx, 0, S - 1)
            myc = np.clip(my, 0, S - 1)
            hit = hit | (self.grid[mxc, myc] == 1)
            if hit.all():
                break
        mx = np.clip(mx, 0, S - 1)
        my = np.clip(my, 0, S - 1)
        perp = np.where(side == 0, sdx - ddx, sdy - ddy)
        perp = np.maximum(perp, 1e-3)
        # where on the face (0..1)
        wallx = np.where(side == 0, py + perp * rdy, px + perp * rdx)
        wallx = wallx - np.floor(wallx)
        # face index seen: ray going +x hits the block's -x face (face 2), etc.
        face = np.where(side == 0, np.where(stx > 0, 2, 0), np.where(sty > 0, 3, 1))
        # flip u so that textures are not mirrored between faces
        u = np.where((face == 0) | (face == 3), 1.0 - wallx, wallx)
        line_h = H / perp
        top = H / 2.0 - line_h / 2.0
        rows = np.arange(H) + 0.5
        v = (rows[:, None] - top[None, :]) / line_h[None, :]  # H x W, 0..1 on the wall
        is_wall = (v >= 0) & (v < 1)
        room = self.room_of(mx, my)
        kind = self.tex_kind[room]
        freq = self.tex_freq[room]
        U = np.broadcast_to(u[None, :], (H, W))
        fu = U * freq[None, :]
        fv = v * freq[None, :]
        brick_row = np.floor(fv * 1.5)
        brick = ((np.abs(((fu + 0.5 * (brick_row % 2)) % 1.0) - 0.5) > 0.44) | (np.abs((fv * 1.5) % 1.0 - 0.5) > 0.42))
        stripe = (np.floor(fu * 2) % 2) == 0
        check = ((np.floor(fu * 2) + np.floor(fv * 2)) % 2) == 0
        pat = np.where(kind[None, :] == 0, brick, np.where(kind[None, :] == 1, stripe, check))
        col = np.where(pat[..., None], self.wall_col2[room][None, :, :], self.wall_col[room][None, :, :])
        shade = np.where(side == 0, 1.0, 0.78)
        # paintings
        pidx = self.paint_idx[mx, my, face]
        in_frame = (U > 0.18) & (U < 0.82) & (v > 0.22) & (v < 0.72)
        pu = (U - 0.18) / 0.64
        pv = (v - 0.22) / 0.5
        sh = self.paint_shape[pidx][None, :]
        circ = (pu - 0.5) ** 2 + (pv - 0.5) ** 2 < 0.09
        diag = pu > pv
        hband = np.abs(pv - 0.5) < 0.18
        shape = np.where(sh == 0, circ, np.where(sh == 1, diag, hband))
        pcol = np.where(shape[..., None], self.paint_c2[pidx][None, :, :], self.paint_c1[pidx][None, :, :])
        border = in_frame & ~((U > 0.22) & (U < 0.78) & (v > 0.27) & (v < 0.67))
        has_p = (pidx > 0)[None, :] & in_frame
        col = np.where(has_p[..., None], pcol, col)
        col = np.where((border & (pidx > 0)[None, :])[..., None], np.array([0.15, 0.1, 0.05]), col)
        fog = np.exp(-0.12 * perp)
        col = col * (shade * (0.35 + 0.65 * fog))[None, :, None]
        # floor and ceiling: distance of the floor point for each row below the horizon
        rowd = np.abs(rows - H / 2.0)
        dist = (H / 2.0) / np.maximum(rowd, 1e-3)  # H x 1
        fxp = px + dist[:, None] * rdx[None, :]
        fyp = py + dist[:, None] * rdy[None, :]
        fbx = np.clip(np.floor(fxp).astype(np.int64), 0, S - 1)
        fby = np.clip(np.floor(fyp).astype(np.int64), 0, S - 1)
        froom = self.room_of(fbx, fby)
        tile = ((np.floor(fxp * 2) + np.floor(fyp * 2)) % 2 == 0)
        ffog = (0.35 + 0.65 * np.exp(-0.12 * dist))[:, None, None]
        floor = self.floor_col[froom] * np.where(tile, 1.0, 0.8)[..., None] * ffog
        ceil = self.ceil_col[froom] * ffog
        lower = (rows > H / 2.0)[:, None, None]
        bg = np.where(lower, floor, ceil)
        img = np.where(is_wall[..., None], col, bg)
        return (np.clip(img, 0, 1) * 255.0 + 0.5).astype(np.uint8)


def _hsv(h: float, s: float, v: float) -> np.ndarray:
    i = int(h * 6.0) % 6
    f = h * 6.0 - int(h * 6.0)
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    return np.array([(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i])


def rollout(maze: Maze, pose: Pose, actions: Sequence[Action], H: int = 32, W: int = 32
            ) -> Tuple[np.ndarray, list[Pose]]:
    """Frames [N, H, W, 3] uint8 and poses for the given actions (actions[0] leads to frame 0)."""
    frames, poses = [], []
    for a in actions:
        pose = maze.step(pose, a)
        poses.append(pose)
        frames.append(maze.render(pose, H, W))
    return np.stack(frames), poses


INVERSE = {0: 0, 1: 2, 2: 1, 3: 4, 4: 3}


def explore_actions(maze: Maze, pose: Pose, n: int, rng: np.random.RandomState) -> list[int]:
    """Exploration that turns back often: random moves mixed with look-arounds and
    retracing the last k moves, so exact revisits at many distances are common."""
    acts = []
    hist = []
    while len(acts) < n:
        r = rng.rand()
        if r < 0.08 and len(acts) >= 2:
            seq = [3] * 4 if rng.rand() < 0.5 else [4] * 4
        elif r < 0.22 and len(hist) >= 2:
            k = int(rng.randint(2, min(len(hist), 40) + 1))
            seq = [INVERSE[a] for a in reversed(hist[-k:])]
        else:
            p = np.array([0.04, 0.5, 0.1, 0.18, 0.18])
            a = int(rng.choice(5, p=p))
            if a == 1 and maze.step(pose, 1) == pose:
                a = int(rng.choice([3, 4]))
            seq = [a]
        for a in seq:
            if len(acts) >= n:
                break
            acts.append(a)
            hist.append(a)
            pose = maze.step(pose, a)
    return acts


def since_seen(poses: Sequence[Pose]) -> list[int]:
    """For each frame: frames since its exact view (pose) was last seen, -1 if new.
    A frame that only repeats the previous frame (noop, bumped into a wall) is not
    counted as a revisit."""
    last = {}
    out = []
    for i, p in enumerate(poses):
        j = last.get(p)
        if j is not None and j < i - 1 or (j is not None and i >= 1 and poses[i - 1] != p):
            out.append(i - j)
        else:
            out.append(-1)
        last[p] = i
    return out
