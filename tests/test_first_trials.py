"""The trials a fit would start with, shown without fitting, against what fit then runs."""

from __future__ import annotations

import numpy as np
import pytest

import automl
from automl.base.exceptions import InputError
from automl.input.data import validate_input
from automl.input.metafeatures import compute_metafeatures
from automl.space.compiled import compile_space
from automl.space.components import load_components
from automl.trials.preview import PREVIEW_ROWS

from conftest import write_knowledge_base


@pytest.fixture()
def penguin_knowledge(tmp_path, penguins):
    """A knowledge base whose one past dataset is penguins' twin, and a two-config
    portfolio; each config took 0.5 s a fit on the twin's 1,000 rows."""
    X, y = penguins.drop(columns="species"), penguins["species"]
    space = compile_space(load_components(), "multiclass", len(X))
    features = compute_metafeatures(validate_input(X, y))
    portfolio = [space.default_config("random_forest"), space.default_config("svc")]
    seconds = {model: {"twin": 0.5} for model in ("random_forest", "svc", "k_nearest_neighbors")}
    return write_knowledge_base(tmp_path / "kb", space,
                                [("twin", features, space.default_config("k_nearest_neighbors"))],
                                portfolio, seconds=seconds)


def test_the_first_trials_are_the_ones_fit_runs_first(penguins, penguin_knowledge):
    X, y = penguins.drop(columns="species"), penguins["species"]
    model = automl.AutoMLClassifier(time_budget=60, random_state=0, warm_start=penguin_knowledge,
                                    ensemble=False)
    plan = model.first_trials(X, y)
    assert plan.task == "multiclass" and plan.trial_seconds == 15 and plan.n_warm == 3
    assert plan.preview_rows is None  # 344 rows: the first trial itself is quick
    assert list(plan.trials["order"]) == list(range(1, len(plan.trials) + 1))
    assert list(plan.trials["source"][:4]) == ["default", "portfolio", "warmstart", "portfolio"]
    warm = plan.trials[plan.trials["source"] != "default"]
    assert warm["estimated_seconds"].notna().all()  # scaled from the twin's 0.5 s
    assert plan.trials[plan.trials["source"] == "default"]["estimated_seconds"].isna().all()
    assert list(plan.trials["from_dataset"][:4]) == ["", "", "twin", ""]  # whose best it is
    assert plan.neighbours.to_dict("records") == [
        {"dataset": "twin", "distance": 0.0, "best_model": "k_nearest_neighbors"}]

    model.set_params(max_trials=len(plan.trials)).fit(X, y)
    ran = model.leaderboard_.query("source != 'ensemble'").sort_values("trial")
    assert list(ran["source"]) == list(plan.trials["source"])
    assert list(ran["config"]) == list(plan.trials["config"])
    assert (ran["status"] == "ok").all()


def test_a_shorter_budget_leaves_out_warm_configs_estimated_over_its_share(
        penguins, penguin_knowledge):
    X, y = penguins.drop(columns="species"), penguins["species"]
    plans = {budget: automl.AutoMLClassifier(time_budget=budget, warm_start=penguin_knowledge,
                                             random_state=0).first_trials(X, y)
             for budget in (60, 1)}
    assert plans[60].n_warm == 3 and plans[60].warm_trial_seconds == 10
    assert plans[60].left_out == 0
    assert plans[1].n_warm == 0  # a sixth of a second allows no 0.5 s config scaled up
    assert plans[1].left_out == 3
    assert plans[1].warm_trial_seconds == pytest.approx(1 / 6)
    assert set(plans[1].trials["source"]) == {"default"}


def test_a_cold_start_queues_the_defaults_only(penguins):
    X, y = penguins.drop(columns="species"), penguins["species"]
    plan = automl.AutoMLClassifier(warm_start=False).first_trials(X, y)
    assert set(plan.trials["source"]) == {"default"} and plan.n_warm == 0
    assert plan.trials["model"].is_unique  # one default per family
    assert plan.neighbours.empty
    assert list(plan.neighbours.columns) == ["dataset", "distance", "best_model"]


def test_a_regressor_plans_from_the_shipped_regression_knowledge():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(9000, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + rng.normal(scale=0.1, size=9000)
    plan = automl.AutoMLRegressor(time_budget=30).first_trials(X, y)
    assert plan.task == "regression"
    assert plan.preview_rows == PREVIEW_ROWS  # 3 folds of 6,000 training rows: a preview first
    assert plan.n_warm > 0 and len(plan.neighbours) > 0
    warm = plan.trials[plan.trials["source"].isin(["portfolio", "warmstart"])]
    assert (warm["estimated_seconds"].fillna(0) <= plan.warm_trial_seconds).all()


@pytest.mark.parametrize("arguments, y_length, message", [
    ({"time_budget": 0}, None, "time_budget must be a positive number of seconds, got 0"),
    ({"warm_start": "no-such-folder"}, None, "(no such folder)"),
    ({"max_trials": 0}, None, "max_trials must be a positive whole number"),
    ({}, 10, "y has 10"),
])
def test_bad_input_is_refused_as_fit_refuses_it(penguins, arguments, y_length, message):
    X, y = penguins.drop(columns="species"), penguins["species"]
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        automl.AutoMLClassifier(**arguments).first_trials(X, y[:y_length])
