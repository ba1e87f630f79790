"""The world v2 held-out sets (maze seeds >= 920000; training uses 1000-1399):

    /usr/bin/python3 make_eval.py --world v2

models/eval/v2-accumulation, v2-retrieval (the v1 formats) and v2-controllability (the
`controllability` kind of CONTRACTS.md / docs/evaluation.md): states with a true history of
8 frames and the true next frame for every action, plus free-running trajectories of
8 context + 72 frames. Every manifest has "world": "maze-v2".
"""
import os

import numpy as np

from make_eval import BUCKETS, H, W, save_png, write_set
from world import ACTIONS
from world2 import WORLD, Maze2, explore_actions, rollout, since_seen

CONTEXT, FUTURE, RET_LENGTH, HORIZON = 8, 72, 136, 20


def trajectory(seed, length):
    maze = Maze2(seed)
    rng = np.random.RandomState(seed)
    pose = maze.random_pose(rng)
    acts = [0] + explore_actions(maze, pose, length - 1, rng)
    fr, poses = rollout(maze, pose, acts, H, W)
    return maze, pose, acts, fr, poses


def accumulation(n=8, seed0=920000):
    out = []
    for i in range(n):
        _, _, acts, fr, poses = trajectory(seed0 + i, CONTEXT + FUTURE)
        out.append((fr, acts, since_seen(poses)))
    return out


def retrieval(n=8, seed0=930000):
    """Trajectories whose generated part comes back to views seen 1-16, 17-48 and 49-112 frames
    earlier (the v1 selection rule, v2 counts)."""
    out = []
    seed = seed0
    while len(out) < n:
        seed += 1
        _, _, acts, fr, poses = trajectory(seed, RET_LENGTH)
        s = np.array(since_seen(poses))
        fut = s[CONTEXT:]
        counts = [int(((fut >= lo) & (fut <= hi)).sum()) for lo, hi in BUCKETS]
        if counts[0] >= 8 and counts[1] >= 4 and counts[2] >= 2:
            out.append((fr, acts, list(s)))
    return out


def controllability_states(n=80, seed0=940000, per_traj=4):
    """States (history of 8 true frames, the true next frame for each of the 5 actions and
    whether that next view is new). A state is taken only where both moves are possible, so the
    5 next frames are 5 different views (noop = the last history frame, left/right the 30 deg
    turns, forward/back a quarter block); per trajectory `per_traj` states at random times."""
    states = []
    seed = seed0
    while len(states) < n:
        seed += 1
        maze, _, acts, fr, poses = trajectory(seed, 120)
        rng = np.random.RandomState(seed + 7)
        times = [t for t in range(CONTEXT, len(poses))
                 if all(maze.step(poses[t - 1], a) != poses[t - 1] for a in (1, 2))]
        for t in sorted(rng.choice(times, size=min(per_traj, len(times)), replace=False)):
            if len(states) >= n:
                break
            p = poses[t - 1]
            nxt = [maze.step(p, a) for a in range(len(ACTIONS))]
            recent = set(poses[max(0, t - HORIZON):t])
            states.append(dict(seed=seed, t=int(t), history=fr[t - CONTEXT:t],
                               history_actions=[0] + list(acts[t - CONTEXT + 1:t]),
                               next=np.stack([maze.render(q, H, W) for q in nxt]),
                               new=[q not in recent for q in nxt]))
    return states


def main():
    acc = accumulation()
    write_set("v2-accumulation", "accumulation",
              "World v2 (30 deg turns, quarter-block moves): 8 held-out trajectories (maze seeds 920000-920007): "
              "8 context frames + 72 future frames, exploration actions (runs of the same action). Error "
              "accumulation: PSNR/SSIM per interval of generated frames.", acc, CONTEXT, world=WORLD)
    ret = retrieval()
    write_set("v2-retrieval", "retrieval",
              "World v2: 8 held-out trajectories (maze seeds > 930000) of 136 frames (8 context) chosen so that the "
              "generated part comes back to views seen 1-16, 17-48 and 49-112 frames earlier; sinceSeen marks the "
              "revisits.", ret, CONTEXT, world=WORLD)
    states = controllability_states()
    free = [(fr, acts, since_seen(poses)) for _, _, acts, fr, poses in
            (trajectory(950000 + i, CONTEXT + FUTURE) for i in range(16))]

    def extra(d):
        out = []
        for k, st in enumerate(states):
            sid = "v2-controllability-s%02d" % k
            save_png(os.path.join(d, sid + "-history.png"), np.concatenate(list(st["history"]), axis=1))
            save_png(os.path.join(d, sid + "-next.png"), np.concatenate(list(st["next"]), axis=1))
            out.append({"id": sid, "history": sid + "-history.png",
                        "historyActions": [ACTIONS[a] for a in st["history_actions"]],
                        "next": sid + "-next.png", "newView": [bool(x) for x in st["new"]]})
        return {"states": out}

    write_set("v2-controllability", "controllability",
              "World v2: %d held-out states (maze seeds > 940000, points of exploration trajectories where both "
              "moves are possible, so the five next views differ): the 8 true history frames and the true next "
              "frame for every action; newView[a] = the next view after action a is not among the last %d frames. "
              "Plus 16 free-running trajectories (maze seeds 950000-950015, 8 context + 72 frames) for the "
              "per-action frame change and sharpness." % (len(states), HORIZON), free, CONTEXT, world=WORLD,
              extra=extra)
    for name, t in (("v2-accumulation", acc), ("v2-retrieval", ret)):
        s = np.concatenate([np.array(x[2][CONTEXT:]) for x in t])
        print(name, "revisits per bucket", [int(((s >= lo) & (s <= hi)).sum()) for lo, hi in BUCKETS])
    nv = np.array([st["new"] for st in states])
    print("v2-controllability: %d states, new-view share per action %s" % (
        len(states), dict(zip(ACTIONS, np.round(nv.mean(axis=0), 2).tolist()))))


if __name__ == "__main__":
    main()
