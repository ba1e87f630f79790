#!/usr/bin/env python3
"""Scores README's example candidates: every held-out world v2 trajectory, through a running service.

    python3 models/experiments/readme_clip.py [--base http://localhost:8080] [--frames 16] [--write ID]

For each trajectory of the world v2 sets (v2-accumulation, v2-retrieval, v2-controllability), posts its
first contextFrames frames (GET .../trajectories/{id}/context) and the true actions after them to
POST /v1/generations (default model, seed 7, JSON) and prints, over the first --frames generated frames:
PSNR of the generated frames against the truth, the same for repeating the last context frame, their
difference, and how many of the frames are nearer to their true frame than the last context frame is.
--write ID copies that trajectory's context clip and its next 32 true actions to docs/examples/v2-context,
the clip request.py and compare.py use by default (standard library only).
"""
import argparse
import base64
import json
import math
import pathlib
import sys
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "docs" / "examples"))
from compare import read_png, strip_frame  # noqa: E402

SETS = ["v2-accumulation", "v2-retrieval", "v2-controllability"]


def get(base: str, path: str):
    with urllib.request.urlopen(base + path) as r:
        return json.load(r)


def post(base: str, path: str, body):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "Accept": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def pixels(png: bytes):
    return [v for row in read_png(png)[2] for v in row]


def mse(a, b) -> float:
    return sum((x - y) ** 2 for x, y in zip(a, b)) / len(a)


def psnr(m: float) -> float:
    return 10 * math.log10(255.0 ** 2 / max(m, 1e-10))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--base", default="http://localhost:8080")
    p.add_argument("--frames", type=int, default=16)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--write", default=None)
    a = p.parse_args()
    rows = []
    for s in SETS:
        manifest = json.loads((ROOT / "models" / "eval" / s / "manifest.json").read_text())
        for t in manifest["trajectories"]:
            c0 = manifest["contextFrames"]
            ctx = get(a.base, "/v1/evaluation-sets/%s/trajectories/%s/context" % (s, t["id"]))
            future = t["actions"][c0:c0 + a.frames]
            if len(future) < a.frames:
                continue
            answer = post(a.base, "/v1/generations", {"context": {"frames": ctx["frames"], "actions": ctx["actions"]},
                                                      "actions": future, "seed": a.seed})
            _, fw, strip = read_png((ROOT / "models" / "eval" / s / (t["id"] + ".png")).read_bytes())

            def true(i):
                return [v for row in strip_frame(strip, fw, i) for v in row]
            last = true(c0 - 1)
            gen_m, rep_m, nearer = [], [], 0
            for i, f in enumerate(answer["frames"]):
                g, tr = pixels(base64.b64decode(f["image"])), true(c0 + i)
                gen_m.append(mse(g, tr))
                rep_m.append(mse(last, tr))
                nearer += gen_m[-1] < rep_m[-1]
            g_db, r_db = psnr(sum(gen_m) / len(gen_m)), psnr(sum(rep_m) / len(rep_m))
            rows.append((g_db - r_db, s, t, c0, ctx))
            print("%-20s %-24s PSNR %.2f dB, repeat %.2f dB, %+.2f dB, nearer %d/%d  %s"
                  % (s, t["id"], g_db, r_db, g_db - r_db, nearer, len(gen_m), " ".join(future)), flush=True)
    gains = sorted(r[0] for r in rows)
    print("%d trajectories: gain median %+.2f dB, mean %+.2f dB" % (len(rows), gains[len(gains) // 2],
                                                                      sum(gains) / len(gains)))
    if a.write:
        _, s, t, c0, ctx = next(r for r in rows if r[2]["id"] == a.write)
        tid = t["id"]
        out = ROOT / "docs" / "examples" / "v2-context"
        for i, f in enumerate(ctx["frames"]):
            (out / ("%d.png" % i)).write_bytes(base64.b64decode(f))
        clip = {"set": s, "trajectory": tid, "frames": c0, "actions": ctx["actions"],
                "future": t["actions"][c0:c0 + 32],
                "note": "the first %d frames of a held-out world v2 trajectory and the 32 true actions after them" % c0}
        (out / "clip.json").write_text(json.dumps(clip, indent=1) + "\n")
        print("wrote %s from %s %s" % (out, s, tid))


if __name__ == "__main__":
    main()
