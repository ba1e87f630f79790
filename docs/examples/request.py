#!/usr/bin/env python3
"""Prints a generation request for the bundled maze models (standard library only).

    python3 docs/examples/request.py --frames 24 [--model maze-prepend-16] [--seed 7] > req.json
"""
import argparse
import base64
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent / "context"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--frames", type=int, default=24)
    p.add_argument("--model", default=None)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--actions", default="forward,forward,left,forward,right,forward",
                   help="comma-separated action names, cycled to --frames")
    a = p.parse_args()
    clip = json.loads((HERE / "clip.json").read_text())
    frames = [base64.b64encode((HERE / f"{i}.png").read_bytes()).decode() for i in range(4)]
    names = a.actions.split(",")
    body = {"context": {"frames": frames, "actions": clip["actions"]},
            "actions": [names[i % len(names)] for i in range(a.frames)], "seed": a.seed}
    if a.model:
        body["model"] = a.model
    print(json.dumps(body))


if __name__ == "__main__":
    main()
