"""The grid tasks' array paths (validity of many units, legal masks) agree with the per-prefix rules."""

import numpy as np
import pytest

from rnnmem_tui.tasks import load_task
from rnnmem_tui.tasks.base import Task
from rnnmem_tui.tasks.grid import FillTask, ThreeInARowTask


def tasks():
    yield load_task("fill")
    yield load_task("fill-4x4")
    yield load_task("three-in-a-row")
    yield FillTask(name="fill-5x5", params={"rows": 5, "cols": 5}, target={})  # past the lookup table
    yield ThreeInARowTask(name="tiar-5x5", params={"rows": 5, "cols": 5}, target={})


def streams(task, rng):
    """Valid games, games with one symbol changed, and uniform noise over the vocabulary."""
    good = "".join(task.generate(rng, 60))
    chars = list(good)
    for i in rng.integers(0, len(chars), 25):
        chars[i] = task.vocab[rng.integers(len(task.vocab))]
    noise = "".join(rng.choice(list(task.vocab), 400))
    return [task.end + good, task.end + "".join(chars), noise, task.end + noise]


@pytest.mark.parametrize("task", list(tasks()), ids=lambda t: t.name)
def test_legal_mask_and_validity_match_the_rules(task):
    rng = np.random.default_rng(0)
    for i, stream in enumerate(streams(task, rng)):
        assert (task.legal_mask(stream) == Task.legal_mask(task, stream)).all()
        units, _ = task.split(stream)
        valid = task.valid_units(units)
        assert valid == [task.is_valid(u) for u in units]
        assert all(valid[1:]) if i == 0 else not all(valid)  # the first unit is the empty one before the start


def test_game_lengths_follow_done():
    task = load_task("three-in-a-row")
    orders = np.random.default_rng(1).permuted(np.tile(np.arange(9), (200, 1)), axis=1)
    for order, k in zip(orders, task.game_lengths(orders)):
        masks = np.bitwise_or.accumulate(1 << order)
        assert task.done(int(masks[k - 1])) and not any(task.done(int(m)) for m in masks[: k - 1])
