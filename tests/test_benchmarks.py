"""The benchmark scripts refuse bad options before any work, naming the option and value."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "run_warmstart.py"


def _run(script: str, options: list[str]) -> subprocess.CompletedProcess:
    """Run one benchmark script with ``options``; skipped where benchmarks/ is not shipped."""
    path = SCRIPT.parent / script
    if not path.exists():
        pytest.skip("benchmarks/ is not shipped in the wheel")
    return subprocess.run([sys.executable, str(path), *options], capture_output=True,
                          text=True, timeout=120)


def _benchmark(module: str):
    """A script of benchmarks/ imported as a module; skipped where benchmarks/ is not shipped."""
    if not SCRIPT.exists():
        pytest.skip("benchmarks/ is not shipped in the wheel")
    sys.path.insert(0, str(SCRIPT.parent))
    return importlib.import_module(module)


@pytest.mark.parametrize("options, message", [
    (["--jobs", "0"], "--jobs must be from 1 to the"),
    (["--jobs", str(len(os.sched_getaffinity(0)) + 1)], "--jobs must be from 1 to the"),
    (["--stop-after", "-5"], "--stop-after must be a positive number of seconds, got -5.0"),
    (["--seed", "one"], "argument --seed: invalid int value: 'one'"),
    (["--splits", "0", "-1"], "--splits takes seeds from 0 up (a split's random_state), got -1"),
])
def test_run_warmstart_refuses_bad_options(options, message):
    done = _run("run_warmstart.py", options)
    assert done.returncode == 2 and message in done.stderr


def test_warmstart_summary_averages_each_mode_over_the_splits_both_ran():
    import pandas as pd

    summary = _benchmark("warmstart_summary")
    compare, summarise = summary.compare, summary.summarise

    def row(mode, split, test, validation):
        return {"dataset": "a", "task": "regression", "budget": 60.0, "mode": mode,
                "split": split, "test_score": test, "validation_score": validation,
                "first_model_seconds": 1.0, "curve": "[[1.0, %r]]" % validation}

    frame = pd.DataFrame([row("cold", 0, 2.0, -2.0), row("warm", 0, 2.2, -1.9),
                          row("cold", 1, 3.0, -3.0), row("warm", 1, 2.4, -2.9),
                          row("cold", 2, 1.0, -1.0)])  # split 2 has no warm run: left out
    pairs = compare(frame).set_index("dataset")
    assert pairs.loc["a", "splits"] == 2
    assert pairs.loc["a", "cold"] == pytest.approx(2.5)
    assert pairs.loc["a", "warm"] == pytest.approx(2.3)
    assert pairs.loc["a", "warm_vs_cold"] > 0  # RMSE: lower is better
    assert list(compare(frame, by_split=True)["warm_vs_cold"] > 0) == [False, True]
    text = summarise(frame)
    assert "60 s: 1 datasets; warm start wins 100.0% (95 % interval 2.5% to 100.0%)" in text
    assert "over the 2 single splits: wins 50.0%, ties 0.0%, losses 50.0%" in text
    # both splits validate higher for warm; its test score wins on one of them
    assert "warm higher on 2 (test: warm wins 50%), equal on 0, lower on 0 of 2 runs" in text
    # a CSV written before --splits reads as split 0
    old = frame[frame["split"] == 0].drop(columns="split")
    assert compare(old)["splits"].tolist() == [1]


def test_warmstart_rows_keep_their_fields_when_the_csv_predates_a_column(tmp_path):
    import pandas as pd

    script = _benchmark("run_warmstart")
    append_row = script.append_row

    csv = tmp_path / "runs.csv"
    append_row({"dataset": "a", "mode": "cold", "test_score": 0.8, "n_warm_trials": 0,
                "budget": 60.0, "split": 0, "first_model_seconds": 1.0}, csv)
    append_row({"mode": "warm", "dataset": "a", "test_score": 0.9, "n_warm_trials": 8,
                "budget": 60.0, "split": 0, "first_model_seconds": 1.5,
                "members": "[]"}, csv)  # another order, and a column the file lacks
    append_row({"dataset": "b", "mode": "cold", "test_score": 0.7, "n_warm_trials": 0,
                "budget": 60.0, "split": 0, "first_model_seconds": 1.2}, csv)
    frame = pd.read_csv(csv)
    assert list(frame["mode"]) == ["cold", "warm", "cold"]
    assert list(frame["test_score"]) == [0.8, 0.9, 0.7]
    assert frame["members"].isna().tolist() == [True, False, True]


def test_warmstart_curve_and_best_score_leave_out_the_preview():
    import pandas as pd

    script = _benchmark("run_warmstart")
    anytime_curve, searched = script.anytime_curve, script.searched

    board = pd.DataFrame({"status": ["ok", "ok", "ok", "timeout"],
                          "source": ["preview", "default", "tpe", "tpe"],
                          "score": [-0.50, -0.56, -0.53, float("nan")],
                          "finished_at_seconds": [1.5, 2.5, 9.0, 50.0]})
    assert anytime_curve(board) == [(2.5, -0.56), (9.0, -0.53)]
    assert searched(board)["score"].max() == -0.53


def test_warmstart_keeps_each_runs_trials_and_sums_the_time_lost_to_cut_off_ones():
    import pandas as pd

    script = _benchmark("run_warmstart")
    board = pd.DataFrame({"model": ["svc", "lightgbm", "svc", "mlp"],
                          "source": ["portfolio", "default", "tpe", "tpe"],
                          "status": ["timeout", "ok", "ok", "failed"],
                          "fit_seconds": [15.0, 1.234, 0.5, 2.0],
                          "score": [float("nan"), -0.5, -0.6, float("nan")],
                          "finished_at_seconds": [17.0, 2.0, 18.0, 20.0]})
    record = script.trial_record(board)
    assert json.loads(record)[:2] == [["lightgbm", "default", "ok", 1.23, -0.5],
                                      ["svc", "portfolio", "timeout", 15.0, None]]
    cold = json.dumps([["mlp", "tpe", "timeout", 4.0, None], ["svc", "tpe", "ok", 1.0, -1.0]])
    frame = pd.DataFrame({"mode": ["warm", "cold", "cold"], "trials": [record, cold, None]})
    assert _benchmark("warmstart_summary").lost_line(frame).endswith(
        "cold (1 runs) mean 4.0 s, most 4.0 s, 1 trials, warm configs' 0.0 s in all; "
        "warm (1 runs) mean 17.0 s, most 17.0 s, 2 trials, warm configs' 15.0 s in all")


def _runs(path, rows):
    """Write ``rows`` (dataset, mode, split, test score) of 60 s runs as a run_warmstart CSV."""
    return _budget_runs(path, [(name, mode, 60.0, split, test)
                               for name, mode, split, test in rows])


def test_warmstart_summary_says_what_the_prior_blend_changed():
    import pandas as pd

    script = _benchmark("warmstart_summary")

    def row(dataset, mode, test, unblended):
        return {"dataset": dataset, "task": "multiclass", "budget": 60.0, "mode": mode,
                "split": 0, "test_score": test, "test_score_unblended": unblended,
                "prior_weight": 0.01}

    frame = pd.DataFrame([row("a", "cold", 0.20, 1.25), row("a", "warm", 0.30, 0.30),
                          row("b", "cold", 0.11, 0.10), row("b", "warm", 0.115, 0.10)])
    lines = script.blend_lines(frame)
    assert lines[0].startswith("prior blend, 4 multiclass runs: test log loss better on 1, "
                               "equal on 1, worse on 2")
    assert "largest gain +84.0%, largest loss -15.0% on b" in lines[0]
    # unmixed, warm wins on a (0.30 against 1.25) and ties on b; mixed, it loses both
    assert lines[1] == "  without the blend, 60 s: warm wins 50.0% (multiclass 50.0% of 2)"
    assert [(p > 0) for p in script.compare(frame)["warm_vs_cold"]] == [False, False]


def _budget_runs(path, rows):
    """Write ``rows`` (dataset, mode, budget, split, test score) as a run_warmstart CSV at
    ``path``, each run's best validation score the negated test score."""
    import pandas as pd

    pd.DataFrame([{"dataset": name, "task": "regression", "budget": budget, "mode": mode,
                   "split": split, "test_score": test, "validation_score": -test,
                   "first_model_seconds": 1.0, "curve": "[[1.0, %r]]" % -test}
                  for name, mode, budget, split, test in rows]).to_csv(path, index=False)
    return path


def test_core_pairs_signs_each_metric_by_its_direction(tmp_path):
    import pandas as pd

    core_pairs = _benchmark("core_pairs")
    columns = ["dataset", "seed", "metric", "ensemble", "n_trials", "fit_seconds"]
    a = pd.DataFrame([["x", 0, "auc", 0.80, 10, 50.0], ["y", 0, "rmse", 2.0, 20, 55.0],
                      ["z", 0, "logloss", 0.5, 30, 56.0]], columns=columns)
    b = a.assign(ensemble=[0.84, 2.2, 0.5], n_trials=[20, 20, 30])
    pairs = core_pairs.paired(a, b)
    assert pairs["b_better_by"].round(4).tolist() == [0.05, -0.1, 0.0]
    assert core_pairs.summary(pairs).startswith(
        "3 datasets: B better on 1, equal on 1, worse on 1 (sign test p = 1.00)")


@pytest.mark.parametrize("options, message", [
    (["--label", "x", "--runs", "0"], "--runs must be at least 1, got 0"),
    (["--label", "x", "--budget", "-1"], "--budget must be a positive number of seconds"),
    (["--label", "x", "--neighbours", "-2"], "--neighbours must be 0 or more, got -2"),
    (["--label", "x", "--code", "/nonexistent"], "is not a checkout of the library"),
])
def test_busy_machine_refuses_bad_options(options, message):
    done = _run("busy_machine.py", options)
    assert done.returncode == 2 and message in done.stderr


def test_core_pairs_refuses_a_missing_file_and_a_csv_that_is_not_a_run(tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    missing = _run("core_pairs.py", [str(tmp_path / "none.csv"), str(other)])
    assert missing.returncode == 2 and "no such CSV" in missing.stderr
    wrong = _run("core_pairs.py", [str(other), str(other)])
    assert wrong.returncode == 2 and "is not a run_core.py result file" in wrong.stderr


def test_one_entry_point_lists_its_suites_and_passes_options_on():
    if not SCRIPT.exists():
        pytest.skip("benchmarks/ is not shipped in the wheel")

    def entry(*args):
        return subprocess.run([sys.executable, "-m", "benchmarks", *args], capture_output=True,
                              text=True, timeout=120, cwd=SCRIPT.parents[1])

    listed = entry()
    assert listed.returncode == 0
    for suite in ("core", "warmstart", "busy", "threads", "pairs"):
        assert f"\n  {suite} " in listed.stdout
    unknown = entry("nope")
    assert unknown.returncode == 2 and "unknown suite 'nope'" in unknown.stderr
    passed_on = entry("busy", "--label", "x", "--runs", "0")  # the suite's own check
    assert passed_on.returncode == 2 and "--runs must be at least 1, got 0" in passed_on.stderr


def test_ensemble_summary_tests_the_wins_and_bounds_the_median(tmp_path):
    import pandas as pd

    summary = _benchmark("ensemble_summary")
    frame = pd.DataFrame({"task": ["binary"] * 3 + ["regression"] * 3,
                          "ensemble_vs_single": [0.01, 0.02, -0.001, 0.05, 0.0, -0.02],
                          "ensemble_minus_single": [0.008, 0.016, -0.0008, -1.0, 0.0, 2.0]})
    text = summary.summarise(frame, None)
    assert "| binary     |   3 | 2 / 0 / 1" in text and "3 of 3" in text
    assert "| regression |   3 | 1 / 1 / 1" in text and "2 of 3" in text  # -2 % is out of bound
    assert "needs 6 or more wins of 6" in text
    assert "+1.00%" in text  # the binary median, as a change
    results = tmp_path / "not-core.csv"
    results.write_text("a,b\n1,2\n")
    done = _run("ensemble_summary.py", ["--results", str(results)])
    assert done.returncode != 0 and "is not a core results file" in done.stderr
    missing = _run("ensemble_summary.py", ["--results", str(tmp_path / "none.csv")])
    assert missing.returncode != 0 and "is not a file: give a core results CSV" in missing.stderr


def test_long_budgets_orders_its_fits_and_summarises_change_spread_and_the_peer(tmp_path):
    long = _benchmark("long_budgets")
    fits = long.plan([60.0, 300.0], splits=2, runs=2, flaml=False, only=["credit_g", "cmc"])
    assert [(f["dataset"], f["split"], f["run"], f["budget"]) for f in fits[:5]] == [
        ("credit_g", 0, 0, 60.0), ("credit_g", 0, 0, 300.0), ("cmc", 0, 0, 60.0),
        ("cmc", 0, 0, 300.0), ("credit_g", 1, 0, 60.0)]  # first splits first, repeats last
    assert len(fits) == 2 * 2 * 3 and fits[-1]["run"] == 1
    records = tmp_path / "records.jsonl"

    def fit(label, dataset, task, split, run, budget, score):
        return {"label": label, "dataset": dataset, "task": task, "split": split, "run": run,
                "budget": budget, "test_score": score}

    rows = [fit("a", "credit_g", "binary", 0, 0, 60.0, 0.80),
            fit("a", "credit_g", "binary", 0, 0, 300.0, 0.82),
            fit("a", "credit_g", "binary", 0, 1, 60.0, 0.79),
            fit("a", "credit_g", "binary", 0, 1, 300.0, 0.825),
            fit("a", "cmc", "multiclass", 0, 0, 60.0, 1.00),
            fit("a", "cmc", "multiclass", 0, 0, 300.0, 1.02),  # log loss: worse
            fit("flaml", "credit_g", "binary", 0, 0, 300.0, 0.81)]
    records.write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert {long.key(row) for row in long.read(records)} == {long.key(row) for row in rows}
    table = long.summarise(pd.DataFrame(long.read(records)), "a", "flaml").set_index("dataset")
    assert table.loc["credit_g", "long vs short"] == pytest.approx(0.02)  # AUC in points
    assert table.loc["cmc", "long vs short"] == pytest.approx(-0.02)  # log loss, relative
    assert table.loc["credit_g", "spread short"] == pytest.approx(0.01)
    assert table.loc["credit_g", "spread long"] == pytest.approx(0.005)
    assert table.loc["credit_g", "vs other long"] == pytest.approx(0.01)
    text = long.report(records, "a", "flaml")
    assert "300 s better than 60 s on 1 of 2 tables, worse on 1" in text
    assert "ahead of flaml on 1 of 1 tables" in text


def test_long_budgets_refuses_to_fit_without_a_label():
    refused = _run("long_budgets.py", ["--budgets", "60"])
    assert refused.returncode == 2 and "--label is required to run fits" in refused.stderr
