from __future__ import annotations

import json
import logging
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import automl
from automl.base.clock import Clock
from automl.base.metrics import get_metric
from automl.input.data import validate_input
from automl.leaderboard import trials_only
from automl.search.loop import SearchSettings, run_search
from automl.search.warmstart import TrialAllowance
from automl.space.compiled import compile_space
from automl.space.components import load_components
from automl.trials.budget import plan_budget
from automl.trials.evaluate import EvaluationContext, make_resampling
from automl.trials.runner import WorkerPool
from automl.trials.trial_log import TrialLog, read_log

from conftest import FAULTY_COMPONENTS


def _penguins(penguins):
    frame = penguins.dropna(subset=["species"])
    return frame.drop(columns="species"), frame["species"]


@pytest.mark.slow
def test_same_seed_gives_the_same_trials_in_the_same_order(penguins, tmp_path):
    X, y = _penguins(penguins)
    runs = []
    for attempt in range(2):
        model = automl.fit(X, y, time_budget=120, random_state=7, max_trials=9,
                           include_models=["lightgbm", "logistic_regression"],
                           log_dir=tmp_path / str(attempt))
        runs.append(read_log(model.trial_log_path_))
    assert [r["config"] for r in runs[0]] == [r["config"] for r in runs[1]]
    assert [r["source"] for r in runs[0]][:1] == ["default"]
    sources = {r["source"] for r in runs[0]}
    assert "tpe" in sources and sources & {"portfolio", "warmstart"}  # which: the knowledge base's
    assert len(runs[0]) == 9


def test_trial_log_has_one_line_per_trial_and_matches_the_leaderboard(penguins, tmp_path):
    X, y = _penguins(penguins)
    model = automl.fit(X, y, time_budget=60, random_state=0, max_trials=5, search="random",
                       log_dir=tmp_path)
    records = read_log(model.trial_log_path_)
    trials = trials_only(model.leaderboard_)
    assert len(records) == len(trials) == 5
    assert {r["source"] for r in records[1:]} <= {"default", "portfolio", "warmstart", "random"}
    assert sorted(r["trial"] for r in records) == sorted(trials["trial"])
    by_trial = trials.set_index("trial")["score"]  # the file and the leaderboard agree, units too
    assert all(r["score"] == pytest.approx(by_trial[r["trial"]]) for r in records
               if r["status"] == "ok")
    for line in open(model.trial_log_path_):
        json.loads(line)
    again = automl.fit(X, y, time_budget=60, random_state=0, max_trials=1, log_dir=tmp_path)
    assert again.trial_log_path_ != model.trial_log_path_  # an earlier log is never overwritten


def test_leaderboard_columns_and_order(penguins):
    X, y = _penguins(penguins)
    model = automl.fit(X, y, time_budget=60, random_state=0, max_trials=4)
    board = model.leaderboard_
    assert list(board.columns) == ["trial", "model", "score", "draws", "score_on_draws",
                                   "status", "error", "fit_seconds",
                                   "predict_ms_per_1000_rows", "size_mb", "finished_at_seconds",
                                   "source", "ensemble_weight", "config"]
    trials = board[board["status"].eq("ok") & board["source"].ne("ensemble")]
    assert (trials["draws"] == 1).all()  # a short search scores no leader again
    assert np.allclose(trials["score_on_draws"], trials["score"])
    assert not model.higher_is_better_ and (board["score"].dropna() > 0).all()  # log loss
    ok = board[board["status"] == "ok"]
    ranked = sorted(ok["score"], reverse=model.higher_is_better_)  # best first, in its units
    assert list(ok["score"]) == ranked
    assert (ok["predict_ms_per_1000_rows"] > 0).all() and (ok["size_mb"] > 0).all()
    blend = board[board["source"] == "ensemble"]
    assert len(blend) == (len(model.ensemble_) > 1)  # a row for the blend when there is one
    if len(blend):
        row = blend.iloc[0]
        assert row["model"] == "ensemble" and pd.isna(row["trial"])
        assert row["score"] == pytest.approx(model.ensemble_score_)
        members = board[board["ensemble_weight"] > 0]
        assert row["predict_ms_per_1000_rows"] == pytest.approx(
            members["predict_ms_per_1000_rows"].sum())
        assert row["size_mb"] >= members["size_mb"].max()
    assert model.best_score_ == pytest.approx(trials_only(ok)["score"].iloc[0])
    assert isinstance(board["config"].iloc[0], dict)


def test_large_data_gets_a_preview_first_that_nothing_ranks(tmp_path):
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=12_000, n_features=8, random_state=0)
    model = automl.fit(X, y, time_budget=60, random_state=0, max_trials=3,
                       include_models=["lightgbm"], log_dir=tmp_path)
    records = read_log(model.trial_log_path_)
    assert records[0]["source"] == "preview" and records[0]["status"] == "ok"
    assert records[0]["finished_at_seconds"] < min(r["finished_at_seconds"] for r in records[1:])
    board = model.leaderboard_[model.leaderboard_["source"] != "ensemble"]
    assert len(board) == 4  # the preview is not one of the max_trials
    assert board["source"].iloc[-1] == "preview"
    assert board.loc[board["source"] == "preview", "ensemble_weight"].item() == 0.0
    trials = board[board["source"] != "preview"]
    assert model.higher_is_better_ and model.best_score_ == trials["score"].max()  # ROC AUC


def _search_with_one_worker(dataset, space, settings, tmp_path, **plan
                            ) -> list[tuple[str, str, str]]:
    """Run ``settings``' search on one worker, with trials limited to 2 s and ``plan``'s
    changes to a 120 s budget plan, and return (model, source, status) per trial.
    The clock starts once the worker has (its start takes about 2 s), so that the trials'
    times, not the start-up's, decide what the search does."""
    context = EvaluationContext(dataset, space, make_resampling(dataset.y, dataset.task),
                                get_metric("auto", dataset.task), 0)
    pool = WorkerPool(context, 1, 1, 4000)
    log = TrialLog(tmp_path / "trials.jsonl")
    try:
        while not pool.n_idle:
            pool.poll()
        budget = replace(plan_budget(120, per_trial_time_limit=2.0), **plan)
        result = run_search(space, pool, Clock(120), settings, budget, context.resampling, log)
        result.store.clear()
    finally:
        pool.close()
    return [(trial.config["model"], trial.source, trial.result.status) for trial in log.trials]


def test_a_warm_family_that_overran_its_estimate_is_not_queued_again(penguins, tmp_path, caplog):
    """A warm-start config estimated at 0.1 s hangs until its 2 s limit: the next queued
    config of its family is skipped, other families' warm configs still run."""
    X, y = _penguins(penguins)
    dataset = validate_input(X, y)
    space = compile_space(load_components([FAULTY_COMPONENTS]), dataset.task, dataset.n_rows,
                          ["lightgbm", "sleeper"])
    sleeper, other_sleeper = ({"model": "sleeper", "imputer": imputer, "encoder": "onehot",
                               "scaler": "none", "feature": "none"}
                              for imputer in ("median", "mean"))
    tuned = {**space.default_config("lightgbm"), "model.lightgbm.num_leaves": 7}
    allowance = TrialAllowance(300, 1.0)
    for config in (sleeper, other_sleeper, tuned):
        assert allowance.admits(space.validate(config), 0.1)
    queue = [(space.default_config(), "default"), (space.validate(sleeper), "portfolio"),
             (tuned, "warmstart"), (space.validate(other_sleeper), "portfolio")]
    settings = SearchSettings(max_trials=4, initial_configs=tuple(queue),
                              warm_allowance=allowance)
    with caplog.at_level(logging.INFO, logger="automl.search.loop"):
        ran = _search_with_one_worker(dataset, space, settings, tmp_path)
    assert ran[:3] == [("lightgbm", "default", "ok"), ("sleeper", "portfolio", "timeout"),
                       ("lightgbm", "warmstart", "ok")]
    assert ran[3][1] == "tpe"  # the second sleeper's place went to TPE
    assert "skipping a warm-start sleeper config" in caplog.text


def test_family_defaults_go_before_warm_configs_once_their_time_has_come(penguins, tmp_path):
    """A warm config that hangs until its 2 s limit takes the search past the 1.5 s given
    to the warm configs: the family default queued behind the next warm config runs first."""
    X, y = _penguins(penguins)
    dataset = validate_input(X, y)
    space = compile_space(load_components([FAULTY_COMPONENTS]), dataset.task, dataset.n_rows,
                          ["lightgbm", "logistic_regression", "sleeper"])
    sleeper = space.validate({"model": "sleeper", "imputer": "median", "encoder": "onehot",
                              "scaler": "none", "feature": "none"})
    tuned = {**space.default_config("lightgbm"), "model.lightgbm.num_leaves": 7}
    queue = [(sleeper, "portfolio"), (tuned, "warmstart"),
             (space.default_config("logistic_regression"), "default")]
    settings = SearchSettings(max_trials=3, initial_configs=tuple(queue))
    ran = _search_with_one_worker(dataset, space, settings, tmp_path, defaults_after_seconds=1.5)
    assert ran == [("sleeper", "portfolio", "timeout"), ("logistic_regression", "default", "ok"),
                   ("lightgbm", "warmstart", "ok")]
