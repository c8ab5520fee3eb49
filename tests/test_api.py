"""The Python API: the README's example runs as written, the names load lazily, and `train` is both module and function."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_example() -> str:
    """The first python block of the README's "The Python API" section."""
    section = README.read_text().split("## The Python API", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S)[1]


def test_the_readme_example_runs(capsys):
    exec(compile(readme_example(), "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "neurons on grammar" in out and "with neuron 0 zeroed" in out


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
