"""Writes the tiny TorchScript bundles the Java test suite loads through DJL.

They are untrained and a few KB each: they exist to exercise the bundle contract
(models/<id>/model.json, denoiser.pt, memory_encoder.pt, parity.npz) for every
memory kind without depending on trained weights.

    /usr/bin/python3 src/test/python/make_test_bundles.py src/test/resources/bundles
"""
import json
import math
import os
import sys
from typing import List

import numpy as np
import torch
from torch import Tensor, nn

C, H, W = 3, 16, 16
WINDOW = 4
T = 100
ACTIONS = ["noop", "forward", "back", "left", "right"]


def alphas_cumprod(timesteps: int) -> List[float]:
    """Cosine schedule, index 0 = 1.0 (clean), index T close to 0 but positive."""
    s = 0.008
    f = [math.cos(((t / timesteps) + s) / (1 + s) * math.pi / 2) ** 2 for t in range(timesteps + 1)]
    return [max(min(v / f[0], 1.0), 1e-4) for v in f]


class TinyDenoiser(nn.Module):
    """Per-pixel mix of the window, its levels, its actions and a masked memory summary."""

    def __init__(self, memory_kind: str, token_dim: int):
        super().__init__()
        self.memory_kind = memory_kind
        self.timesteps = float(T)
        self.mix = nn.Conv2d(C * 2, C, kernel_size=3, padding=1)
        self.level = nn.Linear(1, C)
        self.action = nn.Linear(len(ACTIONS), C)
        self.token = nn.Linear(token_dim, C)

    def forward(self, x: Tensor, levels: Tensor, actions: Tensor, memory: Tensor,
                memory_actions: Tensor, memory_mask: Tensor) -> Tensor:
        b, w, c, h, wd = x.shape
        if self.memory_kind == "frames" and memory.shape[1] > 0:
            m = memory_mask.to(x.dtype).view(b, -1, 1, 1, 1)
            summary = (memory * m).sum(1) / m.sum(1).clamp(min=1.0)
        elif self.memory_kind == "tokens" and memory.shape[1] > 0:
            m = memory_mask.to(x.dtype).view(b, -1, 1)
            tok = (memory * m).sum(1) / m.sum(1).clamp(min=1.0)
            summary = self.token(tok).view(b, c, 1, 1).expand(b, c, h, wd)
        else:
            summary = torch.zeros(b, c, h, wd, dtype=x.dtype)
        summary = summary.unsqueeze(1).expand(b, w, c, h, wd)
        y = self.mix(torch.cat([x, summary], dim=2).reshape(b * w, 2 * c, h, wd)).view(b, w, c, h, wd)
        lv = self.level((levels.to(x.dtype) / self.timesteps).unsqueeze(-1)).view(b, w, c, 1, 1)
        ac = self.action(actions).view(b, w, c, 1, 1)
        return torch.tanh(y + lv + ac)


class TinyEncoder(nn.Module):
    def __init__(self, tokens: int, token_dim: int):
        super().__init__()
        self.tokens = tokens
        self.proj = nn.Linear(C + len(ACTIONS), tokens * token_dim)
        self.token_dim = token_dim

    def forward(self, frames: Tensor, actions: Tensor, mask: Tensor) -> Tensor:
        b = frames.shape[0]
        pooled = torch.cat([frames.mean(dim=(3, 4)), actions], dim=2)
        m = mask.to(frames.dtype).unsqueeze(-1)
        summary = (pooled * m).sum(1) / m.sum(1).clamp(min=1.0)
        return torch.tanh(self.proj(summary)).view(b, self.tokens, self.token_dim)


def manifest(bundle_id: str, kind: str, arch: str, frames: int, tokens: int, token_dim: int) -> dict:
    memory = {"architecture": arch, "kind": kind, "frames": frames}
    if kind == "tokens":
        memory.update({"tokens": tokens, "token_dim": token_dim})
    return {
        "id": bundle_id,
        "description": f"Untrained {arch} test bundle ({C}x{H}x{W}), for the engine's tests only",
        "frame": {"channels": C, "height": H, "width": W},
        "actions": {"type": "discrete", "names": ACTIONS},
        "diffusion": {"timesteps": T, "alphas_cumprod": alphas_cumprod(T), "prediction": "eps"},
        "window": {"frames": WINDOW, "stride": 1},
        "sampling": {"ar_steps": 4, "init_steps": 4, "eta": 0.0},
        "memory": memory,
        "training": {"data": "none", "steps": 0, "note": "random weights, made by src/test/python/make_test_bundles.py"},
    }


def write_bundle(root: str, bundle_id: str, kind: str, arch: str, frames: int = 4,
                 tokens: int = 4, token_dim: int = 8) -> None:
    torch.manual_seed(len(bundle_id))
    out = os.path.join(root, bundle_id)
    os.makedirs(out, exist_ok=True)
    den = torch.jit.script(TinyDenoiser(kind, token_dim).eval())
    den.save(os.path.join(out, "denoiser.pt"))
    b, m = 2, frames if kind == "frames" else 0
    g = torch.Generator().manual_seed(7)
    x = torch.randn(b, WINDOW, C, H, W, generator=g)
    levels = torch.randint(0, T + 1, (b, WINDOW), generator=g)
    actions = torch.nn.functional.one_hot(torch.randint(0, len(ACTIONS), (b, WINDOW), generator=g), len(ACTIONS)).float()
    arrays = {}
    if kind == "tokens":
        enc = torch.jit.script(TinyEncoder(tokens, token_dim).eval())
        enc.save(os.path.join(out, "memory_encoder.pt"))
        ef = torch.randn(b, frames, C, H, W, generator=g)
        ea = torch.nn.functional.one_hot(torch.randint(0, len(ACTIONS), (b, frames), generator=g), len(ACTIONS)).float()
        em = torch.ones(b, frames, dtype=torch.bool)
        em[0, 0] = False
        with torch.no_grad():
            memory = enc(ef, ea, em)
        arrays.update(enc_frames=ef, enc_actions=ea, enc_mask=em, enc_out=memory)
        mem_actions = torch.zeros(b, 0, len(ACTIONS))
        mask = torch.ones(b, tokens, dtype=torch.bool)
    else:
        memory = torch.randn(b, m, C, H, W, generator=g)
        mem_actions = torch.zeros(b, m, len(ACTIONS))
        mask = torch.ones(b, m, dtype=torch.bool)
        if m > 1:
            mask[1, 0] = False
    with torch.no_grad():
        y = den(x, levels, actions, memory, mem_actions, mask)
    arrays.update(x=x, levels=levels, actions=actions, memory=memory, memory_actions=mem_actions,
                  memory_mask=mask, out=y)
    np.savez(os.path.join(out, "parity.npz"), **{k: v.numpy() for k, v in arrays.items()})
    with open(os.path.join(out, "model.json"), "w") as f:
        json.dump(manifest(bundle_id, kind, arch, frames, tokens, token_dim), f, indent=1)


def main() -> None:
    root = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/bundles"
    torch.set_num_threads(1)
    write_bundle(root, "tiny-none", "none", "none", frames=0)
    write_bundle(root, "tiny-frames", "frames", "prepend", frames=4)
    write_bundle(root, "tiny-tokens", "tokens", "compressed_joint", frames=4, tokens=4, token_dim=8)


if __name__ == "__main__":
    main()
