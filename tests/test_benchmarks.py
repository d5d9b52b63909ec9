"""The benchmark scripts refuse bad options before any work, naming the option and value."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SHARED_DATASETS

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


def test_seed_noise_sets_the_warm_gap_beside_the_gap_between_two_cold_seeds():
    import pandas as pd

    script = _benchmark("seed_noise")
    gaps, summarise = script.gaps, script.summarise

    def row(name, task, mode, test, validation):
        return {"dataset": name, "task": task, "budget": 60.0, "mode": mode,
                "test_score": test, "validation_score": validation}

    seed0 = pd.DataFrame([row("a", "binary", "cold", 0.80, 0.79),
                          row("a", "binary", "warm", 0.82, 0.80),
                          row("b", "regression", "cold", 2.0, -2.1),
                          row("b", "regression", "warm", 2.2, -2.1)])
    seed1 = pd.DataFrame([row("a", "binary", "cold", 0.81, 0.78),
                          row("b", "regression", "cold", 2.0, -2.0)])
    table = gaps(seed0, seed1).set_index("dataset")
    assert table.loc["a", "test_warm_vs_cold"] > table.loc["a", "test_seed_vs_cold"] > 0
    assert table.loc["b", "test_warm_vs_cold"] < 0 and table.loc["b", "test_seed_vs_cold"] == 0
    assert table.loc["b", "validation_seed_minus_cold"] == pytest.approx(0.1)
    text = summarise(table.reset_index())
    assert "warm (seed 0) against cold (seed 0): wins 50.0%, ties 0.0%, losses 50.0%" in text
    assert "the warm gap is larger than the seed gap on 100%" in text
    # with several splits, each run is set against the cold run of its own split
    split1 = pd.DataFrame([dict(row("a", "binary", mode, test, 0.8), split=1)
                           for mode, test in (("cold", 0.70), ("warm", 0.71))])
    both = pd.concat([seed0.assign(split=0), split1])
    again = pd.concat([seed1.assign(split=0),
                       pd.DataFrame([dict(row("a", "binary", "cold", 0.72, 0.8), split=1)])])
    table = gaps(both, again).set_index(["dataset", "split"])
    assert len(table) == 3
    assert table.loc[("a", 1), "test_score"] == 0.70
    assert table.loc[("a", 1), "test_seed_vs_cold"] > 0


def test_seed_noise_refuses_csvs_without_the_runs_it_compares(tmp_path):
    if not SCRIPT.exists():
        pytest.skip("benchmarks/ is not shipped in the wheel")
    import pandas as pd

    row = {"dataset": "a", "task": "binary", "budget": 60.0, "test_score": 0.8,
           "validation_score": 0.8}
    pd.DataFrame([dict(row, mode="cold")]).to_csv(tmp_path / "seed0.csv", index=False)  # no warm
    pd.DataFrame([dict(row, mode="cold")]).to_csv(tmp_path / "seed1.csv", index=False)
    done = subprocess.run([sys.executable, str(SCRIPT.parent / "seed_noise.py"),
                           str(tmp_path / "seed0.csv"), str(tmp_path / "seed1.csv")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "warm and cold in the first, cold in the second" in done.stderr
    assert not (tmp_path / "seed1.md").exists()


def test_warmstart_summary_averages_each_mode_over_the_splits_both_ran():
    import pandas as pd

    script = _benchmark("run_warmstart")
    compare, summarise = script.compare, script.summarise

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


@pytest.mark.parametrize("options, message", [
    (["--budget", "0"], "--budget must be a positive number of seconds, got 0.0"),
    (["--splits", "1", "-2"], "--splits takes seeds from 0 up, got -2"),
])
def test_fold_fallback_refuses_bad_options(options, message):
    done = _run("fold_fallback.py", options)
    assert done.returncode == 2 and message in done.stderr


@pytest.mark.parametrize("options, message", [
    (["--splits", "0"], "--splits must be at least 1, got 0"),
    (["--random-configs", "-1"], "--random-configs must be 0 or more, got -1"),
])
def test_refit_vs_folds_refuses_bad_options(options, message):
    done = _run("refit_vs_folds.py", options)
    assert done.returncode == 2 and message in done.stderr


def test_refit_vs_folds_refuses_a_dataset_not_in_the_corpus():
    if not SHARED_DATASETS.exists():
        pytest.skip("needs ../shared/datasets")
    done = _run("refit_vs_folds.py", ["--datasets", "vehicle", "no_such_data"])
    assert done.returncode == 2 and "--datasets: no_such_data not in the corpus" in done.stderr


def test_warm_queue_offline_refuses_a_bad_neighbourhood():
    done = _run("warm_queue_offline.py", ["--near", "10", "0"])
    assert done.returncode == 2 and "--near takes positive numbers of datasets, got 0" in done.stderr


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
    assert script.lost_line(frame).endswith(
        "cold (1 runs) mean 4.0 s, most 4.0 s, 1 trials, warm configs' 0.0 s in all; "
        "warm (1 runs) mean 17.0 s, most 17.0 s, 2 trials, warm configs' 15.0 s in all")


def _runs(path, rows):
    """Write ``rows`` (dataset, mode, split, test score) of 60 s runs as a run_warmstart CSV."""
    return _budget_runs(path, [(name, mode, 60.0, split, test)
                               for name, mode, split, test in rows])


def test_pairing_keeps_the_runs_both_modes_made_and_each_later_file_wins(tmp_path):
    import pandas as pd

    script = _benchmark("pair_runs")
    old = _runs(tmp_path / "old.csv", [("a", "warm", 0, 9.0), ("a", "cold", 0, 2.0),
                                       ("b", "cold", 0, 3.0), ("c", "cold", 1, 1.0)])
    new = _runs(tmp_path / "new.csv", [("a", "warm", 0, 1.5), ("b", "warm", 1, 2.0),
                                       ("c", "warm", 1, 1.2)])
    out = tmp_path / "paired.csv"
    script.main(["--warm", str(old), str(new), "--cold", str(old), "--csv", str(out)])
    paired = pd.read_csv(out)
    # a: the new warm run replaced the old one; b: no split both modes ran; c: split 1 paired
    assert sorted(zip(paired["dataset"], paired["mode"], paired["split"], paired["test_score"])) \
        == [("a", "cold", 0, 2.0), ("a", "warm", 0, 1.5), ("c", "cold", 1, 1.0),
            ("c", "warm", 1, 1.2)]
    assert "60 s: 2 datasets; warm start wins 50.0%" in out.with_suffix(".md").read_text()
    assert (tmp_path / "paired-anytime.png").exists()


def test_pairing_refuses_a_file_without_the_mode_it_is_given(tmp_path):
    cold_only = _runs(tmp_path / "cold.csv", [("a", "cold", 0, 2.0)])
    done = _run("pair_runs.py", ["--warm", str(cold_only), "--cold", str(cold_only),
                                 "--csv", str(tmp_path / "out.csv")])
    assert done.returncode == 2
    assert f"{cold_only} holds no warm runs (it holds cold); give it to --cold" in done.stderr
    done = _run("pair_runs.py", ["--warm", str(tmp_path / "none.csv"), "--cold", str(cold_only),
                                 "--csv", str(tmp_path / "out.csv")])
    assert done.returncode == 2 and f"no such CSV: {tmp_path / 'none.csv'}" in done.stderr
    not_runs = tmp_path / "other.csv"
    not_runs.write_text("dataset,score\na,1.0\n")
    done = _run("pair_runs.py", ["--warm", str(not_runs), "--cold", str(cold_only),
                                 "--csv", str(tmp_path / "out.csv")])
    assert done.returncode == 2
    assert f"{not_runs} lacks the column(s) task, budget, mode, test_score" in done.stderr
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    done = _run("pair_runs.py", ["--warm", str(empty), "--cold", str(cold_only),
                                 "--csv", str(tmp_path / "out.csv")])
    assert done.returncode == 2 and f"{empty} is not a CSV that pandas can read" in done.stderr


@pytest.mark.parametrize("options, message", [
    (["--jobs", "0"], "--jobs must be from 1 to the"),
    (["--budget", "0"], "--budget must be a positive number of seconds, got 0.0"),
])
def test_prior_floor_refuses_bad_options(options, message, tmp_path):
    result = _run("prior_floor.py", ["--keep", str(tmp_path), *options])
    assert result.returncode == 2 and message in result.stderr


def test_prior_floor_scores_each_level_on_the_same_probabilities(tmp_path):
    import numpy as np

    prior_floor = _benchmark("prior_floor")
    y = np.arange(98) % 2
    proba = np.eye(2)[y]
    proba[0] = [0.0, 1.0]  # one confident error on the test rows
    path = tmp_path / "toy-0.npz"
    np.savez(path, proba=proba, y=y, shares=np.array([0.5, 0.5]), weight=0.01, fitted=1e-9,
             rows=98)
    row = prior_floor.scores(path)
    assert row["unmixed"] > 0.3  # scikit-learn's clip: about 36 / 98

    def mixed(weight: float) -> float:
        return (-np.log(weight / 2) - 97 * np.log(1 - weight / 2)) / 98

    assert row["level 0"] == pytest.approx(mixed(1e-9))  # the out-of-fold weight alone
    assert row["level 1"] == pytest.approx(mixed(1 / 100))
    assert row["level 1"] < row["level 0"]
    frame = __import__("pandas").DataFrame([{"dataset": "toy", "split": 0, **row}])
    lines = prior_floor.summarise(frame).splitlines()
    level0 = next(line for line in lines if line.startswith("| at least 0 / (n + 2) |"))
    level1 = next(line for line in lines if line.startswith("| at least 1 / (n + 2) |"))
    gain = row["unmixed"] - row["level 1"]
    assert f"{gain:+.4f} (toy)" in level1  # in log loss, not relative to the unmixed loss
    assert level1.endswith("| 0 / 0 |") and level0.endswith("| 0 / 1 |")  # against level 1


def test_warmstart_summary_says_what_the_prior_blend_changed():
    import pandas as pd

    script = _benchmark("run_warmstart")

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


def test_pooling_counts_every_sessions_pair_and_names_consistent_datasets(tmp_path):
    script = _benchmark("pool_sessions")
    # a: warm better (lower error) in all six runs, split 0 run in both sessions; b: mixed
    def a_runs(warm):
        return [("a", mode, s, test) for s in range(3)
                for mode, test in (("warm", warm), ("cold", 2.0))]

    first = _runs(tmp_path / "first.csv",
                  a_runs(1.0) + [("b", "warm", 0, 1.0), ("b", "cold", 0, 2.0)])
    second = _runs(tmp_path / "second.csv",
                   a_runs(1.5) + [("b", "warm", 0, 4.0), ("b", "cold", 0, 2.0),
                                  ("b", "warm", 1, 9.0)])
    out = tmp_path / "pooled.md"
    script.main(["--runs", str(first), str(second), "--md", str(out)])
    table = script.by_dataset(script.pooled_runs([first, second])).set_index("dataset")
    assert table.loc["a", "runs"] == 6 and table.loc["a", "runs_won"] == 1.0
    assert table.loc["a", "warm_vs_cold"] == pytest.approx((2.0 - 1.25) / 2.0)
    assert table.loc["b", "runs"] == 2  # b's split 1 has no cold run to pair with
    assert table.loc["b", "warm_vs_cold"] == pytest.approx((2.0 - 2.5) / 2.0)
    text = out.read_text()
    assert "60 s: 2 datasets, 8 runs from 2 sessions; warm start wins 50.0%" in text
    assert "consistently won (sign test p < 0.05): a (100% of 6)" in text
    assert "consistently lost (sign test p < 0.05): none" in text


def test_pooling_refuses_a_file_that_holds_one_mode(tmp_path):
    cold_only = _runs(tmp_path / "cold.csv", [("a", "cold", 0, 2.0)])
    done = _run("pool_sessions.py", ["--runs", str(cold_only), "--md", str(tmp_path / "o.md")])
    assert done.returncode == 2
    assert f"{cold_only} holds cold runs only: each file must hold the warm and the cold runs " \
        "of one session." in done.stderr


def test_pooling_refuses_a_missing_file_and_one_that_is_not_a_run_csv(tmp_path):
    done = _run("pool_sessions.py", ["--runs", str(tmp_path / "none.csv"),
                                     "--md", str(tmp_path / "o.md")])
    assert done.returncode == 2 and f"no such CSV: {tmp_path / 'none.csv'}" in done.stderr
    other = tmp_path / "other.csv"
    other.write_text("dataset,score\na,1.0\n")
    done = _run("pool_sessions.py", ["--runs", str(other), "--md", str(tmp_path / "o.md")])
    assert done.returncode == 2
    assert f"{other} lacks the column(s) task, budget, mode, test_score" in done.stderr
    assert not (tmp_path / "o.md").exists()


def test_warm_variants_pairs_three_modes_and_counts_equal_validation(tmp_path):
    script = _benchmark("warm_variants")
    base = _runs(tmp_path / "base.csv", [("a", "warm", 0, 1.0), ("a", "cold", 0, 2.0),
                                         ("a", "warm", 1, 1.0), ("a", "cold", 1, 2.0),
                                         ("b", "warm", 0, 2.0), ("b", "cold", 0, 2.0)])
    variant = _runs(tmp_path / "variant.csv", [("a", "warm", 0, 1.0), ("a", "warm", 1, 3.0),
                                               ("b", "warm", 0, 1.0), ("c", "warm", 0, 1.0)])
    out = tmp_path / "variants.md"
    script.main(["--base", str(base), "--variant", str(variant), "--md", str(out)])
    runs = script.three_way([base], [variant])
    assert list(zip(runs["dataset"], runs["split"])) == [("a", 0), ("a", 1), ("b", 0)]
    table = script.by_dataset(runs).set_index("dataset")
    # a: cold 2.0, warm 1.0, the variant 2.0 on average (lower is better)
    assert table.loc["a", "warm_vs_cold"] == pytest.approx(0.5)
    assert table.loc["a", "variant_vs_cold"] == pytest.approx(0.0)
    assert table.loc["a", "variant_vs_warm"] == pytest.approx(-1.0)
    assert table.loc["b", "variant_vs_warm"] == pytest.approx(0.5)
    text = out.read_text()
    assert "60 s: 2 datasets, 3 runs of each mode" in text
    assert "variant against warm: runs 1 / 1 / 1; datasets 1 / 0 / 1, wins 50.0%" in text
    assert "higher 1, equal 1, lower 1; on the runs where it is equal, variant against warm " \
        "on test: 0 / 1 / 0" in text


def test_warm_variants_names_a_file_without_the_runs_its_option_takes(tmp_path):
    base = _runs(tmp_path / "base.csv", [("a", "warm", 0, 1.0), ("a", "cold", 0, 2.0)])
    cold = _runs(tmp_path / "cold.csv", [("a", "cold", 0, 2.0)])
    done = _run("warm_variants.py", ["--base", str(base), "--variant", str(cold),
                                     "--md", str(tmp_path / "o.md")])
    assert done.returncode == 2
    assert f"{cold} holds cold runs only: --variant takes the variant's warm runs." in done.stderr
    done = _run("warm_variants.py", ["--base", str(cold), "--variant", str(base),
                                     "--md", str(tmp_path / "o.md")])
    assert done.returncode == 2
    assert f"{cold} holds cold runs only: --base takes the warm and cold runs of the shipped " \
        "code." in done.stderr
    assert not (tmp_path / "o.md").exists()


def _budget_runs(path, rows):
    """Write ``rows`` (dataset, mode, budget, split, test score) as a run_warmstart CSV at
    ``path``, each run's best validation score the negated test score."""
    import pandas as pd

    pd.DataFrame([{"dataset": name, "task": "regression", "budget": budget, "mode": mode,
                   "split": split, "test_score": test, "validation_score": -test,
                   "first_model_seconds": 1.0, "curve": "[[1.0, %r]]" % -test}
                  for name, mode, budget, split, test in rows]).to_csv(path, index=False)
    return path


def test_budget_worth_pairs_settings_within_each_session_and_pools_them(tmp_path):
    script = _benchmark("budget_worth")
    one = _budget_runs(tmp_path / "one.csv", [
        ("a", "cold", 60.0, 0, 2.0), ("a", "cold", 120.0, 0, 1.0),
        ("a", "cold", 60.0, 1, 2.0), ("a", "cold", 120.0, 1, 3.0),
        ("b", "cold", 60.0, 0, 2.0), ("b", "cold", 120.0, 0, 1.0),
        ("c", "cold", 60.0, 0, 2.0)])  # c ran one setting only: left out
    two = _budget_runs(tmp_path / "two.csv", [
        ("a", "cold", 60.0, 0, 2.0), ("a", "cold", 120.0, 0, 1.0),
        ("b", "cold", 60.0, 0, 4.0), ("b", "cold", 120.0, 0, 4.0)])
    pairs = script.pooled(script.session_runs([[one], [two]]), ("cold", 120.0),
                          ("cold", 60.0))
    assert sorted(zip(pairs["dataset"], pairs["split"])) == [("a", 0), ("a", 0), ("a", 1),
                                                            ("b", 0), ("b", 0)]
    table = script.by_dataset(pairs).set_index("dataset")
    # a: 120 s averages (1 + 3 + 1) / 3 against 2 (lower is better); b: 2.5 against 3.0
    assert table.loc["a", "change"] == pytest.approx(1 / 6)
    assert table.loc["b", "change"] == pytest.approx(1 / 6)
    out = tmp_path / "worth.md"
    script.main(["--session", str(one), "--session", str(two), "--compare",
                 "cold@120:cold@60", "--md", str(out)])
    row = out.read_text().splitlines()[2]
    assert "| cold@120:cold@60 |          2 |          2 |      5 | 100.0%" in row
    assert "60.0% / 20.0% / 20.0%" in row  # the five runs: 3 better, b's tie, a's split 1
    assert row.rstrip(" |").endswith("80% / 80% / 80% / 80%")  # all but a's split 1, at 1 s


def test_budget_worth_catch_up_is_when_a_curve_first_reaches_the_others_final_score():
    script = _benchmark("budget_worth")
    curve = [[2.0, -3.0], [7.5, -2.0], [30.0, -1.0]]
    assert script.catch_up(curve, [[1.0, -4.0], [50.0, -2.0]]) == 7.5
    assert script.catch_up(curve, [[1.0, -0.5]]) == float("inf")
    assert script.catch_up(curve, []) == float("inf")


@pytest.mark.parametrize("compare, message", [
    ("cold120:cold@60", "--compare 'cold120:cold@60' is not two settings MODE@BUDGET joined "
                        "by ':' (MODE one of warm, cold), as in cold@120:cold@60."),
    ("cold@300:cold@60", "no session ran cold@300 (they ran cold@60, cold@120)."),
    ("hot@60:cold@60", "is not two settings MODE@BUDGET"),
])
def test_budget_worth_refuses_a_comparison_it_cannot_make(tmp_path, compare, message):
    runs = _budget_runs(tmp_path / "runs.csv", [("a", "cold", 60.0, 0, 2.0),
                                                ("a", "cold", 120.0, 0, 1.0)])
    done = _run("budget_worth.py", ["--session", str(runs), "--compare", compare,
                                    "--md", str(tmp_path / "o.md")])
    assert done.returncode == 2 and message in done.stderr
    assert not (tmp_path / "o.md").exists()


def test_budget_worth_refuses_a_missing_file_and_one_that_is_not_a_run_csv(tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    for path, message in ((tmp_path / "gone.csv", f"no such CSV: {tmp_path / 'gone.csv'}"),
                          (other, f"{other} lacks the column(s) dataset, task, budget, mode")):
        done = _run("budget_worth.py", ["--session", str(path), "--compare", "cold@120:cold@60",
                                        "--md", str(tmp_path / "o.md")])
        assert done.returncode == 2 and message in done.stderr
    assert not (tmp_path / "o.md").exists()


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
