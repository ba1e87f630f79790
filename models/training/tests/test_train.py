import json

import numpy as np
import torch

from data import Sampler
from networks import KIND, alphas_cumprod_cosine, build
from train import forward, load_config, loss_fn, make_batch
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
            xt, lv, a, mem, ma, mm, v, ab = fixed
            return loss_fn(forward(den, enc, "frames", xt, lv, a, mem, ma, mm), v, lv, ab).item()

    before = eval_loss()
    for _ in range(30):
        xt, lv, a, mem, ma, mm, v, ab = make_batch(sampler, "frames", 8, ac, 1000)
        loss = loss_fn(forward(den, enc, "frames", xt, lv, a, mem, ma, mm), v, lv, ab)
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = eval_loss()
    assert after < 0.8 * before, (before, after)
