"""Write the held-out evaluation sets to models/eval/<set>/ (maze seeds >= 900000, never
used in training):   /usr/bin/python3 make_eval.py   (world v2: --world v2, make_eval2.py)

Format (read by the Java service): manifest.json plus one RGB PNG per trajectory with its
N frames tiled left to right (width N*W, height H). actions[0] = "noop" (leads to frame 0).
sinceSeen[i] = frames since frame i's exact view (position and heading) was last seen,
-1 if it is not a revisit (a frame repeating the frame just before it is not a revisit).
"""
import json
import os

import numpy as np

from world import ACTIONS, Maze, explore_actions, rollout, since_seen

HERE = os.path.dirname(os.path.abspath(__file__))
EVAL = os.path.join(HERE, "..", "eval")
H = W = 32
BUCKETS = [(1, 16), (17, 48), (49, 112)]


def save_png(path, img):
    from PIL import Image  # Debian's python3-pil, as the tests read the sets

    Image.fromarray(np.ascontiguousarray(img, dtype=np.uint8)).save(path)


def write_trajectories(d, name, trajs):
    entries = []
    for k, (frames, acts, since) in enumerate(trajs):
        fn = "%s-%02d.png" % (name, k)
        save_png(os.path.join(d, fn), np.concatenate(list(frames), axis=1))
        entries.append({"id": "%s-%02d" % (name, k), "frames": fn, "length": int(len(frames)),
                        "actions": [ACTIONS[a] for a in acts], "sinceSeen": [int(s) for s in since]})
    return entries


def write_set(name, kind, description, trajs, context, world=None, extra=None):
    """Write models/eval/<name>/: the trajectory PNGs and manifest.json. `world` ("maze-v2")
    is written to the manifest when given (absent = maze-v1, the v1 sets stay byte-identical);
    `extra(d)` returns more manifest keys (written after contextFrames: the controllability
    states)."""
    d = os.path.join(EVAL, name)
    os.makedirs(d, exist_ok=True)
    man = {"name": name}
    if world is not None:
        man["world"] = world
    man.update({"kind": kind, "description": description,
                "frame": {"channels": 3, "height": H, "width": W},
                "actions": {"type": "discrete", "names": ACTIONS},
                "contextFrames": context})
    if extra is not None:
        man.update(extra(d))
    man["trajectories"] = write_trajectories(d, name, trajs)
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(man, f, indent=1)


def accumulation(n=8, context=8, future=72):
    out = []
    for i in range(n):
        maze = Maze(900000 + i)
        rng = np.random.RandomState(900000 + i)
        pose = maze.random_pose(rng)
        acts = [0] + explore_actions(maze, pose, context + future - 1, rng)
        fr, poses = rollout(maze, pose, acts, H, W)
        out.append((fr, acts, since_seen(poses)))
    return out


def retrieval_cases(n=8, context=8, length=136):
    """The retrieval trajectories with the maze and start pose each came from."""
    out = []
    seed = 910000
    while len(out) < n:
        seed += 1
        maze = Maze(seed)
        rng = np.random.RandomState(seed)
        pose = maze.random_pose(rng)
        acts = [0] + explore_actions(maze, pose, length - 1, rng)
        fr, poses = rollout(maze, pose, acts, H, W)
        s = np.array(since_seen(poses))
        fut = s[context:]
        counts = [int(((fut >= lo) & (fut <= hi)).sum()) for lo, hi in BUCKETS]
        if counts[0] >= 8 and counts[1] >= 4 and counts[2] >= 2:
            out.append((maze, pose, fr, acts, list(s)))
    return out


def retrieval(n=8, context=8, length=136):
    return [(fr, acts, s) for _, _, fr, acts, s in retrieval_cases(n, context, length)]


def main():
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--world", choices=["v1", "v2"], default="v1")
    if ap.parse_args().world == "v2":
        import make_eval2

        return make_eval2.main()
    acc = accumulation()
    write_set("accumulation", "accumulation",
              "8 held-out trajectories (maze seeds 900000-900007): 8 context frames + 72 future frames, exploration "
              "actions. Error accumulation: PSNR/SSIM per interval of generated frames.", acc, 8)
    ret = retrieval()
    write_set("retrieval", "retrieval",
              "8 held-out trajectories (maze seeds > 910000) of 136 frames (8 context) chosen so that the generated part "
              "comes back to views seen 1-16, 17-48 and 49-112 frames earlier; sinceSeen marks the revisits.", ret, 8)
    for name, t in (("accumulation", acc), ("retrieval", ret)):
        s = np.concatenate([np.array(x[2][8:]) for x in t])
        print(name, [int(((s >= lo) & (s <= hi)).sum()) for lo, hi in BUCKETS])


if __name__ == "__main__":
    main()
