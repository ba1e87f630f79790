"""One backbone family for all six memory architectures.

A factorized spatio-temporal transformer on patch tokens (DiT-style adaLN-Zero
conditioning on a per-frame vector = level embedding + action embedding):
every block does spatial self-attention inside each frame, temporal self-attention
across frames at each patch position, and an MLP.

Memory architectures (docs/meta-arvdm.md, "Memory modules"):
  none                  window only
  prepend               memory frames (level 0, with their actions) in front of the window
                        along time; temporal attention sees them (masked slots ignored)
  channel_concat        the w_m memory frames (right-aligned, zero where masked) are stacked
                        on channels per patch, linearly projected and added to every window
                        frame's tokens; memory actions go into the conditioning vector
  cross_attention       every block: window tokens cross-attend to the memory frames' tokens
  compressed_joint      a MemoryEncoder turns (frames, actions) into k tokens; window tokens
                        see them as extra keys of their spatial attention
  compressed_modulated  as joint, but the encoder modulates frame tokens by the actions
                        (adaptive LayerNorm) before compressing

All modules are TorchScript-scriptable and keep no state between calls.
"""
import math
from typing import Any, Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

ARCHS = ["none", "prepend", "channel_concat", "cross_attention", "compressed_joint", "compressed_modulated"]
KIND = {"none": "none", "prepend": "frames", "channel_concat": "frames", "cross_attention": "frames",
        "compressed_joint": "tokens", "compressed_modulated": "tokens"}


def alphas_cumprod_cosine(T: int = 1000, s: float = 0.008) -> List[float]:
    """Improved-DDPM cosine schedule; returns a list of T+1 floats, index 0 = 1.0."""
    f = lambda t: math.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2
    out = [1.0]
    ac = 1.0
    for t in range(1, T + 1):
        beta = min(1.0 - f(t) / f(t - 1), 0.999)
        ac = ac * (1.0 - beta)
        out.append(ac)
    return out


def level_embedding(levels: torch.Tensor, dim: int) -> torch.Tensor:
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=levels.device) / half)
    a = levels.to(torch.float32).unsqueeze(-1) * freqs
    return torch.cat([torch.cos(a), torch.sin(a)], dim=-1)


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int, zero_out: bool = False) -> None:
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(dim, 2 * dim)
        self.out = nn.Linear(dim, dim)
        if zero_out:
            nn.init.zeros_(self.out.weight)
            nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor, ctx: torch.Tensor, mask: Optional[torch.Tensor],
                bias: Optional[torch.Tensor] = None) -> torch.Tensor:
        # x [N, L, D], ctx [N, S, D], mask [N, S] bool (True = attend), bias [N, heads, L, S] added to the logits
        N, L, D = x.shape
        S = ctx.shape[1]
        h = self.heads
        dh = D // h
        q = self.q(x).reshape(N, L, h, dh).transpose(1, 2)
        kv = self.kv(ctx).reshape(N, S, 2, h, dh)
        k = kv[:, :, 0].transpose(1, 2)
        v = kv[:, :, 1].transpose(1, 2)
        att = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(dh))
        if bias is not None:
            att = att + bias
        if mask is not None:
            att = att.masked_fill(torch.logical_not(mask)[:, None, None, :], -1e4)
        att = torch.softmax(att, dim=-1)
        o = torch.matmul(att, v).transpose(1, 2).reshape(N, L, D)
        return self.out(o)


class Mlp(nn.Module):
    def __init__(self, dim: int, mult: int = 4) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, dim * mult)
        self.fc2 = nn.Linear(dim * mult, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


class PoseCode(nn.Module):
    """Relative poses between the frames of one prepend sequence, read off the actions.

    A world-model network is given actions, not poses; for the maze world's discrete actions
    (forward/back move half a block, left/right turn 90 degrees) the pose of every frame
    relative to every other frame of the same contiguous sequence (memory frames, then the
    window) is the integral of the actions between them. A move into a wall changes nothing:
    where a frame and the one before it are both clean (memory frames, level-0 window frames)
    and equal (mean absolute difference below `still`; in this world a turn always changes the
    frame), its action is taken to have changed nothing. This also covers the service's
    initialization stage, where the newest context frame is both the last memory slot and the
    first window slot. forward() gives, for each
    query frame t and key frame s, a bucket index: the heading difference (4) times the key's
    offset in the query's own frame (forward, lateral), each in -R..R half-blocks, plus one
    "far" bucket per heading difference. Each temporal-attention layer adds a learned bias
    per (bucket, head) to its logits (zero at initialization), so attention can go straight
    to the memory frames that saw the same place from the same spot (pose-aware retrieval, as
    in pose-indexed memories for world models), instead of having to integrate the actions
    itself."""

    def __init__(self, move: Tuple[int, int], turn: Tuple[int, int], reach: int = 2, still: float = 0.01) -> None:
        super().__init__()
        self.fwd, self.back = move
        self.left, self.right = turn
        self.R = reach
        self.still = still
        self.n = 4 * (2 * reach + 1) ** 2 + 4

    def forward(self, frames: torch.Tensor, actions: torch.Tensor, clean: torch.Tensor) -> torch.Tensor:
        # frames [B, F, C, H, W], actions [B, F, A] (action i leads to frame i), clean [B, F] bool
        move = actions[:, :, self.fwd] - actions[:, :, self.back]
        turn = actions[:, :, self.left] - actions[:, :, self.right]
        diff = (frames[:, 1:] - frames[:, :-1]).abs().mean(dim=(2, 3, 4))
        still = (diff < self.still) & clean[:, 1:] & clean[:, :-1]
        moved = torch.cat([torch.ones_like(move[:, :1]), torch.logical_not(still).to(move.dtype)], dim=1)
        move = move * moved
        turn = turn * moved
        h = torch.remainder(torch.round(torch.cumsum(turn, dim=1)), 4.0)
        dx = (h == 0).to(move.dtype) - (h == 2).to(move.dtype)
        dy = (h == 1).to(move.dtype) - (h == 3).to(move.dtype)
        px = torch.cumsum(move * dx, dim=1)
        py = torch.cumsum(move * dy, dim=1)
        # key s relative to query t, in t's frame: [B, F(t), F(s)]
        ex = px[:, None, :] - px[:, :, None]
        ey = py[:, None, :] - py[:, :, None]
        f = torch.round(ex * dx[:, :, None] + ey * dy[:, :, None]).to(torch.long)
        lat = torch.round(ey * dx[:, :, None] - ex * dy[:, :, None]).to(torch.long)
        dh = torch.remainder(h[:, None, :] - h[:, :, None], 4.0).to(torch.long)
        R = self.R
        side = 2 * R + 1
        near = (f.abs() <= R) & (lat.abs() <= R)
        idx = dh * side * side + (f.clamp(-R, R) + R) * side + (lat.clamp(-R, R) + R)
        return torch.where(near, idx, 4 * side * side + dh)


class Block(nn.Module):
    def __init__(self, dim: int, heads: int, cross: bool = False, mem_tokens: bool = False, pose_buckets: int = 0) -> None:
        super().__init__()
        self.heads = heads
        self.n1 = nn.LayerNorm(dim, elementwise_affine=False)
        self.n2 = nn.LayerNorm(dim, elementwise_affine=False)
        self.n3 = nn.LayerNorm(dim, elementwise_affine=False)
        self.sattn = Attention(dim, heads)
        self.tattn = Attention(dim, heads)
        self.mlp = Mlp(dim)
        self.ada = nn.Linear(dim, 9 * dim)
        nn.init.zeros_(self.ada.weight)
        nn.init.zeros_(self.ada.bias)
        self.xattn: Optional[Attention] = Attention(dim, heads, zero_out=True) if cross else None
        self.xnorm: Optional[nn.LayerNorm] = nn.LayerNorm(dim) if cross else None
        self.mnorm: Optional[nn.LayerNorm] = nn.LayerNorm(dim) if mem_tokens else None
        self.ptab: Optional[nn.Embedding] = nn.Embedding(pose_buckets, heads) if pose_buckets > 0 else None
        if self.ptab is not None:
            nn.init.zeros_(self.ptab.weight)

    def forward(self, h: torch.Tensor, c: torch.Tensor, tmask: torch.Tensor,
                mem: Optional[torch.Tensor], mem_mask: Optional[torch.Tensor], n_out: int,
                pose: Optional[torch.Tensor] = None) -> torch.Tensor:
        # h [B, F, N, D]; c [B, F, D]; tmask [B, F] bool; mem [B, S, D] (tokens or memory-frame tokens);
        # pose [B, F, F] relative-pose buckets (PoseCode) for the temporal attention
        B, Fn, N, D = h.shape
        mods = self.ada(F.silu(c)).unsqueeze(2).chunk(9, dim=-1)
        # spatial attention (per frame), optionally joint with memory tokens
        y = self.n1(h) * (1.0 + mods[1]) + mods[0]
        y = y.reshape(B * Fn, N, D)
        mn = self.mnorm
        if mn is not None and mem is not None and mem_mask is not None:
            mt = mn(mem)
            K = mt.shape[1]
            ctx = torch.cat([y, mt.unsqueeze(1).expand(B, Fn, K, D).reshape(B * Fn, K, D)], dim=1)
            cm = torch.cat([torch.ones(B * Fn, N, dtype=torch.bool, device=h.device),
                            mem_mask.unsqueeze(1).expand(B, Fn, K).reshape(B * Fn, K)], dim=1)
            y = self.sattn(y, ctx, cm)
        else:
            y = self.sattn(y, y, None)
        h = h + mods[2] * y.reshape(B, Fn, N, D)
        # temporal attention (per patch position)
        y = self.n2(h) * (1.0 + mods[4]) + mods[3]
        y = y.permute(0, 2, 1, 3).reshape(B * N, Fn, D)
        tm = tmask.unsqueeze(1).expand(B, N, Fn).reshape(B * N, Fn)
        tb: Optional[torch.Tensor] = None
        pt = self.ptab
        if pt is not None and pose is not None:
            hb = pt(pose).permute(0, 3, 1, 2)  # [B, heads, F, F]
            tb = hb.unsqueeze(1).expand(B, N, self.heads, Fn, Fn).reshape(B * N, self.heads, Fn, Fn)
        y = self.tattn(y, y, tm, tb)
        h = h + mods[5] * y.reshape(B, N, Fn, D).permute(0, 2, 1, 3)
        # cross attention to memory-frame tokens (window frames only)
        xa = self.xattn
        xn = self.xnorm
        if xa is not None and xn is not None and mem is not None and mem_mask is not None:
            hw = h[:, Fn - n_out:]
            S = mem.shape[1]
            q = xn(hw).reshape(B, n_out * N, D)
            y = xa(q, mem, mem_mask)
            h = torch.cat([h[:, :Fn - n_out], hw + y.reshape(B, n_out, N, D)], dim=1)
        y = self.n3(h) * (1.0 + mods[7]) + mods[6]
        h = h + mods[8] * self.mlp(y)
        return h


class Denoiser(nn.Module):
    """forward(x, levels, actions, memory, memory_actions, memory_mask) -> v prediction."""

    def __init__(self, arch: str = "none", channels: int = 3, height: int = 32, width: int = 32,
                 patch: int = 4, dim: int = 128, depth: int = 4, heads: int = 4, n_actions: int = 5,
                 window: int = 4, memory_frames: int = 0, memory_tokens: int = 0, pose_bias: bool = False) -> None:
        super().__init__()
        assert arch in ARCHS
        assert not pose_bias or arch == "prepend", "pose_bias is a prepend option"
        self.arch = arch
        self.C, self.H, self.W, self.p = channels, height, width, patch
        self.gh, self.gw = height // patch, width // patch
        self.N = self.gh * self.gw
        self.P = channels * patch * patch
        self.dim = dim
        self.window = window
        self.wm = memory_frames if KIND[arch] == "frames" else 0
        self.A = n_actions
        self.patch_in = nn.Linear(self.P, dim)
        self.pos = nn.Parameter(torch.randn(1, 1, self.N, dim) * 0.02)
        self.tpos = nn.Parameter(torch.randn(1, self.wm + window, 1, dim) * 0.02)
        self.lvl = nn.Sequential(nn.Linear(dim, dim), nn.SiLU(), nn.Linear(dim, dim))
        self.act = nn.Linear(n_actions, dim)
        cross = arch == "cross_attention"
        toks = KIND[arch] == "tokens"
        # the maze world's action names: noop, forward, back, left, right (world.ACTIONS)
        self.pose: Optional[PoseCode] = PoseCode((1, 2), (3, 4)) if pose_bias else None
        nb = self.pose.n if self.pose is not None else 0
        self.blocks = nn.ModuleList([Block(dim, heads, cross=cross, mem_tokens=toks, pose_buckets=nb)
                                     for _ in range(depth)])
        self.norm_out = nn.LayerNorm(dim, elementwise_affine=False)
        self.ada_out = nn.Linear(dim, 2 * dim)
        nn.init.zeros_(self.ada_out.weight)
        nn.init.zeros_(self.ada_out.bias)
        self.out = nn.Linear(dim, self.P)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        self.cc_in: Optional[nn.Linear] = None
        self.cc_act: Optional[nn.Linear] = None
        if arch == "channel_concat":
            self.cc_in = nn.Linear(self.wm * (self.P + 1), dim)
            self.cc_act = nn.Linear(self.wm * (n_actions + 1), dim)
            for m in (self.cc_in, self.cc_act):
                nn.init.zeros_(m.weight)
                nn.init.zeros_(m.bias)
        self.is_prepend = arch == "prepend"
        self.is_cross = cross
        self.is_tokens = toks

    def patchify(self, x: torch.Tensor) -> torch.Tensor:
        B, Fn = x.shape[0], x.shape[1]
        x = x.reshape(B, Fn, self.C, self.gh, self.p, self.gw, self.p)
        x = x.permute(0, 1, 3, 5, 2, 4, 6).reshape(B, Fn, self.N, self.P)
        return x

    def unpatchify(self, t: torch.Tensor) -> torch.Tensor:
        B, Fn = t.shape[0], t.shape[1]
        t = t.reshape(B, Fn, self.gh, self.gw, self.C, self.p, self.p)
        return t.permute(0, 1, 4, 2, 5, 3, 6).reshape(B, Fn, self.C, self.H, self.W)

    def cond(self, levels: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        return self.lvl(level_embedding(levels, self.dim)) + self.act(actions)

    def right_align(self, memory: torch.Tensor, memory_actions: torch.Tensor, memory_mask: torch.Tensor
                    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Keep the most recent wm slots, left-pad to exactly wm slots (mask False)."""
        B, m = memory.shape[0], memory.shape[1]
        wm = self.wm
        if m > wm:
            memory = memory[:, m - wm:]
            memory_actions = memory_actions[:, m - wm:]
            memory_mask = memory_mask[:, m - wm:]
            m = wm
        if m < wm:
            pad = wm - m
            memory = torch.cat([torch.zeros(B, pad, self.C, self.H, self.W, dtype=memory.dtype, device=memory.device), memory], dim=1)
            memory_actions = torch.cat([torch.zeros(B, pad, memory_actions.shape[2], dtype=memory_actions.dtype,
                                                    device=memory.device), memory_actions], dim=1)
            memory_mask = torch.cat([torch.zeros(B, pad, dtype=torch.bool, device=memory.device), memory_mask], dim=1)
        return memory, memory_actions, memory_mask

    def forward(self, x: torch.Tensor, levels: torch.Tensor, actions: torch.Tensor, memory: torch.Tensor,
                memory_actions: torch.Tensor, memory_mask: torch.Tensor) -> torch.Tensor:
        B, w = x.shape[0], x.shape[1]
        wm = self.wm
        tok = self.patch_in(self.patchify(x)) + self.pos + self.tpos[:, wm:wm + w]
        c = self.cond(levels, actions)
        tmask = torch.ones(B, w, dtype=torch.bool, device=x.device)
        mem: Optional[torch.Tensor] = None
        mem_mask: Optional[torch.Tensor] = None
        pose: Optional[torch.Tensor] = None
        if self.is_prepend or self.is_cross or self.cc_in is not None:
            memory, memory_actions, memory_mask = self.right_align(memory, memory_actions, memory_mask)
            mvalid = memory_mask.to(x.dtype)
            memory = memory * mvalid[:, :, None, None, None]
            mtok = self.patch_in(self.patchify(memory)) + self.pos + self.tpos[:, 0:wm]
            mc = self.cond(torch.zeros(B, wm, dtype=torch.long, device=x.device), memory_actions)
            if self.is_prepend:
                tok = torch.cat([mtok, tok], dim=1)
                c = torch.cat([mc, c], dim=1)
                tmask = torch.cat([memory_mask, tmask], dim=1)
                pc = self.pose
                if pc is not None:
                    clean = torch.cat([memory_mask, levels == 0], dim=1)
                    pose = pc(torch.cat([memory, x], dim=1), torch.cat([memory_actions, actions], dim=1), clean)
            elif self.is_cross:
                # memory-frame tokens carry their action embedding; a learned null slot
                # (the zero vector) keeps attention defined while history is empty
                mt = (mtok + mc.unsqueeze(2)).reshape(B, wm * self.N, self.dim)
                mem = torch.cat([torch.zeros(B, 1, self.dim, dtype=x.dtype, device=x.device), mt], dim=1)
                mm = memory_mask.unsqueeze(2).expand(B, wm, self.N).reshape(B, wm * self.N)
                mem_mask = torch.cat([torch.ones(B, 1, dtype=torch.bool, device=x.device), mm], dim=1)
            else:
                cci = self.cc_in
                cca = self.cc_act
                if cci is not None and cca is not None:
                    mp = self.patchify(memory)  # [B, wm, N, P]
                    mp = torch.cat([mp, mvalid[:, :, None, None].expand(B, wm, self.N, 1)], dim=3)
                    mp = mp.permute(0, 2, 1, 3).reshape(B, 1, self.N, wm * (self.P + 1))
                    tok = tok + cci(mp)
                    ma = torch.cat([memory_actions * mvalid[:, :, None], mvalid[:, :, None]], dim=2)
                    c = c + cca(ma.reshape(B, 1, wm * (self.A + 1)))
        if self.is_tokens:
            mem = memory
            mem_mask = memory_mask
        Fn = tok.shape[1]
        h = tok
        for blk in self.blocks:
            h = blk(h, c, tmask, mem, mem_mask, w, pose)
        h = h[:, Fn - w:]
        cw = c[:, c.shape[1] - w:]
        sh, sc = self.ada_out(F.silu(cw)).unsqueeze(2).chunk(2, dim=-1)
        h = self.norm_out(h) * (1.0 + sc) + sh
        return self.unpatchify(self.out(h))


class MemoryEncoder(nn.Module):
    """forward(frames [B,m,C,H,W], actions [B,m,A], mask [B,m]) -> tokens [B,k,D].

    Frames are cut into coarse patches (8x8 pixels), tagged with their slot (right-aligned)
    and their action (joint: added; modulated: adaptive LayerNorm scale/shift from the
    action), processed jointly by one self-attention layer, then compressed by k learned
    queries that cross-attend to all memory tokens (two layers)."""

    def __init__(self, arch: str = "compressed_joint", channels: int = 3, height: int = 32, width: int = 32,
                 patch: int = 8, dim: int = 128, heads: int = 4, n_actions: int = 5, memory_frames: int = 16,
                 tokens: int = 16) -> None:
        super().__init__()
        self.modulated = arch == "compressed_modulated"
        self.C, self.H, self.W, self.p = channels, height, width, patch
        self.gh, self.gw = height // patch, width // patch
        self.N = self.gh * self.gw
        self.P = channels * patch * patch
        self.dim = dim
        self.wm = memory_frames
        self.k = tokens
        self.patch_in = nn.Linear(self.P, dim)
        self.pos = nn.Parameter(torch.randn(1, 1, self.N, dim) * 0.02)
        self.tpos = nn.Parameter(torch.randn(1, memory_frames, 1, dim) * 0.02)
        self.act = nn.Linear(n_actions, dim if not self.modulated else 2 * dim)
        self.anorm = nn.LayerNorm(dim, elementwise_affine=False)
        self.n0 = nn.LayerNorm(dim)
        self.self_attn = Attention(dim, heads)
        self.n0b = nn.LayerNorm(dim)
        self.mlp0 = Mlp(dim, 2)
        self.queries = nn.Parameter(torch.randn(1, tokens, dim) * 0.02)
        self.nq1 = nn.LayerNorm(dim)
        self.nk1 = nn.LayerNorm(dim)
        self.x1 = Attention(dim, heads)
        self.nm1 = nn.LayerNorm(dim)
        self.mlp1 = Mlp(dim, 2)
        self.nq2 = nn.LayerNorm(dim)
        self.x2 = Attention(dim, heads)
        self.nm2 = nn.LayerNorm(dim)
        self.mlp2 = Mlp(dim, 2)
        self.nout = nn.LayerNorm(dim)

    def forward(self, frames: torch.Tensor, actions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        B, m = frames.shape[0], frames.shape[1]
        wm = self.wm
        if m > wm:
            frames = frames[:, m - wm:]
            actions = actions[:, m - wm:]
            mask = mask[:, m - wm:]
            m = wm
        valid = mask.to(frames.dtype)
        frames = frames * valid[:, :, None, None, None]
        x = frames.reshape(B, m, self.C, self.gh, self.p, self.gw, self.p)
        x = x.permute(0, 1, 3, 5, 2, 4, 6).reshape(B, m, self.N, self.P)
        t = self.patch_in(x) + self.pos + self.tpos[:, wm - m:wm]
        a = self.act(actions).unsqueeze(2)
        if self.modulated:
            sc, sh = a.chunk(2, dim=-1)
            t = self.anorm(t) * (1.0 + sc) + sh
        else:
            t = t + a
        t = t.reshape(B, m * self.N, self.dim)
        null = torch.zeros(B, 1, self.dim, dtype=frames.dtype, device=frames.device)
        t = torch.cat([null, t], dim=1)
        tm = torch.cat([torch.ones(B, 1, dtype=torch.bool, device=frames.device),
                        mask.unsqueeze(2).expand(B, m, self.N).reshape(B, m * self.N)], dim=1)
        y = self.n0(t)
        t = t + self.self_attn(y, y, tm)
        t = t + self.mlp0(self.n0b(t))
        kv = self.nk1(t)
        q = self.queries.expand(B, self.k, self.dim)
        q = q + self.x1(self.nq1(q), kv, tm)
        q = q + self.mlp1(self.nm1(q))
        q = q + self.x2(self.nq2(q), kv, tm)
        q = q + self.mlp2(self.nm2(q))
        return self.nout(q)


def build(cfg: Dict[str, Any]) -> Tuple["Denoiser", Optional["MemoryEncoder"]]:
    """Return (denoiser, encoder or None) from a config dict."""
    arch = cfg["arch"]
    kw = dict(channels=3, height=cfg["height"], width=cfg["width"], n_actions=5, dim=cfg["dim"])
    den = Denoiser(arch=arch, patch=cfg["patch"], depth=cfg["depth"], heads=cfg["heads"], window=cfg["window"],
                   memory_frames=cfg.get("memory_frames", 0), memory_tokens=cfg.get("memory_tokens", 0),
                   pose_bias=cfg.get("pose_bias", False), **kw)
    enc = None
    if KIND[arch] == "tokens":
        enc = MemoryEncoder(arch=arch, patch=cfg.get("enc_patch", 8), heads=cfg["heads"],
                            memory_frames=cfg["memory_frames"], tokens=cfg["memory_tokens"], **kw)
    return den, enc
