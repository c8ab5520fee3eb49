"""The study's claims set beside ours: each claim is tested by one written rule against our recorded runs, and
gets one of four words: reproduced, not reproduced, refuted, or untestable with our controls."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .paths import data_dir
from .searches import distinct
from .searches import load as load_records
from .weights import load

MIN_RUNS = 5  # fewer runs than this is "one run" or "a few runs", never a finding either way
PERFECT = 0.999  # the study's "perfect" is tested by networks trained to this validity target


@dataclass(frozen=True)
class Run:
    """One trained network's verdict: the evidence a rule weighs."""

    source: str  # where it is recorded: a search file, a shipped file, a population file
    hidden: int | str  # a size, or a shipped name's size such as "optimal-10"
    seed: int | None
    verdict: str  # under its own target
    validity: float
    interval: tuple[float, float]  # the 95% interval of the validity


@dataclass(frozen=True)
class Finding:
    """A claim, the word its rule gives, and the evidence in words."""

    claim: dict
    word: str
    evidence: str


def runs_of(root: Path, source: str, task: str, hidden: int) -> list[Run]:
    """The recorded runs of a task at one size: `searches` (docs/searches/*.jsonl, superseded runs left out),
    `perfect` (docs/study/perfect.jsonl: populations trained to the 0.999 target) or `shipped` (weights/)."""
    if source == "searches":  # a run in two files, or trained again on a larger budget, counts once (`distinct`)
        found = {
            id(r): (p.name, r)
            for p in sorted((root / "docs" / "searches").glob("*.jsonl"))
            for r in load_records(p)
            if r.task == task and r.hidden == hidden
        }
        return [
            Run(found[id(r)][0], r.hidden, r.seed, r.verdict, r.validity, tuple(r.validity_interval))
            for r in distinct([r for _, r in found.values()])
        ]
    if source == "perfect":
        path = root / "docs" / "study" / "perfect.jsonl"
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.is_file() else []
        return [
            Run(path.name, r["hidden"], r["seed"], r["verdict"], r["validity"], tuple(r["validity_interval"]))
            for r in rows
            if r["task"] == task and r["hidden"] == hidden
        ]
    path = data_dir("weights") / f"{task}-{hidden}.npz"
    if not path.is_file():
        return []
    meta = load(path).meta
    v = meta.verdict
    return [Run(path.name, hidden, meta.seed, v["verdict"], v["validity"], tuple(v["validity_interval"]))]


def best(runs: list[Run]) -> str:
    """The best run's validity and interval, e.g. `0.9931 [0.9923, 0.9938]`."""
    r = max(runs, key=lambda r: r.validity)
    return f"{r.validity:.4f} [{r.interval[0]:.4f}, {r.interval[1]:.4f}]"


def split_at(runs: list[Run], x: float, meeting: bool = False) -> tuple[list[Run], bool]:
    """The runs whose interval lies wholly at or above x (and, with `meeting`, whose verdict meets their own
    target), and whether there are at least MIN_RUNS runs with every interval wholly below x."""
    above = [r for r in runs if r.interval[0] >= x and (r.verdict == "meets" or not meeting)]
    return above, len(runs) >= MIN_RUNS and all(r.interval[1] < x for r in runs)


def some_run_at_least(claim: dict, runs: list[Run]) -> tuple[str, str]:
    """**"X% on some trials"**: *reproduced* when at least one run's validity interval lies wholly at or above X;
    *refuted* when there are at least 5 runs and every interval lies wholly below X; *not reproduced* otherwise."""
    above, below = split_at(runs, claim["threshold"])
    said = f"{len(above)} of {len(runs)} runs wholly at or above {claim['threshold']}; best {best(runs)}"
    return ("reproduced" if above else "refuted" if below else "not reproduced"), said


def perfect(claim: dict, runs: list[Run]) -> tuple[str, str]:
    """**"Perfect"**: tested only by a population trained to a 0.999 validity target (networks trained to 0.99 stop
    early and cannot say). *Reproduced* when at least one run meets the 0.999 target (its interval wholly at or
    above it); otherwise *not reproduced at 0.999*, with the best interval. Training that falls short never
    refutes it: a network that does better may exist."""
    met, _ = split_at(runs, PERFECT, meeting=True)
    said = f"{len(met)} of {len(runs)} runs trained to {PERFECT} meet it; best {best(runs)}"
    return ("reproduced" if met else "not reproduced at 0.999"), said


def not_perfect(claim: dict, runs: list[Run]) -> tuple[str, str]:
    """**"Sometimes off"** (a size too small for perfect lines): in a population trained to the 0.999 target,
    *refuted* when some run meets it; *reproduced* when there are at least 5 runs and every interval lies
    wholly below 0.999; *not reproduced* otherwise."""
    met, below = split_at(runs, PERFECT, meeting=True)
    said = f"{len(met)} of {len(runs)} runs trained to {PERFECT} meet it; best {best(runs)}"
    return ("refuted" if met else "reproduced" if below else "not reproduced"), said


def worse_than(claim: dict, runs: list[Run], reference: list[Run]) -> tuple[str, str]:
    """**"Clearly worse" than a larger size**: *reproduced* when there are at least 5 runs at each size and every
    run's validity interval at this size lies wholly below every interval at the reference size; *refuted* when
    at least 5 runs at this size meet the target; *not reproduced* otherwise."""
    below = bool(runs) and bool(reference) and max(r.interval[1] for r in runs) < min(r.interval[0] for r in reference)
    said = (
        f"{len(runs)} runs here, best {best(runs)}; {len(reference)} at {claim['reference']} neurons, "
        f"worst {min(r.validity for r in reference):.4f}"
    )
    if below and len(runs) >= MIN_RUNS and len(reference) >= MIN_RUNS:
        return "reproduced", said
    if sum(r.verdict == "meets" for r in runs) >= MIN_RUNS:
        return "refuted", said
    return "not reproduced", said


def built_exactly(claim: dict, runs: list[Run]) -> tuple[str, str]:
    """**A behaviour by construction** (a hand-built network): *reproduced* when our hand-built network's validity
    interval lies wholly at or above 0.999; *not reproduced* otherwise."""
    ok = bool(runs) and all(r.interval[0] >= PERFECT for r in runs)
    return ("reproduced" if ok else "not reproduced"), f"hand-built, validity {best(runs)}" if runs else "no file"


def holds(record: dict, need: dict) -> bool:
    """Whether one network's neurons hold a required role: a passing memory role with causal effect whose kind
    and feature (in the task's words) match the requirement's `kind` and `text` (regular expressions, whole),
    on at least `neurons` neurons (1), and at least `features` distinct features (1) over them, or in one
    neuron with `one_neuron`."""
    match = [
        {text for kind, text in roles if re.fullmatch(need["kind"], kind) and re.fullmatch(need["text"], text)}
        for roles in record["neurons"]
    ]
    holding = [m for m in match if m]
    features = max(map(len, holding), default=0) if need.get("one_neuron") else len(set().union(*match))
    return len(holding) >= need.get("neurons", 1) and features >= need.get("features", 1)


def roles_in_networks(claim: dict, records: list[dict], impossible: list[str]) -> tuple[str, str]:
    """**Roles the study names, over ten trained networks of its size** (docs/study/layouts): a network holds
    them when every required role passes in it, with causal effect (`holds`). *Untestable with our controls*
    when a required feature cannot pass at this size (the best neuron of random networks scores as high as a
    score can go); otherwise, over the networks of the claim's group (those that meet, or all): *reproduced*
    when at least half of at least 5 networks hold them; *refuted* when there are at least 5 and none does;
    *not reproduced* otherwise."""
    if impossible:
        return "untestable with our controls", (
            f"random networks of this size hold {', '.join(impossible)} as well as any network can"
        )
    group = [r for r in records if claim.get("networks", "meet") == "all" or r["verdict"] == "meets"]
    k = sum(all(holds(r, need) for need in claim["roles"]) for r in group)
    said = f"{k} of {len(group)} {'networks' if claim.get('networks') == 'all' else 'networks that meet'} hold them"
    if len(group) >= MIN_RUNS and 2 * k >= len(group):
        return "reproduced", said
    return ("refuted" if len(group) >= MIN_RUNS and k == 0 else "not reproduced"), said


def impossible_features(claim: dict) -> list[str]:
    """The features a claim requires that no neuron of its size can pass: for every feature matching a
    requirement, the per-network null asks for more than a perfect score even at the most lenient cutoff."""
    from .nulls import Q, thresholds
    from .tasks import load_task

    task = load_task(claim["task"])
    null = thresholds(task, claim["hidden"])
    out = []
    for need in claim["roles"]:
        feats = [
            f for f in task.state_features if re.fullmatch(need["kind"], f.kind) and re.fullmatch(need["text"], f.text)
        ]
        if feats and all(null.bar(f.name, Q) >= 1.0 for f in feats):
            out.append(" / ".join(f.text for f in feats))
    return out


RULES: dict[str, Callable[..., tuple[str, str]]] = {
    "some-run-at-least": some_run_at_least,
    "perfect": perfect,
    "not-perfect": not_perfect,
    "worse-than": worse_than,
    "built-exactly": built_exactly,
    "roles-in-networks": roles_in_networks,
}


def judge(root: Path, claim: dict, layouts: Callable[[str], list[dict]] | None = None) -> Finding:
    """The word a claim's rule gives it on our recorded runs: "not reproduced" while no run is recorded (the
    claim is testable, it has not been tested); "untestable with our controls" only by its rule. A claim
    about roles reads the layouts of ten networks through `layouts` (by shape name, e.g. `fill-10`)."""
    if claim["rule"] == "untestable":
        return Finding(claim, "untestable with our controls", claim["why"])
    if claim["rule"] == "roles-in-networks":
        records = layouts(f"{claim['task']}-{claim['hidden']}") if layouts else []
        if not records:
            return Finding(claim, "not reproduced", "no networks recorded yet (docs/study/layouts)")
        return Finding(claim, *roles_in_networks(claim, records, impossible_features(claim)))
    runs = runs_of(root, claim["source"], claim["task"], claim["hidden"])
    if not runs:
        return Finding(claim, "not reproduced", f"no run recorded yet ({claim['source']})")
    rule = RULES[claim["rule"]]
    if claim["rule"] == "worse-than":
        reference = runs_of(root, claim["source"], claim["task"], claim["reference"])
        word, said = rule(claim, runs, reference)
    else:
        word, said = rule(claim, runs)
    return Finding(claim, word, said)


def untestable(claim: dict, runs: list[Run]) -> tuple[str, str]:
    """**Untestable with our controls**: a claim our instruments cannot measure; the claim says why."""
    return "untestable with our controls", claim["why"]


RULES["untestable"] = untestable


def claims(root: Path) -> list[dict]:
    """The study's claims as data (docs/study/claims.toml)."""
    return tomllib.loads((root / "docs" / "study" / "claims.toml").read_text())["claim"]


def table(root: Path, layouts: Callable[[str], list[dict]] | None = None) -> str:
    """The comparison table: the study's words, the rule, our evidence and the word."""
    lines = ["| the study | task, size | rule | our evidence | verdict |", "|---|---|---|---|---|"]
    for f in (judge(root, c, layouts) for c in claims(root)):
        c = f.claim
        lines.append(f"| {c['study']} | {c['task']}, {c['hidden']} | {c['rule']} | {f.evidence} | **{f.word}** |")
    return "\n".join(lines) + "\n"


def rules_text() -> str:
    """Each rule in words, from its docstring: the one place the rules are written."""
    return "\n".join(f"- `{name}`: {' '.join(rule.__doc__.split())}" for name, rule in RULES.items()) + "\n"
