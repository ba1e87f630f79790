"""Writes the tiny evaluation sets the Java tests run against the tiny bundles (16x16 RGB,
actions noop/forward/back/left/right), in the format of models/eval/<set>/ (see
models/training/make_eval.py): manifest.json plus one PNG per trajectory with its frames
tiled left to right.

    /usr/bin/python3 src/test/python/make_eval_fixture.py src/test/resources/eval

The world is a ring of 8 places seen from near or far: left/right move along the ring,
forward/back change the distance, noop stays. Each view has its own colours and stripes,
so a walk that comes back to a place shows the same frame again; sinceSeen[i] counts the
frames since frame i's view was last seen (-1 for a new view, or one that just repeats the
frame before it).
"""
import json
import os
import sys

import numpy as np
from PIL import Image

H = W = 16
PLACES = 8
ACTIONS = ["noop", "forward", "back", "left", "right"]


def view(place: int, near: int) -> np.ndarray:
    y, x = np.mgrid[0:H, 0:W]
    period = 3 + place % 4 + 2 * near
    stripes = ((x + place * y // 3) // period) % 2
    r = 40 + 25 * place + 60 * stripes
    g = 200 - 20 * place + 40 * near * (y // 4 % 2)
    b = 90 + 12 * x * (1 + near) // 2 - 30 * stripes
    return np.clip(np.stack([r, g, b], -1), 0, 255).astype(np.uint8)


def walk(rng: np.random.RandomState, length: int):
    place, near = int(rng.randint(PLACES)), 0
    acts, views = ["noop"], [(place, near)]
    for _ in range(length - 1):
        a = ACTIONS[rng.choice(5, p=[0.1, 0.15, 0.15, 0.3, 0.3])]
        if a == "left":
            place = (place - 1) % PLACES
        elif a == "right":
            place = (place + 1) % PLACES
        elif a == "forward":
            near = 1
        elif a == "back":
            near = 0
        acts.append(a)
        views.append((place, near))
    return acts, views


def since_seen(views):
    last, out = {}, []
    for i, v in enumerate(views):
        repeat = i > 0 and views[i - 1] == v
        out.append(-1 if repeat or v not in last else i - last[v])
        last[v] = i
    return out


def write_set(root, name, kind, description, context, lengths, seed):
    d = os.path.join(root, name)
    os.makedirs(d, exist_ok=True)
    rng = np.random.RandomState(seed)
    entries = []
    for k, n in enumerate(lengths):
        acts, views = walk(rng, n)
        tiles = np.concatenate([view(p, z) for p, z in views], axis=1)
        fn = "%s-%02d.png" % (name, k)
        Image.fromarray(tiles, "RGB").save(os.path.join(d, fn))
        entries.append({"id": "%s-%02d" % (name, k), "frames": fn, "length": n, "actions": acts,
                        "sinceSeen": since_seen(views)})
    manifest = {"name": name, "kind": kind, "description": description,
                "frame": {"channels": 3, "height": H, "width": W},
                "actions": {"type": "discrete", "names": ACTIONS},
                "contextFrames": context, "trajectories": entries}
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


def main():
    root = sys.argv[1]
    write_set(root, "tiny-walk", "accumulation", "Tests only: 2 walks of 2 context + 34 future frames on a ring"
              " of 8 places (16x16).", 2, [36, 36], 7)
    write_set(root, "tiny-loop", "retrieval", "Tests only: 3 walks of 4 context + 36 future frames that come back"
              " to places seen before (16x16).", 4, [40, 40, 40], 11)


if __name__ == "__main__":
    main()
