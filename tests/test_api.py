"""The Python API: the names load lazily, and `train` is both module and function (its example, in
docs/howto/api.md, runs in tests/test_docs.py)."""

from __future__ import annotations

import subprocess
import sys


def test_the_api_loads_lazily_and_train_is_module_and_function():
    code = (
        "import sys, rnnmem_tui; assert 'rnnmem_tui.api' not in sys.modules and 'numpy' not in sys.modules\n"
        "from rnnmem_tui import load, train, Session, evaluate, explain\n"
        "assert callable(train) and all(f.__doc__ for f in (load, train, Session, evaluate, explain))\n"
        "import rnnmem_tui.train as engine\n"
        "from rnnmem_tui import train as again\n"
        "assert again is engine and engine.TrainConfig and callable(again)\n"
        "net = again('count', hidden=2, max_steps=20)\n"
        "assert net.hidden == 2 and net.meta.steps == 20\n"
        "try:\n    rnnmem_tui.nope\nexcept AttributeError:\n    pass\nelse:\n    raise SystemExit(1)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
