"""The committed bundles are the ones models/README.md describes: their training step counts are
pinned here, so a bundle retrained or replaced without updating the README's tables (and this
list) fails, and every world v1 config still repeats its bundle's recipe (`steps` = the count
the bundle was trained for, as train_all.sh promises)."""
import json
import os

MODELS = os.path.join(os.path.dirname(__file__), "..", "..")
CONFIGS = os.path.join(os.path.dirname(__file__), "..", "configs")

# bundle id -> training.steps in its model.json (the steps of its own run, not of the runs it
# starts from)
STEPS = {
    "maze-none": 10300,
    "maze-prepend-4": 11600,
    "maze-prepend-16": 11638,
    "maze-prepend-16-paint4": 25462,
    "maze-prepend-16-pose": 9000,
    "maze-channel-concat-16": 11600,
    "maze-cross-attention-8": 10600,
    "maze-compressed-joint-16": 475,
    "maze-compressed-modulated-16": 461,
    "maze2-unet-4": 7148,
}


def bundles():
    return sorted(d for d in os.listdir(MODELS) if os.path.isfile(os.path.join(MODELS, d, "model.json")))


def training(bundle):
    with open(os.path.join(MODELS, bundle, "model.json")) as f:
        return json.load(f)["training"]


def test_committed_bundles_are_the_pinned_ones_with_their_step_counts():
    assert bundles() == sorted(STEPS)
    assert {b: training(b)["steps"] for b in bundles()} == STEPS


def test_every_world_v1_config_is_bounded_by_its_bundles_step_count():
    """train.py stops at `steps`; a config whose count differs from its bundle's would retrain
    something else than what is committed. (World v2's config is the target of a run that
    continues from checkpoints/, so its `steps` is the goal, not the bundle's count.)"""
    v1 = [b for b in bundles() if "train.py" in training(b)["command"]]
    assert len(v1) == 9
    for b in v1:
        with open(os.path.join(CONFIGS, b + ".json")) as f:
            cfg = json.load(f)
        assert cfg["steps"] == training(b)["steps"], b
