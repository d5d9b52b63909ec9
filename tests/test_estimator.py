from __future__ import annotations

import io
import pickle
import time
import warnings

import cloudpickle
import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

import automl
from automl import AutoMLClassifier, AutoMLRegressor

from conftest import budget_limit


def test_fit_returns_a_classifier_with_user_labels(mixed_frame):
    X, y = mixed_frame
    model = automl.fit(X, y, time_budget=30, random_state=0, max_trials=3)
    assert isinstance(model, AutoMLClassifier)
    assert list(model.classes_) == ["no", "yes"]
    assert set(model.predict(X)) <= {"no", "yes"}
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2)
    assert (model.predict(X) == model.classes_[proba.argmax(axis=1)]).all()
    assert model.n_features_in_ == 6 and list(model.feature_names_in_) == list(X.columns)
    # no rows: an empty answer of the right shape and type, not an imputer's error
    assert model.predict_proba(X.iloc[:0]).shape == (0, 2)
    assert model.predict(X.iloc[:0]).dtype == model.classes_.dtype and len(model.predict(X[:0])) == 0


def test_bool_labels_and_reordered_columns(mixed_frame):
    X, y = mixed_frame
    model = AutoMLClassifier(time_budget=30, random_state=0, max_trials=2).fit(X, y == "yes")
    assert model.classes_.dtype == bool
    shuffled = X[list(reversed(X.columns))]
    np.testing.assert_allclose(model.predict_proba(shuffled), model.predict_proba(X))


def test_regressor_and_task_inference(penguins):
    frame = penguins.dropna(subset=["body_mass_g"])
    model = automl.fit(frame.drop(columns="body_mass_g"), frame["body_mass_g"], time_budget=30,
                       random_state=0, max_trials=3)
    assert isinstance(model, AutoMLRegressor) and model.task_ == "regression"
    assert model.metric_ == "rmse"
    with pytest.warns(UserWarning, match=r"1 column\(s\) not seen at fit time, ignored: "
                      r"\['body_mass_g'\]"):
        predicted = model.predict(frame)
    assert predicted.shape == (len(frame),)  # the extra target column is ignored, with a warning
    assert model.predict(frame.drop(columns="body_mass_g").iloc[:0]).shape == (0,)


def test_numpy_input():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    model = AutoMLClassifier(time_budget=30, random_state=0, max_trials=2).fit(X, y)
    assert (model.predict(X) == y).mean() > 0.8
    assert not hasattr(model, "feature_names_in_")


def test_a_column_with_no_values_warns_at_fit_and_never_at_predict():
    """Before, the imputers dropped it with a warning naming the internal column on every
    predict call."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=150), "empty": np.nan, "b": rng.normal(size=150)})
    y = (X["a"] + X["b"] > 0).astype(int)
    with pytest.warns(UserWarning, match=r"missing in every row, ignored: \['empty'\]"):
        model = AutoMLClassifier(time_budget=30, random_state=0, max_trials=4).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (model.predict(X) == y).mean() > 0.8


def test_pickle_round_trips(mixed_frame):
    X, y = mixed_frame
    model = automl.fit(X, y, time_budget=30, random_state=0, max_trials=2)
    expected = model.predict_proba(X)
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    buffer.seek(0)
    np.testing.assert_allclose(joblib.load(buffer).predict_proba(X), expected)
    np.testing.assert_allclose(cloudpickle.loads(cloudpickle.dumps(model)).predict_proba(X), expected)
    np.testing.assert_allclose(pickle.loads(pickle.dumps(model)).predict_proba(X), expected)


def test_params_clone_and_not_fitted():
    model = AutoMLClassifier(time_budget=5, metric="accuracy", include_models=["lightgbm"])
    twin = clone(model)
    assert twin.get_params() == model.get_params()
    twin.set_params(time_budget=7)
    assert twin.time_budget == 7 and model.time_budget == 5
    with pytest.raises(NotFittedError):
        model.predict(np.ones((2, 2)))


@pytest.mark.parametrize("params, message", [
    ({"time_budget": 0}, "time_budget"),
    ({"time_budget": -3}, "time_budget"),
    ({"time_budget": "soon"}, "time_budget"),
    ({"time_budget": float("nan")}, "time_budget"),
    ({"metric": "rmse"}, "metric"),
    ({"task": "regression"}, "task"),
    ({"search": "grid"}, "search"),
    ({"max_trials": 0}, "max_trials"),
    ({"n_jobs": 0}, "n_jobs"),
    ({"include_models": ["xgboost"]}, "do not exist"),
    ({"per_trial_time_limit": -1}, "per_trial_time_limit"),
    ({"memory_limit_mb": 0}, "memory_limit_mb"),
    ({"resampling": "bootstrap"}, "resampling"),
    ({"random_state": "seven"}, "random_state"),
    ({"ensemble": "yes"}, "ensemble must be True or False"),
    ({"ensemble_size": 0}, "ensemble_size"),
    ({"ensemble_nbest": 2.5}, "ensemble_nbest"),
    ({"ensemble_size": None}, "ensemble_size must be a positive whole number, got None"),
    ({"warm_start": "/no/such/knowledge"}, "warm_start .* '/no/such/knowledge' \\(no such folder"),
    ({"warm_start": 1}, "warm_start must be True, False or the folder"),
])
def test_bad_arguments_fail_before_any_search(mixed_frame, params, message):
    X, y = mixed_frame
    started = time.monotonic()
    with pytest.raises(automl.InputError, match=message):
        AutoMLClassifier(**params).fit(X, y)
    assert time.monotonic() - started < 5


@pytest.mark.slow
@pytest.mark.parametrize("budget", [5, 15])
def test_budget_is_kept(penguins, budget):
    frame = penguins.dropna(subset=["species"])
    started = time.monotonic()
    model = automl.fit(frame.drop(columns="species"), frame["species"], time_budget=budget,
                       random_state=0)
    assert time.monotonic() - started <= budget_limit(budget)
    assert (model.leaderboard_["status"] == "ok").any()


@pytest.mark.slow
def test_parallel_trials(penguins):
    frame = penguins.dropna(subset=["species"])
    model = automl.fit(frame.drop(columns="species"), frame["species"], time_budget=40,
                       random_state=0, max_trials=6, n_jobs=2)
    trials = model.leaderboard_[model.leaderboard_["source"] != "ensemble"]
    assert len(trials) == 6 and (trials["status"] == "ok").sum() >= 5


# scikit-learn's own checks, each fit capped at two trials of the default model family (cold:
# a warm start would make the second trial whatever the portfolio says, an extra-trees forest
# as often as not, and the checks fit hundreds of times).
_QUICK = dict(time_budget=30, max_trials=2, random_state=0, include_models=["lightgbm"],
              warm_start=False)
_CHECKED = [AutoMLClassifier(**_QUICK), AutoMLRegressor(**_QUICK)]
# Every applicable check passes; none is expected to fail. (Checks that the tags rule out,
# such as NaN rejection, are skipped by scikit-learn itself: X may hold missing values.)
_EXPECTED_FAILURES: dict[str, str] = {}


@parametrize_with_checks(_CHECKED, expected_failed_checks=lambda est: _EXPECTED_FAILURES)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_a_script_without_main_guard_can_fit(tmp_path):
    """Workers are fresh interpreters, so the user's script is never re-imported by them."""
    import subprocess
    import sys

    script = tmp_path / "unguarded.py"
    script.write_text(
        "import numpy as np, automl\n"
        "X = np.random.default_rng(0).normal(size=(80, 3))\n"
        "model = automl.fit(X, (X[:, 0] > 0).astype(int), time_budget=30, max_trials=1,\n"
        "                   random_state=0)\n"
        "print('status', model.leaderboard_['status'].iloc[0])\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "status ok" in done.stdout


def test_numpys_overflow_warnings_stay_inside(recwarn):
    # Gaussian naive Bayes squares values near 1e155: numpy's "overflow encountered in square"
    # used to reach the user from predict_proba.
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 3)) * 1e150, columns=["a", "b", "c"])
    y = (X["a"] > 0).astype(int)
    model = automl.fit(X, y, time_budget=20, random_state=0, max_trials=1,
                       include_models=["gaussian_naive_bayes"])
    model.predict_proba(X * 1e5)
    assert not [w for w in recwarn if "overflow" in str(w.message)]
