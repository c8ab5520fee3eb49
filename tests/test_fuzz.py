"""The bad-input tier: a property-based fuzz of the weights loader. Every file loads or is refused cleanly,
in under 2 s and 200 MB (tracemalloc's peak)."""

from __future__ import annotations

import io
import json
import time
import tracemalloc
import zipfile

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnmem_tui.paths import data_dir
from rnnmem_tui.weights import WeightsError, load

BASE = dict(np.load(data_dir("weights") / "grammar-4.npz", allow_pickle=False))
META = json.loads(str(BASE["meta"]))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
dims = st.integers(0, 6) | st.sampled_from([3, 4, 11])
shapes = st.lists(dims, min_size=0, max_size=3).map(tuple) | st.sampled_from([(5000,), (4097, 1), (1, 4097)])
dtypes = st.sampled_from(["f8", "f4", "i8", "bool", "U1", "U3"])


@st.composite
def arrays(draw):
    """One array of a random shape and dtype (too many neurons shows in a thin shape: writing a 4097 x 4097
    matrix in every example would make the tier slow; test_a_huge_member covers large data)."""
    shape, dtype = draw(shapes), draw(dtypes)
    return np.zeros(shape, dtype=dtype) if dtype[0] != "U" else np.full(shape, "a", dtype=dtype)


@st.composite
def weights_files(draw):
    """The shipped grammar-4 file with some arrays replaced or dropped, and some meta keys changed."""
    files = dict(BASE)
    for key in draw(st.lists(st.sampled_from(["Wxh", "Whh", "Why", "bh", "by", "vocab", "extra"]), max_size=3)):
        if draw(st.booleans()):
            files[key] = draw(arrays())
        else:
            files.pop(key, None)
    meta = dict(META)
    for key in draw(
        st.lists(
            st.sampled_from(["task", "spec", "hidden", "n_min", "n_max", "u", "v", "w", "seconds", "command", "new"]),
            max_size=4,
        )
    ):
        meta[key] = draw(json_values)
    files["meta"] = np.array(json.dumps(meta) if draw(st.booleans()) else draw(st.text(max_size=20)))
    return files


def check(path) -> None:
    """Load or refuse cleanly, quickly and in little memory."""
    tracemalloc.start()
    start = time.process_time()  # CPU seconds: a loaded machine does not stretch them
    try:
        load(path)
    except WeightsError as e:
        assert "\n" not in str(e) and str(e)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert time.process_time() - start < 2.0 and peak < 200e6, (time.process_time() - start, peak)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=weights_files())
def test_any_weights_file_loads_or_is_refused_cleanly(tmp_path_factory, files):
    path = tmp_path_factory.mktemp("fuzz") / "w.npz"
    with open(path, "wb") as f:
        np.savez_compressed(f, **files)
    check(path)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2000), cut=st.integers(0, 4000))
def test_random_and_truncated_bytes_are_refused_cleanly(tmp_path_factory, data, cut):
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "random.npz").write_bytes(data)
    check(folder / "random.npz")
    good = io.BytesIO()
    np.savez_compressed(good, **BASE)
    (folder / "cut.npz").write_bytes(good.getvalue()[:cut])
    check(folder / "cut.npz")


def test_a_huge_member_compressed_small_is_never_decompressed(tmp_path):
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for k, v in BASE.items():
            with z.open(f"{k}.npy", "w") as f:
                np.lib.format.write_array(f, v)
        with z.open("extra.npy", "w", force_zip64=True) as f:
            np.lib.format.write_array(f, np.zeros(25_000_000))  # 200 MB of zeros, about 200 KB compressed
    check(path)
