"""Cost per network call of each exported bundle on this CPU (batch 1, full memory):
    cd models/experiments
    /usr/bin/python3 bench.py ../maze-* [--threads 2] [--reps 20]
Prints the median ms per denoiser call (and per memory-encoder call for tokens bundles)."""
import argparse
import json
import os
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bundles", nargs="+")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=50)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    res = {}
    for p in args.bundles:
        mj = json.load(open(os.path.join(p, "model.json")))
        den = torch.jit.load(os.path.join(p, "denoiser.pt"))
        C, H, W = mj["frame"]["channels"], mj["frame"]["height"], mj["frame"]["width"]
        w, kind, wm = mj["window"]["frames"], mj["memory"]["kind"], mj["memory"]["frames"]
        x = torch.randn(1, w, C, H, W)
        lv = torch.tensor([[250, 500, 750, 1000]])[:, :w]
        a = torch.zeros(1, w, 5)
        enc_ms = None
        if kind == "frames":
            mem = (torch.randn(1, wm, C, H, W), torch.zeros(1, wm, 5), torch.ones(1, wm, dtype=torch.bool))
        elif kind == "tokens":
            enc = torch.jit.load(os.path.join(p, "memory_encoder.pt"))
            ein = (torch.randn(1, wm, C, H, W), torch.zeros(1, wm, 5), torch.ones(1, wm, dtype=torch.bool))
            with torch.no_grad():
                for _ in range(3):
                    tok = enc(*ein)
                ts = []
                for _ in range(args.reps):
                    t = time.time()
                    tok = enc(*ein)
                    ts.append(time.time() - t)
                enc_ms = 1000 * sorted(ts)[len(ts) // 2]
            mem = (tok, torch.zeros(1, 0, 5), torch.ones(1, tok.shape[1], dtype=torch.bool))
        else:
            mem = (torch.zeros(1, 0, C, H, W), torch.zeros(1, 0, 5), torch.zeros(1, 0, dtype=torch.bool))
        with torch.no_grad():
            for _ in range(3):
                den(x, lv, a, *mem)
            ts = []
            for _ in range(args.reps):
                t = time.time()
                den(x, lv, a, *mem)
                ts.append(time.time() - t)
            ms = 1000 * sorted(ts)[len(ts) // 2]  # median: robust to other load on the cores
        res[mj["id"]] = {"denoiser_ms": round(ms, 1), "encoder_ms": None if enc_ms is None else round(enc_ms, 1)}
        print(mj["id"], json.dumps(res[mj["id"]]), flush=True)


if __name__ == "__main__":
    main()
