"""Writes the sampler parity fixture: frames the Python reference sampler
(models/training/evaluate.py's generate) makes for a plan, which the Java engine must
reproduce (SamplerParityTest).

    /usr/bin/python3 src/test/python/make_parity_fixture.py src/test/resources/parity

Both sides draw their Gaussian noise from the same stream: the Java engine's
SplittableRandom(seed).nextGaussian() (dumped by a one-file Java program run with this JDK's
`java`), consumed in the engine's order (initial noise of each entering frame, re-noising of
the init frames, sigma*z of each frame whose sigma > 0). The context is the first frames of
the tiny-walk test set, so the plans are what a client could post.

Per case: <case>.json (bundle, schedule, seed, actions) and <case>.bin (float32 little endian:
the context frames, then the expected frames, each C*H*W).
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "models", "training"))
import evaluate  # noqa: E402

BUNDLES = os.path.join(ROOT, "src", "test", "resources", "bundles")
WALK = os.path.join(ROOT, "src", "test", "resources", "eval", "tiny-walk")

# name, bundle, stride, explicit input levels (None: default family), ar steps, init steps, eta, frames
CASES = [
    ("frames-default", "tiny-frames", 1, None, 4, 4, 0.0, 8),
    ("frames-clean-window", "tiny-frames", 1, [0, 0, 0, 100], 4, 4, 0.0, 8),
    ("frames-stride2-eta1", "tiny-frames", 2, None, 3, 8, 1.0, 8),
    ("frames-pyramid-eta05", "tiny-frames", 1, [10, 35, 62, 100], 5, 8, 0.5, 6),
    ("tokens-default", "tiny-tokens", 1, None, 4, 4, 0.0, 6),
    ("tokens-clean-window", "tiny-tokens", 1, [0, 0, 0, 100], 4, 4, 0.0, 6),
    ("none-default", "tiny-none", 1, None, 4, 4, 0.0, 6),
]
CONTEXT = 4
SEED = 11

JAVA = """
import java.io.*;
import java.nio.*;
import java.util.SplittableRandom;
public class GaussianStream {
    public static void main(String[] a) throws IOException {
        SplittableRandom r = new SplittableRandom(Long.parseLong(a[0]));
        int n = Integer.parseInt(a[1]);
        ByteBuffer b = ByteBuffer.allocate(8 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) b.putDouble(r.nextGaussian());
        try (FileOutputStream o = new FileOutputStream(a[2])) { o.write(b.array()); }
    }
}
"""


def java_gaussians(seed, n):
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "GaussianStream.java")
        with open(src, "w") as f:
            f.write(JAVA)
        out = os.path.join(d, "g.bin")
        subprocess.run(["java", src, str(seed), str(n), out], check=True)
        return np.fromfile(out, dtype="<f8")


class Stream:
    """The engine's noise, in the order it draws it."""

    def __init__(self, values):
        self.values = values
        self.pos = 0

    def __call__(self, shape):
        n = int(np.prod(shape))
        if self.pos + n > len(self.values):
            raise RuntimeError("noise stream exhausted")
        v = self.values[self.pos:self.pos + n]
        self.pos += n
        return torch.from_numpy(v.copy()).reshape(*shape)


def walk():
    with open(os.path.join(WALK, "manifest.json")) as f:
        man = json.load(f)
    t = man["trajectories"][0]
    h, w = man["frame"]["height"], man["frame"]["width"]
    img = np.asarray(Image.open(os.path.join(WALK, t["frames"])).convert("RGB"))
    frames = img.reshape(h, t["length"], w, 3).transpose(1, 3, 0, 2).astype(np.float64) / 127.5 - 1.0
    return man["actions"]["names"], frames, t["actions"]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "src", "test", "resources", "parity")
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    names, frames, actions = walk()
    noise = java_gaussians(SEED, 400_000)
    for name, bundle, stride, levels, m_ar, m_init, eta, n in CASES:
        b = evaluate.Bundle(os.path.join(BUNDLES, bundle))
        ctx_actions = actions[:CONTEXT]
        fut = actions[CONTEXT:CONTEXT + n]  # frames the window computes past n get the padding action
        ctx = torch.from_numpy(frames[:CONTEXT])[None]
        ctx_a = evaluate.onehot(names, ctx_actions)[None]
        fut_a = evaluate.onehot(names, fut)[None]
        lv = None
        if levels is not None:
            outl = [0] * stride + levels[:-stride]
            lv = (levels, outl)
        gen = evaluate.generate(b, ctx, ctx_a, fut_a, n, stride=stride, m_ar=m_ar, m_init=m_init, levels=lv,
                                eta=eta, noise=Stream(noise))
        spec = {"case": name, "bundle": bundle, "seed": SEED, "stride": stride, "inputLevels": levels,
                "arSteps": m_ar, "initSteps": m_init, "eta": eta, "frames": n,
                "contextActions": ctx_actions, "actions": fut,
                "note": "made by src/test/python/make_parity_fixture.py with models/training/evaluate.py's sampler"}
        with open(os.path.join(out, name + ".json"), "w") as f:
            json.dump(spec, f, indent=1)
        data = np.concatenate([ctx[0].numpy().reshape(CONTEXT, -1), gen[0].numpy().reshape(n, -1)])
        data.astype("<f4").tofile(os.path.join(out, name + ".bin"))
        print(name, "frames", n, "noise drawn", "ok")


if __name__ == "__main__":
    main()
