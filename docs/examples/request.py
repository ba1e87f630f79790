#!/usr/bin/env python3
"""Prints a generation request for the bundled maze models (standard library only).

    python3 docs/examples/request.py --frames 24 [--model maze2-unet-4] [--seed 7] > req.json
    python3 docs/examples/request.py --world v1 --frames 24 [--model maze-prepend-16] > req.json

World v2 (the default here, for the default model maze2-unet-4w and the other maze2-* bundles):
the first 8 frames of a held-out world v2 trajectory (v2-context/clip.json names it) and, unless
--actions is given, the true actions that followed them, so the answer can be put beside the true
frames (compare.py). World v1 (`--world v1`, for the maze-* bundles): a 4-frame context clip of the
held-out v1 maze set and a cycled action list.
"""
import argparse
import base64
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--frames", type=int, default=24)
    p.add_argument("--model", default=None)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--world", choices=["v1", "v2"], default="v2")
    p.add_argument("--actions", default=None,
                   help="comma-separated action names, cycled to --frames (v1 default: "
                        "forward,forward,left,forward,right,forward; v2 default: the trajectory's true actions)")
    a = p.parse_args()
    ctx = HERE / ("context" if a.world == "v1" else "v2-context")
    clip = json.loads((ctx / "clip.json").read_text())
    n = clip.get("frames", 4)
    frames = [base64.b64encode((ctx / f"{i}.png").read_bytes()).decode() for i in range(n)]
    if a.actions:
        names = a.actions.split(",")
    elif a.world == "v2":
        names = clip["future"]
    else:
        names = "forward,forward,left,forward,right,forward".split(",")
    body = {"context": {"frames": frames, "actions": clip["actions"]},
            "actions": [names[i % len(names)] for i in range(a.frames)], "seed": a.seed}
    if a.model:
        body["model"] = a.model
    print(json.dumps(body))


if __name__ == "__main__":
    main()
