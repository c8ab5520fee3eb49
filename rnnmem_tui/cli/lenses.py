"""The verbs of the two lenses beyond neuron roles: automaton (the machine a network implements) and fixed-points."""

from __future__ import annotations

import json
import sys
import time

import click

from .. import automaton, dynamics
from ..cells import cell_of
from ..weights import task_for
from . import options as o
from .measure import describe, parse_interventions, read

MAP_LINES = 8  # task states split over several network states, listed at most


@click.command(
    "automaton",
    short_help="the finite-state machine a network implements, beside the task's own",
    help="Explore the network from h = 0 after the start token on the symbols it allows "
    f"(p >= {automaton.ALLOW}), one state per quantised hidden state; minimise; and compare with the task's "
    "minimal machine (states reachable under valid input, output = the set of legal next symbols): state counts, "
    f"the map between states, the shortest counterexamples, and the agreement along {automaton.UNITS} "
    f"teacher-forced units (seed {automaton.SEED}). Without --resolution the quantisation step is the coarsest "
    f"of {', '.join(map(str, automaton.LADDER))} whose machine reproduces the network's own allowed symbols on "
    f"{automaton.FAITHFUL:.1%} of those steps.",
)
@click.argument("path", metavar="PATH")
@o.json_flag()
@click.option(
    "--resolution",
    type=o.Real(lo=1e-6, hi=2.0),
    default=None,
    help="quantise each neuron in steps of this size (1e-06..2) instead of choosing the step",
)
@o.interventions
def automaton_(path, as_json, resolution, zero, clamp) -> int:
    """Print the network's machine beside the task's, or its JSON."""
    net = read(path)
    task = task_for(net)
    iv = parse_interventions(zero, clamp, net)
    began = time.perf_counter()
    r = automaton.report(net, task, iv, resolution)
    if as_json:
        print(json.dumps(r.as_json(), indent=2))
        return 0
    ex, c, tm = r.extracted, r.comparison, r.task_machine
    held = f" with {describe(iv)}" if iv else ""
    print(f"{path}: {task.name}, {cell_of(net).size_text(net.size)}{held}")
    print(
        f"network's machine: {ex.machine.states} states, minimised from {ex.raw.states} quantised hidden states "
        f"(step {ex.resolution:g}){'; exploration stopped at the limit' if ex.truncated else ''}"
    )
    print(f"task's machine:    {tm.states} states" + (f" ({task.machine_note})" if task.machine_note else ""))
    mapping = "one to one" if c.one_to_one else "not one to one"
    print(f"state map: {mapping}; {c.disagreeing} of {len(c.pairs)} reachable state pairs allow different symbols")
    split = [(a, bs) for a, bs in c.state_map().items() if len(bs) > 1]
    for a, bs in split[:MAP_LINES]:
        print(
            f"  task state {a} ({show(tm.name(a)) or 'the start'}) meets network states "
            + ", ".join("stuck" if b < 0 else f"{b} ({show(ex.machine.name(b)) or 'the start'})" for b in bs)
        )
    if len(split) > MAP_LINES:
        print(f"  ... and {len(split) - MAP_LINES} more task states that meet several (--json has the whole map)")
    print(
        f"agreement {r.agreement:.4f} over {r.steps} teacher-forced steps ({automaton.UNITS} units, seed "
        f"{automaton.SEED}); the machine reproduces the network's own allowed symbols on {r.fidelity:.4f}"
    )
    if c.counterexamples:
        print("shortest counterexamples (input after the start token: what the task allows | what the network does):")
        for e in c.counterexamples:
            net_allows = (
                "stuck: it never allowed the last symbol" if e["network_allows"] is None else show(e["network_allows"])
            )
            print(f"  {show(e['input']) or '(start)':<20} {show(e['task_allows']):<12} | {net_allows}")
    print(f"({time.perf_counter() - began:.1f}s)")
    return 0


def show(symbols: str) -> str:
    """Symbols as printable text: a newline as ⏎."""
    return symbols.replace("\n", "⏎")


@click.command(
    "fixed-points",
    short_help="fixed and slow points of each input symbol's map, with their stability",
    help="For each input symbol x, minimise ||F(h) - h||^2 for F(h) = tanh(Wxh x + Whh h + bh) from "
    f"{dynamics.VISITED} states visited in a teacher-forced run and {dynamics.RANDOM} random ones "
    f"(Levenberg-Marquardt, then Newton), keep the points slower than {dynamics.SLOW:g}, merge those within "
    f"{dynamics.DEDUP:g} of each other in every neuron, and classify each by the moduli of its Jacobian's "
    "eigenvalues: stable (all < 1), saddle, or unstable (all > 1). Held neurons stay at their held values; the "
    "rest are free.",
)
@click.argument("path", metavar="PATH")
@o.json_flag("print JSON: a list of points")
@click.option("--all", "everything", is_flag=True, help="also report the saddles and unstable points")
@click.option("--max-points", type=o.COUNT, default=200, help="report at most this many points (default 200)")
@o.seed("seed of the random starts")
@o.interventions
def fixed_points(path, as_json, everything, max_points, seed, zero, clamp) -> int:
    """Print each symbol's stable points (and with --all the others), at most --max-points of them."""
    net = read(path)
    task = task_for(net)
    iv = parse_interventions(zero, clamp, net)
    found = dynamics.fixed_points(net, task, iv, seed)
    shown = [p for p in found if everything or p.stable]
    capped = shown[:max_points]
    if as_json:
        print(json.dumps([p.as_json() for p in capped], indent=2))
    else:
        held = f" with {describe(iv)}" if iv else ""
        print(
            f"{path}: {task.name}, {cell_of(net).size_text(net.size)}{held}; slow-point threshold {dynamics.SLOW:g} "
            f"(speed ||F(h) - h||), fixed below {dynamics.FIXED:g}; de-duplication tolerance {dynamics.DEDUP:g} "
            "per neuron"
        )
        print(f"{'symbol':<6} {'kind':<8} {'speed':>8}  {'|eigenvalues|':<24} point")
        for p in capped:
            eig = " ".join(f"{v:.2f}" for v in p.eigenvalues[:4]) + (" ..." if p.eigenvalues.size > 4 else "")
            print(
                f"{show(p.symbol):<6} {p.kind:<8} {p.speed:>8.1e}  {eig:<24} " + " ".join(f"{v:+.2f}" for v in p.point)
            )
        kinds = {k: sum(p.kind == k for p in found) for k in ("stable", "saddle", "unstable")}
        print(
            f"found {kinds['stable']} stable, {kinds['saddle']} saddle and {kinds['unstable']} unstable points "
            f"over {len(net.vocab)} symbols" + ("" if everything else "; --all shows the others")
        )
    if len(shown) > max_points:
        print(f"rnnmem-tui: showing {max_points} of {len(shown)} points: --max-points binds", file=sys.stderr)
    return 0


COMMANDS = (automaton_, fixed_points)
