"""What each neuron does: roles by correlation with the task's state features, and ablation sweeps."""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from .metrics import Protocol, Scores, evaluate
from .model import RNN, Interventions
from .tasks import Task

MIN_R = 0.8  # |r| a counter needs to be named
MIN_AUC = 0.9  # AUC a bit or flag needs to be named


@dataclass(frozen=True)
class Role:
    """A neuron's best-matching state feature and how strongly it matches."""

    neuron: int
    kind: str  # "counter", "bit", "flag", "line", "phase" or "unexplained"
    feature: str  # the task feature's name, e.g. "cell6", "remaining"
    text: str  # e.g. "k remaining", "cell 6 filled", "not line start"
    measure: str  # "r" or "AUC"
    value: float  # r in [-1, 1], or AUC in [0.5, 1] after orienting
    strength: float  # |r| (point-biserial for two-valued features): how the features are ranked

    @property
    def label(self) -> str:
        """E.g. `counter: k remaining (r=0.97)`, `bit: cell 6 filled (AUC 1.00)`, `unexplained`."""
        shown = f"r={self.value:.2f}" if self.measure == "r" else f"AUC {self.value:.2f}"
        if self.kind == "unexplained":
            return f"unexplained (best: {self.text}, {shown})"
        return f"{self.kind}: {self.text} ({shown})"


def describe_feature(name: str, inverted: bool) -> tuple[str, str]:
    """The kind and the words for a task feature, e.g. ('bit', 'cell 6 filled')."""
    if name.startswith("cell"):
        return "bit", f"cell {name[4:]} {'empty' if inverted else 'filled'}"
    flags = {"line_start": "line start", "after_digit": "digit printed", "full": "all filled",
             "complete": "a line complete", "past_u": "past the u's", "in_v": "in the v's"}
    if name in flags:
        return "flag", ("not " if inverted else "") + flags[name]
    if name in ("diag", "anti"):
        return "line", f"{'diagonal' if name == 'diag' else 'anti-diagonal'} progress"
    if name[:3] in ("row", "col"):
        return "line", f"{name[:3]} {name[3:]} progress"
    if name == "phase":
        return "phase", "u^n / w / v^n"
    counters = {"remaining": "k remaining", "k": "digit k", "count": "@ count", "filled": "cells filled",
                "depth": "depth", "read": "u's read"}
    return "counter", counters.get(name, name)


def auc(x: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve of score x for a boolean label, with ties given average ranks."""
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if not n_pos or not n_neg:
        return 0.5
    _, inv, counts = np.unique(x, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    ranks = (ends - (counts - 1) / 2.0)[inv]  # average 1-based rank of each value
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def teacher_run(net: RNN, task: Task, rng: np.random.Generator, units: int = 1000):
    """Teacher-force random valid units from h = 0; returns the stream, hidden states (T, H), features."""
    stream = task.end + "".join(task.generate(rng, units))
    hs, _ = net.forward(net.index(stream)[None, :], np.zeros((1, net.hidden)))
    return stream, hs[0], task.features(stream)


def neuron_roles(net: RNN, task: Task, units: int = 1000, seed: int = 0) -> list[Role]:
    """Label every neuron with the state feature it tracks best over a long teacher-forced run."""
    _, hs, feats = teacher_run(net, task, np.random.default_rng(seed), units)
    roles = []
    for i in range(net.hidden):
        x = hs[:, i]
        best = None
        for name, f in feats.items():
            values = np.unique(f)
            if len(values) < 2 or np.ptp(x) < 1e-9:
                continue
            # rank by |r| (variance explained) so a counter that also marks line start stays a counter
            r = float(np.corrcoef(x, f)[0, 1])
            if len(values) == 2:
                a = auc(x, f == values[1])
                cand = (abs(r), "AUC", max(a, 1 - a), a < 0.5)
            else:
                cand = (abs(r), "r", r, False)
            if best is None or cand[0] > best[1][0] + 1e-9:
                best = (name, cand)
        if best is None:
            roles.append(Role(i, "unexplained", "", "constant", "r", 0.0, 0.0))
            continue
        name, (strength, measure, value, inverted) = best
        kind, text = describe_feature(name, inverted)
        named = value >= MIN_AUC if measure == "AUC" else abs(value) >= MIN_R
        roles.append(Role(i, kind if named else "unexplained", name, text, measure, value, strength))
    return roles


@dataclass(frozen=True)
class Ablation:
    """The figures with some neurons zeroed, and their drop against the intact network."""

    neurons: tuple[int, ...]
    scores: Scores
    intact: Scores

    @property
    def damage(self) -> float:
        """Fall in the ranking score (validity less TVD less bad mass); larger is worse."""
        return self.intact.score() - self.scores.score()


def ablation_sweep(net: RNN, task: Task, protocol: Protocol = Protocol(units=1000),
                   pairs: bool = False, progress=None) -> tuple[Scores, list[Ablation]]:
    """Zero each neuron (and each pair) in turn; returns the intact figures and the ablations by damage."""
    intact = evaluate(net, task, protocol)
    groups = [(i,) for i in range(net.hidden)]
    if pairs:
        groups += list(combinations(range(net.hidden), 2))
    out = []
    for n, group in enumerate(groups):
        iv = Interventions(frozenset(group))
        out.append(Ablation(group, evaluate(net, task, protocol, iv), intact))
        if progress:
            progress(n + 1, len(groups))
    return intact, sorted(out, key=lambda a: -a.damage)
