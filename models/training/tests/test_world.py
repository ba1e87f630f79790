import numpy as np

from world import ACTIONS, Maze, explore_actions, rollout, since_seen


def test_same_seed_same_frames():
    acts = [0, 1, 1, 3, 1, 4, 2, 2, 3, 3, 1]
    m1, m2 = Maze(7), Maze(7)
    p1 = m1.random_pose(np.random.RandomState(3))
    p2 = m2.random_pose(np.random.RandomState(3))
    f1, _ = rollout(m1, p1, acts)
    f2, _ = rollout(m2, p2, acts)
    assert f1.dtype == np.uint8 and f1.shape == (len(acts), 32, 32, 3)
    assert np.array_equal(f1, f2)
    f3, _ = rollout(Maze(8), Maze(8).random_pose(np.random.RandomState(3)), acts)
    assert not np.array_equal(f1, f3)


def test_four_lefts_return_start_view():
    m = Maze(11)
    rng = np.random.RandomState(0)
    for _ in range(5):
        pose = m.random_pose(rng)
        start = m.render(pose)
        fr, poses = rollout(m, pose, ["left"] * 4)
        assert np.array_equal(fr[-1], start)
        # a quarter turn (one left or three) always shows another view; a half turn may not (a
        # straight corridor looks the same both ways), so fr[1] is not checked
        assert not np.array_equal(fr[0], start) and not np.array_equal(fr[2], start)
        fr, _ = rollout(m, pose, ["right"] * 4)
        assert np.array_equal(fr[-1], start)


def test_forward_then_back_returns_view_where_no_wall():
    m = Maze(5)
    rng = np.random.RandomState(1)
    checked = 0
    for _ in range(50):
        pose = m.random_pose(rng)
        if m.step(pose, "forward") == pose:
            continue  # wall ahead
        start = m.render(pose)
        fr, poses = rollout(m, pose, ["forward", "back"])
        assert poses[0] != pose
        assert not np.array_equal(fr[0], start)
        assert np.array_equal(fr[1], start)
        checked += 1
    assert checked > 5


def test_wall_blocks_and_actions():
    assert ACTIONS == ["noop", "forward", "back", "left", "right"]
    m = Maze(5)
    rng = np.random.RandomState(2)
    pose = m.random_pose(rng)
    for _ in range(40):  # walking forward ends at a wall and then stays
        pose = m.step(pose, "forward")
    assert m.step(pose, "forward") == pose


def test_exploration_revisits():
    m = Maze(3)
    rng = np.random.RandomState(4)
    pose = m.random_pose(rng)
    acts = explore_actions(m, pose, 128, rng)
    _, poses = rollout(m, pose, acts)
    s = np.array(since_seen(poses))
    assert (s > 0).sum() > 20
    assert (s > 16).sum() > 0


def test_committed_retrieval_set_is_what_make_eval_builds_and_paintings_can_be_masked():
    """models/experiments/decorations.py rebuilds the retrieval set from its maze seeds; that is only valid while
    the committed PNGs are what make_eval renders. Removing the paintings must change some
    revisit frames (painting pixels exist) and leave frames without a painting untouched."""
    import json
    import os

    import make_eval
    from data import bare_rendering

    d = os.path.join(os.path.dirname(__file__), "..", "..", "eval", "retrieval")
    man = json.load(open(os.path.join(d, "manifest.json")))
    cases = make_eval.retrieval_cases()
    assert len(cases) == len(man["trajectories"])
    changed = unchanged = 0
    for (maze, pose, fr, acts, since), t in zip(cases, man["trajectories"]):
        img = read_png(os.path.join(d, t["frames"]))[:, :, :3]
        png = img.reshape(32, t["length"], 32, 3).transpose(1, 0, 2, 3)
        assert np.array_equal(png, fr)
        assert list(since) == t["sinceSeen"]
        _, mask = bare_rendering(maze, pose, acts, fr)
        diff = mask.reshape(len(acts), -1).sum(1)
        changed += int((diff > 0).sum())
        unchanged += int((diff == 0).sum())
    assert changed > 0 and unchanged > 0


def test_paintings_shown_in_context_are_told_apart_from_those_first_seen_later():
    """models/experiments/decorations.py splits painting recall by whether the context clip showed the painting.
    Context frames that show a painting count as shown, frames without painting pixels never do;
    in a maze holding one painting only, its frames count as shown exactly when the painting was
    first in view inside the context."""
    import make_eval
    from data import bare_rendering, only_painting, shown_in_context

    c = 8
    later = earlier = 0
    for maze, pose, fr, acts, since in make_eval.retrieval_cases():
        bare, mask = bare_rendering(maze, pose, acts, fr)
        shown = shown_in_context(maze, pose, acts, bare, c)
        has = mask.reshape(len(acts), -1).any(1)
        assert shown[:c][has[:c]].all() and not shown[~has].any()
        for k in range(len(maze.paintings)):
            alone = only_painting(maze, k + 1)
            f1, _ = rollout(alone, pose, acts)
            vis = np.any(f1 != bare, axis=-1).reshape(len(acts), -1).any(1)
            if not vis.any():
                continue
            s1 = shown_in_context(alone, pose, acts, bare, c)
            first_in_context = int(np.argmax(vis)) < c
            assert (s1[vis] == first_in_context).all() and not s1[~vis].any()
            earlier += first_in_context
            later += not first_in_context
    assert later > 0 and earlier > 0


def read_png(path):
    """8-bit RGB/RGBA non-interlaced PNG -> uint8 array [H, W, C] (numpy + zlib only: CI has no
    image library)."""
    import struct
    import zlib

    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    assert depth == 8 and ctype in (2, 6) and interlace == 0, hdr
    c = 3 if ctype == 2 else 4
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, 1 + w * c)
    out = np.zeros((h, w * c), np.int32)
    prev = np.zeros(w * c, np.int32)
    for y in range(h):
        f, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        if f == 0:
            cur = line
        elif f == 2:
            cur = (line + prev) & 255
        else:
            cur = np.zeros(w * c, np.int32)
            for x in range(w * c):
                a = cur[x - c] if x >= c else 0
                b = prev[x]
                if f == 1:
                    pred = a
                elif f == 3:
                    pred = (a + b) // 2
                else:
                    cc = prev[x - c] if x >= c else 0
                    pa, pb, pc = abs(b - cc), abs(a - cc), abs(a + b - 2 * cc)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else cc)
                cur[x] = (line[x] + pred) & 255
        out[y] = cur
        prev = cur
    return out.reshape(h, w, c).astype(np.uint8)
