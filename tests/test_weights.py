"""The weights file contract: round trips, atomic saves, and clear refusals of bad files."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from rnnmem_tui.paths import PathError
from rnnmem_tui.model import RNN
from rnnmem_tui.optimal import build_fill
from rnnmem_tui.tasks import load_task
from rnnmem_tui.meta import Meta
from rnnmem_tui.weights import WeightsError, load, save, shipped


def test_round_trip_keeps_every_array_and_the_meta(tmp_path):
    net = build_fill(load_task("fill"))
    path = save(net, tmp_path / "f.npz")
    back = load(path)
    for k, v in net.params.items():
        assert np.array_equal(v, getattr(back, k))
    assert back.vocab == net.vocab and back.meta == net.meta
    with np.load(path, allow_pickle=False) as z:  # other tools read it like this
        assert json.loads(str(z["meta"][()]))["task"] == "fill"
        assert z["vocab"].dtype.kind == "U"
    assert [p.name for p in tmp_path.iterdir()] == ["f.npz"]  # no temp file left behind


def test_a_failed_save_leaves_the_old_file_whole(tmp_path, monkeypatch):
    net = build_fill(load_task("fill"))
    path = save(net, tmp_path / "f.npz")
    before = path.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(PathError, match="f.npz: could not write it"):  # one line naming the file
        save(net, path)
    assert path.read_bytes() == before and len(list(tmp_path.iterdir())) == 1


def write(tmp_path, **arrays):
    path = tmp_path / "w.npz"
    np.savez(path, **arrays)
    return path


def good_arrays():
    task = load_task("count")
    net = RNN.init(2, task.vocab, np.random.default_rng(0), meta=Meta.made(task, 2))
    arrays = {k: v for k, v in net.params.items()}
    return arrays | {"vocab": np.array(net.vocab), "meta": np.array(net.meta.to_json())}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"Whh": np.zeros((3, 3))}, "Wxh has shape"),
        ({"by": np.zeros(4)}, "by has shape"),
        ({"meta": np.array('{"task": "chess"}')}, "unknown task 'chess'"),
        ({"meta": np.array("not json")}, "meta is not a JSON object"),
        ({"vocab": np.array(list("abcdefghijk"))}, "does not match task"),
        ({"bh": np.array([np.nan, 0.0])}, "NaN"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(tmp_path, change, message):
    with pytest.raises(WeightsError, match=message):
        load(write(tmp_path, **(good_arrays() | change)))


def test_missing_corrupt_and_pickled_files_are_refused(tmp_path):
    with pytest.raises(WeightsError, match="no such weights file"):
        load(tmp_path / "none.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(WeightsError, match="not an .npz"):
        load(tmp_path / "junk.npz")
    arrays = good_arrays()
    arrays.pop("Why")
    with pytest.raises(WeightsError, match="missing array"):
        load(write(tmp_path, **arrays))
    pickled = good_arrays() | {"meta": np.array([{"task": "count"}], dtype=object)}
    with pytest.raises(WeightsError):
        load(write(tmp_path, **pickled))
    with zipfile.ZipFile(tmp_path / "cut.npz", "w") as z:
        z.writestr("Wxh.npy", b"\x93NUMPY garbage")
    with pytest.raises(WeightsError):
        load(tmp_path / "cut.npz")


def test_shipped_lookup_names_what_exists():
    assert shipped("fill", optimal=True).name == "fill-optimal-10.npz"
    with pytest.raises(WeightsError, match="no shipped network fill-99.npz"):
        shipped("fill", 99)
    with pytest.raises(WeightsError, match="unknown task"):
        shipped("nope")
