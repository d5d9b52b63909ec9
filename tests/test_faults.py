"""Fault injection: components that hang, raise, eat memory or kill their process."""

from __future__ import annotations

import time

import numpy as np
import pytest

import automl

from conftest import FAULTY_COMPONENTS, budget_limit


def _data(penguins):
    frame = penguins.dropna(subset=["sex"])
    return frame.drop(columns="sex"), frame["sex"]


@pytest.mark.slow
def test_search_survives_every_kind_of_fault(penguins, tmp_path):
    X, y = _data(penguins)
    faulty = ["sleeper", "raiser", "memory_hog", "self_killer"]
    budget = 60
    started = time.monotonic()
    model = automl.fit(X, y, time_budget=budget, random_state=0, max_trials=5,
                       include_models=["lightgbm", *faulty], extra_components=[FAULTY_COMPONENTS],
                       initial_configs=[{"model": name} for name in faulty],
                       per_trial_time_limit=8, memory_limit_mb=1000, log_dir=tmp_path)
    elapsed = time.monotonic() - started
    board = model.leaderboard_.set_index("trial").loc[[0, 1, 2, 3, 4]].set_index("model")
    assert list(board.index) == ["lightgbm", *faulty]
    assert board.loc["lightgbm", "status"] == "ok"
    assert board.loc["sleeper", "status"] == "timeout"
    assert board.loc["raiser", "status"] == "failed"
    assert "always fails" in board.loc["raiser", "error"]
    assert board.loc["memory_hog", "status"] == "memout"
    assert board.loc["self_killer", "status"] == "crashed"
    assert "signal 9" in board.loc["self_killer", "error"]
    assert model.best_config_["model"] == "lightgbm"
    assert model.predict(X).shape == (len(X),)
    assert elapsed <= budget_limit(budget)


def test_a_hanging_trial_cannot_break_the_budget(penguins):
    X, y = _data(penguins)
    budget = 8
    started = time.monotonic()
    model = automl.fit(X, y, time_budget=budget, random_state=0,
                       include_models=["lightgbm", "sleeper"], extra_components=[FAULTY_COMPONENTS],
                       initial_configs=[{"model": "sleeper"}])
    elapsed = time.monotonic() - started
    assert elapsed <= budget_limit(budget)
    assert "timeout" in set(model.leaderboard_["status"])
    assert model.best_config_["model"] == "lightgbm"


@pytest.mark.expects_prior
def test_all_trials_failing_still_returns_a_model_with_a_warning(penguins):
    X, y = _data(penguins)
    with pytest.warns(UserWarning, match="trials failed"):
        model = automl.fit(X, y, time_budget=20, random_state=0, max_trials=3,
                           include_models=["raiser"], extra_components=[FAULTY_COMPONENTS])
    assert (model.leaderboard_["status"] == "failed").all()
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(axis=1), 1)
    assert model.best_config_ is None and model.prior_only_


def test_a_refit_that_hangs_on_all_rows_cannot_break_the_budget(penguins, tmp_path):
    # slow_refit is quick on the folds and hangs on all rows; the sleeper's trial is killed at
    # its limit, so for a while no worker is ready: the refit must wait for the replacement,
    # never run here, where nothing could stop it.
    X, y = _data(penguins)
    budget = 12
    started = time.monotonic()
    with pytest.warns(UserWarning, match="could not be refit on all rows"):
        model = automl.fit(X, y, time_budget=budget, random_state=0, max_trials=2,
                           include_models=["slow_refit", "sleeper"],
                           extra_components=[FAULTY_COMPONENTS], per_trial_time_limit=3,
                           initial_configs=[{"model": "slow_refit"}, {"model": "sleeper"}],
                           log_dir=tmp_path)
    elapsed = time.monotonic() - started
    assert elapsed <= budget_limit(budget)
    assert list(model.leaderboard_.sort_values("trial")["status"]) == ["ok", "timeout"]
    assert not model.prior_only_ and model.ensemble_["fitted_on"].tolist() == ["folds"]
    assert (model.predict(X) == y.to_numpy()).mean() > 0.7


@pytest.mark.expects_prior
def test_a_budget_too_short_for_any_trial_says_so(penguins):
    X, y = _data(penguins)
    with pytest.warns(UserWarning, match=r"no trial could run in the 0\.3 s budget.*5 s or more"):
        model = automl.fit(X, y, time_budget=0.3, random_state=0)
    assert model.leaderboard_.empty and model.prior_only_
    proba = model.predict_proba(X)
    assert np.allclose(proba, proba[0]) and np.allclose(proba.sum(axis=1), 1)
