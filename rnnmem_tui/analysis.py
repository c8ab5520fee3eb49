"""Ablation sweeps: zero each neuron (and each pair) in turn and measure what breaks."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from .metrics import Protocol, Scores, evaluate
from .model import RNN, Interventions
from .tasks import Task


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


def ablation_sweep(
    net: RNN, task: Task, protocol: Protocol = Protocol(units=1000), pairs: bool = False, progress=None
) -> tuple[Scores, list[Ablation]]:
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
