"""What every test shares: two digit keys make one neuron number however slowly a loaded machine delivers them."""

import pytest

import rnnmem_tui  # noqa: F401  first, before any test module loads numpy: it pins OpenBLAS's kernels (arith.py)


@pytest.fixture(autouse=True)
def patient_digits(monkeypatch):
    """The explorer joins two digits typed within DIGIT_GAP seconds; a pilot's key presses on a busy
    machine can arrive further apart than a person's, so tests give it a minute."""
    from rnnmem_tui.screens import keys

    monkeypatch.setattr(keys, "DIGIT_GAP", 60.0)


def pytest_collection_modifyitems(items):
    """The tiers as markers: a test that compares a rendered screen is `snapshot`, one that drives the explorer
    through its pilot (an async test) is `pilot`; `slow` is marked where it is earned."""
    import inspect

    for item in items:
        if "snap_compare" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.snapshot)
        elif inspect.iscoroutinefunction(getattr(item, "function", None)):
            item.add_marker(pytest.mark.pilot)
