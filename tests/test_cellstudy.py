"""The study across cells: the rules that judge the published predictions, and the size table's pieces."""

from __future__ import annotations

from pathlib import Path

from rnnmem_tui.cellstudy import below_short, nines, parameters, spans, weiss_verdict


def population(clean: list[int | None], trained: int = 10) -> list[dict]:
    return [{"clean": c, "trained": trained, "verdict": "meets", "bad_mean_interval": [0.001, 0.002]} for c in clean]


def test_weiss_s_prediction_is_judged_by_its_written_rule():
    far, near = population([16, 20, 30, 15, 50, 18, 16, 17, 40, 22]), population([9, 10, 10, 8, None, 10, 9, 7, 10, 10])
    assert weiss_verdict({"lstm": far, "relu": far, "gru": near, "rnn": near})[0] == "reproduced"
    assert weiss_verdict({"lstm": near, "relu": near, "gru": far, "rnn": far})[0] == "refuted"
    assert weiss_verdict({"lstm": far, "relu": near, "gru": near, "rnn": near})[0] == "not reproduced"
    overlap = population([16, 20, 30, 15, 50, 18, 16, 17, 40, 60])
    assert weiss_verdict({"lstm": near + population([51]), "relu": near, "gru": overlap, "rnn": overlap})[0] == (
        "not reproduced"  # reversed, but the ranges meet
    )
    verdict, why = weiss_verdict({"lstm": far, "relu": far[:9], "gru": near, "rnn": near})
    assert verdict == "untestable with our controls" and "ReLU 9" in why
    failed = [dict(r, bad_mean_interval=[0.005, 0.02]) for r in far[:3]]  # one that never learnt the range: mute
    verdict, why = weiss_verdict({"lstm": far, "relu": far[3:] + failed, "gru": near, "rnn": near})
    assert verdict == "untestable with our controls" and "ReLU 7" in why


def test_the_table_counts_parameters_as_the_files_store_them_and_joins_sizes_short_of_runs():
    assert parameters("rnn", 3, 3) == 3 * 3 + 3 * 3 + 3 + 3 * 3 + 3
    gates = lambda cell: parameters(cell, 4, 5) - parameters("relu", 4, 5)  # noqa: E731  beyond one gate's
    assert gates("gru") == 2 * (4 * 5 + 4 * 4 + 2 * 4) and gates("lstm") == 3 * (4 * 5 + 4 * 4 + 2 * 4)
    assert spans({1: 0, 2: 0, 3: 0, 5: 10, 6: 0, 7: 0}) == ["1-3: 0 runs", "5: 10 runs", "6-7: 0 runs"]


def test_the_size_below_asks_each_recipe_for_its_sixty_runs_and_a_flat_curve():
    from dataclasses import replace

    from rnnmem_tui.searches import Record

    run = Record(
        "grammar", "rnn", 2, 0, 0.01, "windows", 160000, (0.5,) * 8, "misses", 0.5, (0.4, 0.6), 160000, "", False, ""
    )
    flat = [replace(run, seed=k, lr=r) for k in range(20) for r in (0.01, 0.02, 0.05)]
    rising = [replace(r, recipe="lines", budget=20000, curve=(0.1,) * 4 + (0.4,) * 4) for r in flat]
    assert below_short(flat, 2) == ["below (2): lines 0 of 60 runs"]
    assert below_short(flat + rising[:59], 2) == ["below (2): lines 59 of 60 runs"]
    assert below_short(flat + rising, 2) == ["below (2): lines still rising at 20000 updates (gained +0.3000)"]
    assert below_short(flat + [replace(r, budget=160000, updates=160000) for r in rising], 2) == []


def test_a_run_is_the_default_trainer_s_only_without_training_flags_at_the_default_rate_and_budget():
    from dataclasses import replace

    from rnnmem_tui.cellstudy import at_defaults
    from rnnmem_tui.searches import Record

    run = Record(
        "grammar",
        "gru",
        3,
        0,
        0.01,
        "windows",
        20000,
        None,
        "meets",
        0.995,
        (0.99, 0.996),
        9000,
        "git:x",
        False,
        "rnnmem-tui sweep grammar --cell gru --hidden 3 --seeds 0..9 --max-steps 20000 --jobs 1",
    )
    assert at_defaults(run)  # grammar's table sets the rate 0.01
    assert not at_defaults(replace(run, lr=0.05, command=run.command + " --lr 0.05"))
    assert not at_defaults(replace(run, command=run.command + " --clip-norm 2"))
    assert not at_defaults(replace(run, command=run.command + " --no-carry"))
    assert not at_defaults(replace(run, budget=10000))


def test_validity_is_charted_in_nines_so_that_the_distance_to_perfect_shows():
    assert nines(0.9) == 1.0 and abs(nines(0.99) - 2.0) < 1e-12 and nines(1.0) == 4.0 and nines(0.0) == 0.0


def test_the_layout_table_counts_fill_s_bits_per_cell_and_an_lstm_s_h_and_c_units_apart():
    from rnnmem_tui.cellstudy import cell_layouts

    bits = [[["bit", f"cell {k} filled"]] for k in range(8)]
    lstm = [*bits[:7], [["counter", "cells filled"]], *bits]  # h: 7 bits and a counter; c: 8 bits
    rnn = [*bits, [["flag", "all cells filled"]], []]
    of = {"fill-10": [rnn, rnn[:7] + [[], [], []]], "fill-lstm-10": [lstm], "count-gru-1": [[[["counter", "c"]]]]}
    record = lambda neurons: {"verdict": "meets", "neurons": neurons, "primary": [r for n in neurons for r in n]}  # noqa: E731
    table = cell_layouts(Path(__file__).resolve().parents[1], lambda name: [record(n) for n in of.get(name, [])])
    rows = {line.split(" | ")[0][2:]: line.split(" | ")[1:6] for line in table.splitlines()[2:]}
    assert rows["fill-10"] == ["rnn", "2 of 2", "0", "1", "1"]
    assert rows["fill-lstm-10"] == ["lstm", "1 of 1", "1 (1 in h, 0 in c)", "0 (0 in h, 0 in c)", "1 (0 in h, 1 in c)"]
    assert rows["count-gru-1"] == ["gru", "1 of 1", "1", "0", "-"]


def test_a_cell_where_no_searched_size_meets_is_short_of_the_protocol(tmp_path: Path):
    import json

    from rnnmem_tui.cellstudy import cell_sizes

    run = {"task": "count", "cell": "relu", "lr": 0.01, "recipe": "windows", "budget": 20000, "curve": [0.5] * 8}
    run |= {"verdict": "misses", "validity": 0.5, "validity_interval": [0.4, 0.6], "updates": 20000, "code": "git:0"}
    run |= {"superseded": False, "command": "rnnmem-tui sweep count", "bad_mean_interval": [0.1, 0.2]}
    (tmp_path / "docs" / "searches").mkdir(parents=True)
    lines = [json.dumps(run | {"hidden": h, "seed": k}) for h in (1, 2) for k in range(20)]
    (tmp_path / "docs" / "searches" / "count-relu.jsonl").write_text("\n".join(lines) + "\n")
    row = cell_sizes(tmp_path).splitlines()[-1]
    assert "none searched meets" in row and row.endswith("| no size up to 2 meets: larger sizes unsearched |")
