import json
import os

import numpy as np
import pytest
import torch

from data import Sampler
from networks import KIND, alphas_cumprod_cosine, build
from train import forward, learning_rate, load_config, log_progress, loss_fn, make_batch
from world import Maze, explore_actions, rollout, since_seen


def test_few_steps_reduce_loss(tmp_path):
    p = tmp_path / "c.json"
    p.write_text(json.dumps(dict(id="t", arch="prepend", memory_frames=2, dim=48, depth=2, heads=2)))
    cfg = load_config(str(p))
    frames, actions, since = [], [], []
    for s in range(2):
        m = Maze(50 + s)
        rng = np.random.RandomState(s)
        pose = m.random_pose(rng)
        acts = [0] + explore_actions(m, pose, 31, rng)
        fr, poses = rollout(m, pose, acts)
        frames.append(fr)
        actions.append(acts)
        since.append(since_seen(poses))
    sampler = Sampler(np.stack(frames), np.array(actions), np.array(since), memory_frames=2, seed=0)
    torch.manual_seed(0)
    den, enc = build(cfg)
    opt = torch.optim.AdamW(den.parameters(), lr=2e-3)
    ac = torch.tensor(alphas_cumprod_cosine(1000), dtype=torch.float32)
    fixed = make_batch(sampler, KIND["prepend"], 8, ac, 1000)

    def eval_loss():
        with torch.no_grad():
            xt, lv, a, mem, ma, mm, v, ab, _ = fixed
            return loss_fn(forward(den, enc, "frames", xt, lv, a, mem, ma, mm), v, lv, ab).item()

    before = eval_loss()
    for _ in range(30):
        xt, lv, a, mem, ma, mm, v, ab, _ = make_batch(sampler, "frames", 8, ac, 1000)
        loss = loss_fn(forward(den, enc, "frames", xt, lv, a, mem, ma, mm), v, lv, ab)
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = eval_loss()
    assert after < 0.8 * before, (before, after)


def _small_cache(tmp_path, n_mazes=3):
    from data import build_cache, painting_masks
    frames, actions, since = build_cache(str(tmp_path / "d.npz"), n_mazes=n_mazes, per_maze=1, length=64)
    paint = painting_masks(str(tmp_path / "p.npz"), frames, n_mazes=n_mazes, per_maze=1, length=64)
    return frames, actions, since, paint


def test_painting_masks_mark_exactly_the_painting_pixels(tmp_path):
    from data import trajectories, without_paintings
    frames, actions, since, paint = _small_cache(tmp_path)
    assert paint.shape == frames.shape[:4] and paint.any()
    for k, (maze, pose, acts) in enumerate(trajectories(3, 1, 64)):
        bare, _ = rollout(without_paintings(maze), pose, acts)
        assert (bare[~paint[k]] == frames[k][~paint[k]]).all()
        assert (np.any(bare != frames[k], axis=-1) == paint[k]).all()
        # a painting is drawn only on wall faces that carry one: the maze without them has none
        assert maze.paintings and not without_paintings(maze).paint_idx.any()


def test_sampler_weights_paintings_of_revisits_in_reach_and_draws_them(tmp_path):
    frames, actions, since, paint = _small_cache(tmp_path)
    plain = Sampler(frames, actions, since, memory_frames=8, seed=1)
    assert (plain.batch(16)[5] == 1.0).all()
    s = Sampler(frames, actions, since, memory_frames=8, seed=1, revisit_bias=1.0,
                paint=paint, paint_bias=1.0, paint_weight=5.0)
    assert s.paint_starts and set(s.paint_starts) <= set(s.revisit_starts)
    weighted = 0
    for _ in range(10):
        x, a, mem, ma, mm, pw = s.batch(16)
        assert set(np.unique(pw)) <= {1.0, 5.0}
        for b in range(16):
            heavy = pw[b, :, 0] > 1
            # weights sit only on frames whose view is in memory or earlier in the window
            weighted += heavy.any()
            for j in range(pw.shape[1]):
                if heavy[j].any():
                    seen = list(mem[b][mm[b]]) + list(x[b, :j])
                    assert any(np.array_equal(f, x[b, j]) for f in seen), "a weighted frame repeats a view in reach"
    # every example comes from a painting revisit window; memory truncation (20%) can put it out of reach
    assert weighted >= 0.6 * 160, weighted


def test_learning_rate_warms_up_then_cools_down_linearly_to_zero():
    cfg = load_config(os.path.join(os.path.dirname(__file__), "..", "configs", "maze-prepend-16.json"))
    assert learning_rate(cfg, 0) == pytest.approx(cfg["lr"] / 100)
    assert learning_rate(cfg, cfg["steps"] - 1) == cfg["lr"]  # no cool-down unless configured
    cfg.update(steps=1000, cooldown_from=600)
    assert learning_rate(cfg, 599) == cfg["lr"]
    assert learning_rate(cfg, 600) == pytest.approx(cfg["lr"])
    assert learning_rate(cfg, 800) == pytest.approx(cfg["lr"] / 2)
    assert learning_rate(cfg, 1000) == 0.0
    rates = [learning_rate(cfg, s) for s in range(600, 1001)]
    assert all(a > b for a, b in zip(rates, rates[1:]))


def _sequence(frames, acts):
    """Frames [N, H, W, 3] uint8 and action ids -> network inputs [1, N, 3, H, W] and one-hot [1, N, 5]."""
    x = torch.from_numpy(frames.transpose(0, 3, 1, 2).astype(np.float32) / 127.5 - 1)[None]
    a = torch.zeros(1, len(acts), 5)
    a[0, torch.arange(len(acts)), torch.tensor(acts)] = 1.0
    return x, a


def test_pose_code_reads_the_world_poses_off_actions_and_frames(tmp_path):
    """PoseCode's bucket for every (query, key) pair of a 20-frame sequence equals the bucket of
    the true relative pose from the world (walls included: blocked moves are told by the frames)."""
    from networks import PoseCode
    from data import trajectories
    from world import DIRS

    pc = PoseCode((1, 2), (3, 4))
    R, side = pc.R, 2 * pc.R + 1
    blocked = exact = 0
    for k, (maze, pose, acts) in enumerate(trajectories(n_mazes=4, per_maze=1, length=96)):
        fr, poses = rollout(maze, pose, acts)
        blocked += sum(1 for i in range(1, len(acts)) if acts[i] in (1, 2) and poses[i] == poses[i - 1])
        for t0 in range(0, 96 - 20 + 1, 19):
            P = np.array(poses[t0:t0 + 20])
            x, a = _sequence(fr[t0:t0 + 20], acts[t0:t0 + 20])
            got = pc(x, a, torch.ones(1, 20, dtype=torch.bool))[0].numpy()
            d = DIRS[P[:, 2]]  # [F, 2] heading vectors
            ex = P[None, :, 0] - P[:, None, 0]
            ey = P[None, :, 1] - P[:, None, 1]
            f = ex * d[:, None, 0] + ey * d[:, None, 1]
            lat = ey * d[:, None, 0] - ex * d[:, None, 1]
            dh = (P[None, :, 2] - P[:, None, 2]) % 4
            near = (np.abs(f) <= R) & (np.abs(lat) <= R)
            want = np.where(near, dh * side * side + (np.clip(f, -R, R) + R) * side + np.clip(lat, -R, R) + R,
                            4 * side * side + dh)
            np.testing.assert_array_equal(got, want)
            exact += int((got == 2 * side + 2).sum())
    assert blocked > 0 and exact > 80  # the sequences do hold bumps into walls and same-pose pairs


def test_pose_bias_starts_as_the_network_without_it_and_its_tables_get_gradients():
    cfg = dict(arch="prepend", height=32, width=32, dim=32, patch=8, depth=2, heads=2, window=4, memory_frames=4)
    torch.manual_seed(0)
    plain, _ = build(cfg)
    posed, _ = build(dict(cfg, pose_bias=True))
    missing = [k for k in posed.state_dict() if k not in plain.state_dict()]
    assert missing and all(".ptab." in k for k in missing)
    with torch.no_grad():
        for p in plain.parameters():
            if p.abs().sum() == 0:
                p.normal_(0, 0.05)
    posed.load_state_dict(plain.state_dict(), strict=False)
    x, mem = torch.randn(2, 4, 3, 32, 32), torch.rand(2, 4, 3, 32, 32) * 2 - 1
    lv = torch.tensor([[0, 250, 500, 1000], [250, 500, 750, 1000]])
    a = torch.zeros(2, 4, 5)
    a[:, :, 3] = 1.0
    ma = torch.zeros(2, 4, 5)
    ma[:, :, 1] = 1.0
    mm = torch.ones(2, 4, dtype=torch.bool)
    assert torch.allclose(plain(x, lv, a, mem, ma, mm), posed(x, lv, a, mem, ma, mm), atol=1e-6)
    posed(x, lv, a, mem, ma, mm).square().mean().backward()
    assert all(b.ptab.weight.grad.abs().sum() > 0 for b in posed.blocks)


def test_pose_code_ignores_a_frame_repeated_with_its_action():
    """The service's initialization stage shows the newest context frame twice (last memory slot
    and first window slot, with the same action): poses must come out as without the repeat,
    whatever that action was (here a turn)."""
    from networks import PoseCode

    m = Maze(7)
    rng = np.random.RandomState(3)
    pose = m.random_pose(rng)
    acts = [0, 1, 3, 1, 1, 4, 2, 3, 1, 4]
    fr, _ = rollout(m, pose, acts)
    x, a = _sequence(fr, acts)
    pc = PoseCode((1, 2), (3, 4))
    want = pc(x, a, torch.ones(1, len(acts), dtype=torch.bool))[0]
    k = 7  # acts[7] is a left turn
    rep = [*range(k + 1), k, *range(k + 1, len(acts))]
    got = pc(x[:, rep], a[:, rep], torch.ones(1, len(rep), dtype=torch.bool))[0]
    keep = [i for i in range(len(rep)) if i != k + 1]
    assert torch.equal(got[keep][:, keep], want)
    assert torch.equal(got[k + 1], got[k])  # the repeat sits at the pose of the frame it repeats


def test_progress_prints_the_step_time_since_the_last_entry_not_since_step_0(capsys):
    import time
    # a resumed run: 100 steps took 400 s in an earlier session, the next 50 take about 10 s
    hist = [[100, 0.5, 400.0]]
    assert log_progress(hist, [0.2, 0.4], 150, time.time() - 410.0) == []
    step, loss, el = hist[-1]
    assert (step, loss) == (150, pytest.approx(0.3)) and 410.0 <= el < 411.0
    rate = float(capsys.readouterr().out.split()[4])
    assert 0.2 <= rate < 0.23  # 10 s / 50 steps, not 410 s / 150 steps (2.73)
