"""Counts the floating-point operations of one network call of a bundle, per sample.

Method: load denoiser.pt (and memory_encoder.pt) with torch.jit.load, build inputs of the
manifest's shapes (batch 1, memory full, all mask slots real) and run them under a
TorchDispatchMode that sees every aten op the TorchScript interpreter dispatches (composite
ops such as linear/matmul arrive decomposed into mm/addmm/bmm). Matrix products and
convolutions count 2 FLOPs per multiply-add (2·M·K·N); every other op that returns a
floating tensor counts one FLOP per output element (an upper-bound-ish estimate for
elementwise work; softmax, norms and GELU really cost a few per element). It also sums
the bytes of every tensor the call creates: an upper bound of the native memory one call
allocates per sample (PyTorch's allocator reuses buffers, so the peak is lower).

    /usr/bin/python3 src/test/python/count_flops.py models/maze-prepend-16 [batch]

Prints one JSON object: {"denoiser": {...}, "memory_encoder": {...}} with flops (total),
matmul_flops, elementwise_flops, created_bytes, input_bytes, output_bytes, ops.
"""
import json
import os
import sys
from functools import reduce

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

aten = torch.ops.aten


def numel(shape):
    return reduce(lambda a, b: a * b, shape, 1)


def matmul_flops(func, args, out):
    name = func.overloadpacket.__name__
    if name in ("mm", "addmm", "bmm", "baddbmm", "addbmm", "addmv", "mv", "dot"):
        a = args[1] if name in ("addmm", "baddbmm", "addbmm", "addmv") else args[0]
        k = a.shape[-1]
        return 2 * numel(out.shape) * k
    if name in ("convolution", "_convolution", "mkldnn_convolution", "thnn_conv2d", "_slow_conv2d_forward",
                "conv2d", "conv1d", "conv3d", "cudnn_convolution"):
        w = args[1]
        return 2 * numel(out.shape) * numel(w.shape[1:])
    return None


class Counter(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.matmul = 0
        self.elementwise = 0
        self.bytes = 0
        self.ops = {}

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        name = func.overloadpacket.__name__
        self.ops[name] = self.ops.get(name, 0) + 1
        outs = [t for t in tree_flatten(out)[0] if isinstance(t, torch.Tensor)]
        first = outs[0] if outs else None
        mm = matmul_flops(func, args, first) if first is not None else None
        if mm is not None:
            self.matmul += mm
        elif first is not None and first.is_floating_point() and name not in (
                "view", "_unsafe_view", "reshape", "expand", "permute", "transpose", "t", "slice", "select",
                "unsqueeze", "squeeze", "as_strided", "detach", "alias", "split", "chunk", "unbind",
                "split_with_sizes", "lift_fresh", "empty", "zeros", "ones", "full", "arange", "clone",
                "contiguous", "copy_", "_to_copy", "to", "cat", "stack", "index", "new_zeros", "repeat"):
            self.elementwise += sum(numel(t.shape) for t in outs)
        for t in outs:
            if name not in ("view", "_unsafe_view", "expand", "permute", "transpose", "t", "slice", "select",
                            "unsqueeze", "squeeze", "as_strided", "detach", "alias", "split", "unbind",
                            "split_with_sizes", "lift_fresh", "chunk"):
                self.bytes += numel(t.shape) * t.element_size()
        return out


def tensor_bytes(ts):
    return sum(numel(t.shape) * t.element_size() for t in ts)


def count(module, inputs):
    c = Counter()
    with torch.no_grad(), c:
        out = module(*inputs)
    return {"flops": c.matmul + c.elementwise, "matmul_flops": c.matmul, "elementwise_flops": c.elementwise,
            "created_bytes": c.bytes, "input_bytes": tensor_bytes(inputs), "output_bytes": tensor_bytes([out]),
            "ops": dict(sorted(c.ops.items(), key=lambda kv: -kv[1])[:12])}, out


def main():
    bundle = sys.argv[1]
    b = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    torch.set_num_threads(1)
    m = json.load(open(os.path.join(bundle, "model.json")))
    c, h, w_ = m["frame"]["channels"], m["frame"]["height"], m["frame"]["width"]
    a = m["actions"].get("size") or len(m["actions"].get("names", []))
    w = m["window"]["frames"]
    t = m["diffusion"]["timesteps"]
    kind = m["memory"]["kind"]
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(b, w, c, h, w_, generator=gen)
    levels = torch.full((b, w), t // 2, dtype=torch.long)
    actions = torch.zeros(b, w, a)
    result = {}
    if kind == "frames":
        slots = m["memory"]["frames"]
        memory = torch.randn(b, slots, c, h, w_, generator=gen)
        mem_actions = torch.zeros(b, slots, a)
    elif kind == "tokens":
        wm = m["memory"]["frames"]
        enc = torch.jit.load(os.path.join(bundle, "memory_encoder.pt"), map_location="cpu").eval()
        frames = torch.randn(b, wm, c, h, w_, generator=gen)
        stats, memory = count(enc, (frames, torch.zeros(b, wm, a), torch.ones(b, wm, dtype=torch.bool)))
        result["memory_encoder"] = stats
        slots = m["memory"]["tokens"]
        mem_actions = torch.zeros(b, 0, a)
    else:
        slots = 0
        memory = torch.zeros(b, 0, c, h, w_)
        mem_actions = torch.zeros(b, 0, a)
    mask = torch.ones(b, slots, dtype=torch.bool)
    den = torch.jit.load(os.path.join(bundle, "denoiser.pt"), map_location="cpu").eval()
    stats, _ = count(den, (x, levels, actions, memory, mem_actions, mask))
    result["denoiser"] = stats
    result["batch"] = b
    result["torch"] = torch.__version__
    print(json.dumps(result))


if __name__ == "__main__":
    main()
