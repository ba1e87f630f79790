import json
import os

import numpy as np
import pytest
import torch

from export import export
from networks import ARCHS, build
from train import load_config

TINY = dict(dim=32, depth=1, heads=2, memory_tokens=4)


def cfg_for(arch, tmp_path, **extra):
    p = tmp_path / "c.json"
    mf = 0 if arch == "none" else 4
    p.write_text(json.dumps(dict(id="tiny-" + arch, arch=arch, memory_frames=mf, **TINY, **extra)))
    return load_config(str(p))


@pytest.mark.parametrize("arch,extra", [(a, {}) for a in ARCHS] + [("prepend", {"pose_bias": True})],
                         ids=ARCHS + ["prepend-pose_bias"])
def test_export_signature_and_parity(arch, extra, tmp_path):
    cfg = cfg_for(arch, tmp_path, **extra)
    torch.manual_seed(0)
    den, enc = build(cfg)
    # randomize the zero-initialized output layers so that outputs are not trivially zero
    with torch.no_grad():
        for p in den.parameters():
            if p.abs().sum() == 0:
                p.normal_(0, 0.05)
    out = tmp_path / cfg["id"]
    mj = export(cfg, den, enc, str(out))
    files = set(os.listdir(out))
    assert {"model.json", "denoiser.pt", "parity.npz"} <= files
    assert ("memory_encoder.pt" in files) == (mj["memory"]["kind"] == "tokens")
    m = json.loads((out / "model.json").read_text())
    for k in ("id", "description", "frame", "actions", "diffusion", "window", "sampling", "memory"):
        assert k in m
    ac = m["diffusion"]["alphas_cumprod"]
    assert len(ac) == m["diffusion"]["timesteps"] + 1 and ac[0] == 1.0
    assert all(a > b for a, b in zip(ac, ac[1:]))
    z = np.load(out / "parity.npz")
    assert z["x"].dtype == np.float32 and z["levels"].dtype == np.int64 and z["memory_mask"].dtype == np.bool_
    dj = torch.jit.load(str(out / "denoiser.pt"))
    t = {k: torch.from_numpy(z[k]) for k in z.files}
    with torch.no_grad():
        o = dj(t["x"], t["levels"], t["actions"], t["memory"], t["memory_actions"], t["memory_mask"])
    assert o.shape == t["x"].shape
    assert torch.allclose(o, t["out"], atol=1e-5)
    assert o.abs().sum() > 0
    kind = m["memory"]["kind"]
    B, w = 3, m["window"]["frames"]
    x = torch.randn(B, w, 3, 32, 32)
    lv = torch.randint(0, 1001, (B, w))
    a = torch.zeros(B, w, 5)
    if kind == "frames":
        wm = m["memory"]["frames"]
        mem = torch.randn(B, wm, 3, 32, 32)
        mask = torch.ones(B, wm, dtype=torch.bool)
        mask[:, :2] = False
        full = dj(x, lv, a, mem, torch.zeros(B, wm, 5), mask)
        # fewer memory frames == the same frames with padding slots masked out
        short = dj(x, lv, a, mem[:, 2:], torch.zeros(B, wm - 2, 5), torch.ones(B, wm - 2, dtype=torch.bool))
        assert torch.allclose(full, short, atol=1e-5)
        empty = dj(x, lv, a, mem[:, :0], torch.zeros(B, 0, 5), torch.zeros(B, 0, dtype=torch.bool))
        assert empty.shape == x.shape and torch.isfinite(empty).all()
    elif kind == "tokens":
        ej = torch.jit.load(str(out / "memory_encoder.pt"))
        with torch.no_grad():
            eo = ej(t["enc_frames"], t["enc_actions"], t["enc_mask"])
        assert torch.allclose(eo, t["enc_out"], atol=1e-5)
        assert eo.shape == (2, m["memory"]["tokens"], m["memory"]["token_dim"])
        tok = ej(torch.randn(B, 2, 3, 32, 32), torch.zeros(B, 2, 5), torch.ones(B, 2, dtype=torch.bool))
        o = dj(x, lv, a, tok, torch.zeros(B, 0, 5), torch.ones(B, tok.shape[1], dtype=torch.bool))
        assert o.shape == x.shape
    else:
        o = dj(x, lv, a, torch.zeros(B, 0, 3, 32, 32), torch.zeros(B, 0, 5), torch.zeros(B, 0, dtype=torch.bool))
        assert o.shape == x.shape


def test_init_chain_follows_committed_bundles_where_no_local_run_exists():
    """A fresh clone has no runs/: a config that starts from a committed bundle records that
    bundle's own steps and then the chain back to the backbone, one entry per run."""
    from export import HERE, init_chain

    runs = ["maze-prepend-16-paint4", "maze-prepend-16", "none-base", "none-v64"]
    if any(os.path.exists(os.path.join(HERE, "runs", r, "ckpt.pt")) for r in runs):
        pytest.skip("local training runs present: the chain is read from them instead")
    chain = init_chain({"id": "x", "init_from": "maze-prepend-16-paint4"})
    assert [c["run"] for c in chain] == runs

    # What the committed manifests say, read here apart from init_chain, so that retraining a
    # bundle changes both sides: each committed bundle's own training record, then, past the
    # committed bundles, the init chain the last of them (maze-prepend-16) recorded.
    def training(bundle):
        with open(os.path.join(HERE, "..", bundle, "model.json")) as f:
            return json.load(f)["training"]

    paint4, prepend = training("maze-prepend-16-paint4"), training("maze-prepend-16")
    assert (paint4.get("init_from") or paint4.get("resume_from")) == "maze-prepend-16"
    assert (prepend.get("init_from") or prepend.get("resume_from")) == "none-base"
    beyond = prepend["init_chain"]
    assert [o["run"] for o in beyond] == ["none-base", "none-v64"]
    expected = [paint4, prepend] + beyond
    assert [c["steps"] for c in chain] == [e["steps"] for e in expected]
    assert [c["wall_time_min"] for c in chain] == [e["wall_time_min"] for e in expected]
    assert all(isinstance(c["steps"], int) and c["steps"] > 0 for c in chain)
    assert [c.get("weights") for c in chain[:2]] == ["committed bundle models/" + r for r in runs[:2]]
