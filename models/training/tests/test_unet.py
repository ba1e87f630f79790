"""The world v2 U-Net (unet.py) and its training batches (train2.py)."""
import numpy as np
import torch

import train2
from networks import alphas_cumprod_cosine
from unet import WorldUNet, precondition

AC = alphas_cumprod_cosine(1000)


def small(past=2):
    torch.manual_seed(0)
    net = WorldUNet(AC, past=past, chans=(8, 16, 16), blocks=1, emb=16)
    # the output layers start at zero (an identity-like start); give them weights so outputs depend on inputs
    with torch.no_grad():
        for p in net.parameters():
            if p.abs().sum() == 0 and p.dim() > 1:
                p.normal_(0, 0.1)
    return net.eval()


def inputs(B=2, w=4, m=3, levels=(0, 0, 300, 1000)):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(B, w, 3, 32, 32, generator=g)
    lv = torch.tensor([list(levels)] * B)
    a = torch.zeros(B, w, 5)
    a[:, :, 1] = 1
    mem = torch.rand(B, m, 3, 32, 32, generator=g) * 2 - 1
    ma = torch.zeros(B, m, 5)
    ma[:, :, 3] = 1
    mm = torch.ones(B, m, dtype=torch.bool)
    return x, lv, a, mem, ma, mm


def test_preconditioning_is_the_identity_on_clean_frames_and_pure_prediction_on_noise():
    c_in, c_skip, c_out, _ = precondition(torch.tensor([1.0, 1e-9]))
    assert abs(float(c_skip[0]) - 1.0) < 1e-6 and abs(float(c_out[0])) < 1e-6
    assert abs(float(c_skip[1])) < 1e-3 and abs(float(c_out[1]) - 0.5) < 1e-3  # sigma_data
    assert abs(float(c_in[0]) - 2.0) < 1e-6  # 1 / sigma_data on a clean frame


def test_clean_frames_pass_through_and_noisy_ones_are_denoised():
    net = small()
    x, lv, a, mem, ma, mm = inputs()
    with torch.no_grad():
        y = net(x, lv, a, mem, ma, mm)
    assert y.shape == x.shape
    assert torch.equal(y[:, :2], x[:, :2])
    assert not torch.allclose(y[:, 2:], x[:, 2:])


def test_a_frame_depends_on_its_past_and_action_not_on_later_frames():
    net = small()
    x, lv, a, mem, ma, mm = inputs(levels=(500, 600, 700, 1000))
    with torch.no_grad():
        y = net(x, lv, a, mem, ma, mm)
        x2 = x.clone()
        x2[:, 3] += 1.0  # a later frame changes
        assert torch.allclose(net(x2, lv, a, mem, ma, mm)[:, :3], y[:, :3], atol=1e-5)
        x3 = x.clone()
        x3[:, 0] += 1.0  # an earlier frame (in frame 1's past) changes
        assert not torch.allclose(net(x3, lv, a, mem, ma, mm)[:, 1], y[:, 1], atol=1e-4)
        a2 = a.clone()
        a2[:, 3] = 0
        a2[:, 3, 4] = 1  # frame 3's own action
        assert not torch.allclose(net(x, lv, a2, mem, ma, mm)[:, 3], y[:, 3], atol=1e-4)
        # memory beyond the past P = 2 frames is not seen by frame 1 (its past: mem[-1], x[0])
        mem2 = mem.clone()
        mem2[:, 0] += 1.0
        assert torch.allclose(net(x, lv, a, mem2, ma, mm)[:, 1], y[:, 1], atol=1e-5)
        # and masked memory counts as absent
        mm2 = mm.clone()
        mm2[:, -1] = False
        assert not torch.allclose(net(x, lv, a, mem, ma, mm2)[:, 0], y[:, 0], atol=1e-4)


def test_scripted_module_matches_the_eager_one():
    net = small()
    s = torch.jit.script(net)
    x, lv, a, mem, ma, mm = inputs()
    with torch.no_grad():
        assert torch.allclose(s(x, lv, a, mem, ma, mm), net(x, lv, a, mem, ma, mm), atol=1e-5)
        # no memory at all, and a window with no noisy frame
        e = torch.zeros(2, 0, 3, 32, 32), torch.zeros(2, 0, 5), torch.zeros(2, 0, dtype=torch.bool)
        assert s(x, lv, a, *e).shape == x.shape
        z = torch.zeros(2, 4, dtype=torch.long)
        assert torch.equal(s(x, z, a, mem, ma, mm), x)


def test_batches_mirror_with_left_and_right_swapped_and_mask_missing_past():
    frames = np.zeros((1, 6, 32, 32, 3), np.uint8)
    frames[0, :, :, :16] = 255  # left half white
    actions = np.array([[0, 3, 3, 4, 1, 2]])
    cfg = dict(train2.DEFAULTS, past=3, p_mirror=1.0, p_pyramid=0.0, p_context_noise=0.0)
    b = train2.Batches(frames, actions, cfg, seed=3)
    for _ in range(5):
        xt, lv, act, past, plv, pact, mask, x0 = b.batch(8)
        assert bool((x0[:, :, :, 16:] > 0.99).all()) and bool((x0[:, :, :, :16] < -0.99).all())  # mirrored
        assert bool((lv >= 1).all() and (lv <= 1000).all())
        assert bool((plv == 0).all())
        for i in range(8):
            n_past = int(mask[i].sum())
            assert not bool(mask[i, :3 - n_past].any())  # missing past frames are in front
    # mirrored actions: the data's left (3) becomes right (4) and the reverse
    seen = set()
    for _ in range(20):
        _, _, act, _, _, pact, mask, _ = b.batch(8)
        seen.update(int(v) for v in act.argmax(1))
    assert 3 in seen and 4 in seen and 0 not in seen  # frame 0 (action noop) is never a target


def test_blurred_histories_keep_the_target_sharp_and_the_rate_decays_to_a_tenth():
    frames = np.zeros((1, 6, 32, 32, 3), np.uint8)
    frames[0, :, :, :16] = 255  # a hard edge down the middle
    actions = np.array([[0, 1, 1, 1, 1, 1]])
    edge = lambda x: float((x[..., 15] - x[..., 16]).abs().max())  # noqa: E731
    base = dict(train2.DEFAULTS, past=3, p_mirror=0.0, p_pyramid=0.0, p_context_noise=0.0)
    for p_blur, blurred in ((0.0, False), (1.0, True)):
        b = train2.Batches(frames, actions, dict(base, p_blur=p_blur, blur_sigma=[0.8, 0.8]), seed=5)
        xt, lv, act, past, plv, pact, mask, x0 = b.batch(8)
        assert edge(x0) == 2.0  # the target stays sharp
        for i in range(8):
            for k in np.nonzero(mask[i].numpy())[0]:
                assert (edge(past[i, k]) < 1.5) == blurred
    x = torch.rand(2, 3, 32, 32)
    assert torch.allclose(train2.gaussian_blur(x, 1.0).mean(), x.mean(), atol=1e-3)
    cfg = dict(train2.DEFAULTS, lr=1e-3, steps=2000, decay_from=1000)
    assert train2.lr_at(cfg, 999) == 1e-3
    assert abs(train2.lr_at(cfg, 1500) - 0.55e-3) < 1e-9
    assert abs(train2.lr_at(cfg, 2000) - 1e-4) < 1e-12
    assert train2.lr_at(dict(cfg, decay_from=None), 2000) == 1e-3


def test_self_made_histories_replace_the_nearest_past_frames_one_after_the_other():
    frames = np.zeros((1, 8, 32, 32, 3), np.uint8)
    for j in range(8):
        frames[0, j] = 30 * j  # frame j is the constant 30 j / 127.5 - 1
    actions = np.array([[0, 1, 1, 3, 1, 4, 1, 2]])
    truth = lambda j: 30 * j / 127.5 - 1.0  # noqa: E731
    cfg = dict(train2.DEFAULTS, past=3, p_mirror=0.0, p_pyramid=0.0, p_context_noise=0.0, p_self=1.0, self_frames=2)
    calls = []

    def sampler(past, pact, mask, act):
        calls.append((past.clone(), act.clone()))
        return torch.full_like(past[:, -1], 0.9) - 0.1 * len(calls)  # the k-th made frame: 0.9 - 0.1 k

    b = train2.Batches(frames, actions, cfg, seed=2)
    checked = 0
    for _ in range(10):
        calls.clear()
        xt, lv, act, past, plv, pact, mask, x0 = b.batch(6, sampler)
        t = np.round((x0[:, 0, 0, 0].numpy() + 1.0) * 127.5 / 30).astype(int)  # each target's frame index
        own = t >= 5  # P + S frames before it
        assert len(calls) == (2 if own.any() else 0)
        for i in range(6):
            vals = [float(past[i, k, 0, 0, 0]) for k in range(3)]
            if own[i]:
                checked += 1
                assert abs(vals[0] - truth(t[i] - 3)) < 1e-6  # the oldest stays true
                assert abs(vals[1] - 0.8) < 1e-6 and abs(vals[2] - 0.7) < 1e-6  # made by the network, in order
            elif t[i] >= 3:
                assert all(abs(vals[k] - truth(t[i] - 3 + k)) < 1e-6 for k in range(3))
        if own.any():
            first, second = calls
            # the second made frame sees the first one as its nearest past frame, and the right action
            assert torch.allclose(second[0][:, -1], torch.full_like(second[0][:, -1], 0.8))
            # the first made frame (t - 2) sees the true frames t - 5 .. t - 3, and the action that led to it
            for row, i in enumerate(np.nonzero(own)[0]):
                assert [round(float(first[0][row, k, 0, 0, 0]), 5) for k in range(3)] == [
                    round(truth(t[i] - 5 + k), 5) for k in range(3)]
                assert int(first[1][row].argmax()) == actions[0, t[i] - 2]
            assert bool((plv == 0).all())
    assert checked > 0
    # the network's own sampler: a frame per window, in range, the same for the same seed
    net = small(past=3)
    p = torch.rand(2, 3, 3, 32, 32) * 2 - 1
    pa = torch.zeros(2, 3, 5)
    m = torch.ones(2, 3, dtype=torch.bool)
    a = torch.zeros(2, 5)
    a[:, 1] = 1
    y1 = train2.own_sampler(net, 4, seed=7)(p, pa, m, a)
    y2 = train2.own_sampler(net, 4, seed=7)(p, pa, m, a)
    assert y1.shape == (2, 3, 32, 32) and torch.equal(y1, y2)
    assert float(y1.abs().max()) <= 1.0
    assert not torch.equal(train2.own_sampler(net, 4, seed=8)(p, pa, m, a), y1)


def test_a_slim_checkpoint_keeps_the_weights_in_half_precision_and_drops_the_optimizer(tmp_path):
    net, ema = small(), small()
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3)
    x, lv, a, mem, ma, mm = inputs()
    net.train()
    net(x, lv, a, mem, ma, mm).square().mean().backward()
    opt.step()
    net.eval()
    full = str(tmp_path / "ckpt.pt")
    torch.save(dict(model=net.state_dict(), ema=ema.state_dict(), opt=opt.state_dict(), step=123, wall=4.5,
                    hist=[[123, 0.1, 4.5]], cfg={"id": "t"}), full)
    out = str(tmp_path / "slim.pt")
    train2.slim(full, out, {n for n, _ in net.named_parameters()})
    s = torch.load(out)
    assert "opt" not in s and (s["step"], s["wall"], s["hist"], s["cfg"]) == (123, 4.5, [[123, 0.1, 4.5]], {"id": "t"})
    weights = dict(net.named_parameters())
    assert all(v.dtype == (torch.float16 if n in weights else torch.float32) for n, v in s["model"].items())
    assert set(s["model"]) > set(weights)  # the buffers (the noise schedule) stay float32
    back = small()
    back.load_state_dict(train2.as_float(s["model"]))
    assert all(v.dtype == torch.float32 for v in back.state_dict().values() if v.is_floating_point())
    with torch.no_grad():
        want, got = net(x, lv, a, mem, ma, mm), back(x, lv, a, mem, ma, mm)
    err = (got - want).abs().max().item()
    print("slim round trip: max error %.2e of %.2f" % (err, want.abs().max().item()))
    assert 0 < err < 1e-2 * want.abs().max().item()


def test_bf16_autocast_gives_the_float32_loss_and_gradient_to_within_bfloat16_rounding():
    net = small(past=3).train()
    frames = (np.random.RandomState(0).rand(2, 12, 32, 32, 3) * 255).astype(np.uint8)
    actions = np.random.RandomState(1).randint(0, 5, size=(2, 12))
    actions[:, 0] = -1
    b = train2.Batches(frames, actions, dict(train2.DEFAULTS, past=3), seed=4).batch(8)

    def loss_and_grad(amp):
        net.zero_grad()
        loss = train2.loss_fn(net, b, amp)
        loss.backward()
        return loss.item(), torch.cat([p.grad.flatten() for p in net.parameters() if p.grad is not None])

    l32, g32 = loss_and_grad(None)
    l16, g16 = loss_and_grad("bf16")
    cos = torch.nn.functional.cosine_similarity(g32, g16, dim=0).item()
    print("bf16 autocast: loss %.5f vs %.5f, gradient cosine %.4f" % (l16, l32, cos))
    assert l16 != l32  # the network really ran in bfloat16
    assert abs(l16 - l32) < 0.01 * l32
    assert cos > 0.99
    assert all(p.dtype == torch.float32 for p in net.parameters())
    try:
        train2.loss_fn(net, b, "fp8")
    except ValueError as e:
        assert "bf16" in str(e)
    else:
        raise AssertionError("an unknown amp was accepted")
