"""World v2 denoiser: a DIAMOND-style U-Net with the previous frames on its input channels.

Each noisy window frame is denoised on its own: the network sees that frame, the `past`
frames just before it in the sequence (history memory, then the earlier window frames at
their own levels) stacked on the input channels, and a conditioning vector (the frame's
level, the action that led to it, the past frames' actions and levels) that drives every
residual block through adaptive group norm. EDM preconditioning (Karras et al. 2022) in the
variance-preserving form of the bundle's alphas_cumprod: the module outputs the clean-frame
estimate x0 = c_skip * x + c_out * F(c_in * x), so the bundle's prediction is "x0". Frames at
level 0 are returned as they are and cost nothing (the U-Net runs on the noisy frames only).

The bundle contract (model-bundle.md) is unchanged: memory kind "frames" (architecture
channel_concat), memory.frames = past; the service passes the history frames before the
window as memory.
"""
import math
from typing import Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

SIGMA_DATA = 0.5


def precondition(abar: torch.Tensor, sd: float = SIGMA_DATA) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """c_in, c_skip, c_out (for x_t = sqrt(abar) x0 + sqrt(1 - abar) eps) and c_noise = log(sigma) / 4."""
    abar = abar.clamp(1e-12, 1.0)
    d = 1.0 - abar + abar * sd * sd
    c_in = d.rsqrt()
    c_skip = sd * sd * abar.sqrt() / d
    c_out = (1.0 - abar).clamp(min=0.0).sqrt() * sd / d.sqrt()
    c_noise = 0.125 * (torch.log((1.0 - abar).clamp(min=1e-12)) - torch.log(abar))
    return c_in, c_skip, c_out, c_noise


class AdaGN(nn.Module):
    def __init__(self, c: int, emb: int, groups: int = 8) -> None:
        super().__init__()
        self.norm = nn.GroupNorm(groups, c, affine=False)
        self.proj = nn.Linear(emb, 2 * c)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        s, b = self.proj(e)[:, :, None, None].chunk(2, dim=1)
        # float32 statistics when training under bfloat16 autocast (a no-op for a float32 network)
        return self.norm(x.float()) * (1.0 + s) + b


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, emb: int) -> None:
        super().__init__()
        self.n1 = AdaGN(cin, emb)
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.n2 = AdaGN(cout, emb)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        nn.init.zeros_(self.c2.weight)
        nn.init.zeros_(self.c2.bias)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        h = self.c1(F.silu(self.n1(x, e)))
        h = self.c2(F.silu(self.n2(h, e)))
        return self.skip(x) + h


class UNet(nn.Module):
    """Three resolutions (32, 16, 8 for 32x32 frames), `blocks` residual blocks per level."""

    def __init__(self, cin: int, cout: int, emb: int, chans: Sequence[int] = (48, 96, 144), blocks: int = 2) -> None:
        super().__init__()
        self.inp = nn.Conv2d(cin, chans[0], 3, padding=1)
        self.down = nn.ModuleList()
        self.downsample = nn.ModuleList()
        c = chans[0]
        skips = []
        for i, ch in enumerate(chans):
            lvl = nn.ModuleList()
            for _ in range(blocks):
                lvl.append(ResBlock(c, ch, emb))
                c = ch
            self.down.append(lvl)
            skips.append(c)
            self.downsample.append(nn.Conv2d(c, c, 3, stride=2, padding=1) if i < len(chans) - 1 else nn.Identity())
        self.mid = ResBlock(c, c, emb)
        self.up = nn.ModuleList()
        self.upsample = nn.ModuleList()
        for i, ch in reversed(list(enumerate(chans))):
            lvl = nn.ModuleList()
            for b in range(blocks):
                lvl.append(ResBlock(c + (skips[i] if b == 0 else 0), ch, emb))
                c = ch
            self.up.append(lvl)
            self.upsample.append(nn.Upsample(scale_factor=2.0, mode="nearest") if i > 0 else nn.Identity())
        self.out_norm = nn.GroupNorm(8, c)
        self.out = nn.Conv2d(c, cout, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        h = self.inp(x)
        skips = []
        for lvl, ds in zip(self.down, self.downsample):
            for blk in lvl:
                h = blk(h, e)
            skips.append(h)
            h = ds(h)
        h = self.mid(h, e)
        n = len(skips)
        for i, (lvl, us) in enumerate(zip(self.up, self.upsample)):
            first = True
            for blk in lvl:
                if first:
                    h = torch.cat([h, skips[n - 1 - i]], dim=1)
                    first = False
                h = blk(h, e)
            h = us(h)
        return self.out(F.silu(self.out_norm(h.float())))


class FourierLevel(nn.Module):
    def __init__(self, n: int = 32) -> None:
        super().__init__()
        self.register_buffer("freqs", torch.randn(n) * 4.0, persistent=True)

    def forward(self, c: torch.Tensor) -> torch.Tensor:
        a = c[:, None] * self.freqs[None, :] * (2 * math.pi)
        return torch.cat([a.cos(), a.sin()], dim=1)


class WorldUNet(nn.Module):
    """The bundle's denoiser (forward as in model-bundle.md)."""

    def __init__(self, alphas_cumprod: Sequence[float], past: int = 4, channels: int = 3, n_actions: int = 5,
                 emb: int = 128, chans: Sequence[int] = (48, 96, 144), blocks: int = 2) -> None:
        super().__init__()
        self.past = past
        self.sd = SIGMA_DATA
        self.channels = channels
        self.n_actions = n_actions
        self.register_buffer("ac", torch.tensor(alphas_cumprod, dtype=torch.float32), persistent=True)
        self.T = len(alphas_cumprod) - 1
        self.level_emb = FourierLevel(32)
        self.cond = nn.Sequential(nn.Linear(64 + n_actions + past * (n_actions + 2), emb), nn.SiLU(),
                                  nn.Linear(emb, emb), nn.SiLU())
        self.net = UNet(channels * (past + 1), channels, emb, chans, blocks)

    def denoise(self, xt: torch.Tensor, level: torch.Tensor, action: torch.Tensor, past: torch.Tensor,
                past_level: torch.Tensor, past_action: torch.Tensor, past_mask: torch.Tensor) -> torch.Tensor:
        """One frame each: xt [n, C, H, W] at level [n] (> 0) after `action` [n, A]; past [n, P, C, H, W]
        (oldest first) at past_level [n, P] with past_action [n, P, A] and past_mask [n, P] (false = none)."""
        abar = self.ac[level]
        c_in, c_skip, c_out, c_noise = precondition(abar, self.sd)
        pab = self.ac[past_level]
        pm = past_mask.to(xt.dtype)
        p_in = (1.0 - pab + pab * self.sd * self.sd).rsqrt() * pm
        n = xt.shape[0]
        inp = torch.cat([xt * c_in[:, None, None, None], (past * p_in[:, :, None, None, None]).reshape(
            n, self.past * self.channels, xt.shape[2], xt.shape[3])], dim=1)
        cond = torch.cat([self.level_emb(c_noise), action, (past_action * pm[:, :, None]).reshape(n, -1),
                          past_level.to(xt.dtype) / self.T * pm, pm], dim=1)
        f = self.net(inp, self.cond(cond))
        return c_skip[:, None, None, None] * xt + c_out[:, None, None, None] * f

    def forward(self, x: torch.Tensor, levels: torch.Tensor, actions: torch.Tensor, memory: torch.Tensor,
                memory_actions: torch.Tensor, memory_mask: torch.Tensor) -> torch.Tensor:
        B, w, C, H, W = x.shape
        P = self.past
        m = memory.shape[1]
        dev = x.device
        seq = torch.cat([torch.zeros(B, P, C, H, W, device=dev, dtype=x.dtype), memory, x], dim=1)
        lv = torch.cat([torch.zeros(B, P + m, dtype=levels.dtype, device=dev), levels], dim=1)
        act = torch.cat([torch.zeros(B, P, self.n_actions, device=dev, dtype=x.dtype), memory_actions, actions], dim=1)
        msk = torch.cat([torch.zeros(B, P, dtype=torch.bool, device=dev), memory_mask,
                         torch.ones(B, w, dtype=torch.bool, device=dev)], dim=1)
        pf, pl, pa, pk = [], [], [], []
        for j in range(w):
            s = P + m + j
            pf.append(seq[:, s - P:s])
            pl.append(lv[:, s - P:s])
            pa.append(act[:, s - P:s])
            pk.append(msk[:, s - P:s])
        N = B * w
        past = torch.stack(pf, dim=1).reshape(N, P, C, H, W)
        past_level = torch.stack(pl, dim=1).reshape(N, P)
        past_action = torch.stack(pa, dim=1).reshape(N, P, self.n_actions)
        past_mask = torch.stack(pk, dim=1).reshape(N, P)
        flat_x = x.reshape(N, C, H, W)
        flat_l = levels.reshape(N)
        idx = torch.nonzero(flat_l > 0).reshape(-1)
        out = flat_x.clone()
        if idx.numel() > 0:
            y = self.denoise(flat_x.index_select(0, idx), flat_l.index_select(0, idx),
                             actions.reshape(N, self.n_actions).index_select(0, idx), past.index_select(0, idx),
                             past_level.index_select(0, idx), past_action.index_select(0, idx),
                             past_mask.index_select(0, idx))
            out = out.index_copy(0, idx, y)
        return out.reshape(B, w, C, H, W)
