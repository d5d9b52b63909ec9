"""The search's worker jobs: scoring a config keeps its fold models when asked."""

from __future__ import annotations

import cloudpickle
import numpy as np

from automl.final.ensemble import fold_average
from automl.trials.evaluate import predict_raw
from automl.trials.jobs import EvaluateJob

from conftest import context_of


def _context(penguins, strategy):
    frame = penguins.dropna(subset=["species"])
    return context_of(frame.drop(columns="species"), frame["species"], strategy=strategy)[0]


def test_fold_models_are_written_for_a_trial_above_the_threshold(penguins, tmp_path):
    context = _context(penguins, "cv")
    path = tmp_path / "trial-0-folds.pkl"
    config = context.space.default_config()
    result, early = EvaluateJob(config, True, (str(path), -np.inf, 60.0, 0.0)).run(context, 1)
    assert result.status == "ok" and result.fold_models == str(path)
    assert isinstance(early, bytes)  # the last fold's pipeline, for the first trial
    pipelines = cloudpickle.loads(path.read_bytes())  # the final stage averages them
    assert isinstance(pipelines, list) and len(pipelines) == len(context.resampling.folds)
    folds = fold_average(pipelines, 3)
    # each fold model predicts its own validation rows as the trial's out-of-fold predictions
    for member, (_, validation) in zip(folds.members, context.resampling.folds):
        X = context.dataset.X.iloc[validation]
        np.testing.assert_allclose(predict_raw(member, X, 3), result.predictions[validation])
    proba = folds.predict_proba(context.dataset.X)
    assert proba.shape == (context.dataset.n_rows, 3) and np.allclose(proba.sum(axis=1), 1)


def test_on_a_holdout_split_the_fold_model_is_the_validated_model(penguins, tmp_path):
    context = _context(penguins, "holdout")
    path = tmp_path / "trial-3-folds.pkl"
    config = context.space.default_config()
    result, _ = EvaluateJob(config, False, (str(path), -1.0, 60.0, 0.0)).run(context, 1)
    (_, validation), = context.resampling.folds
    folds = fold_average(cloudpickle.loads(path.read_bytes()), 3)
    np.testing.assert_allclose(folds.predict_proba(context.dataset.X.iloc[validation]),
                               result.predictions[validation])


def test_no_fold_models_below_the_threshold_or_unasked(penguins, tmp_path):
    context = _context(penguins, "cv")
    path = tmp_path / "trial-1-folds.pkl"
    config = context.space.default_config()
    result, early = EvaluateJob(config, False, (str(path), 0.0, 60.0, 0.0)).run(context, 1)
    assert result.status == "ok" and result.score < 0  # negated log loss: below 0.0
    assert result.fold_models is None and not path.exists() and early is None
    result, _ = EvaluateJob(config, False, None).run(context, 1)
    assert result.fold_models is None and not list(tmp_path.iterdir())
    # fits that took over half the trial's time limit: pickling could push it past the limit
    result, _ = EvaluateJob(config, False, (str(path), -np.inf, 1e-6, 0.0)).run(context, 1)
    assert result.status == "ok" and result.fold_models is None and not path.exists()
    # fits quicker than the least fit time: their refit fits whenever anything does
    result, _ = EvaluateJob(config, False, (str(path), -np.inf, 60.0, 1e6)).run(context, 1)
    assert result.status == "ok" and result.fold_models is None and not path.exists()


def test_fold_models_over_the_size_cap_are_not_written(penguins, tmp_path, monkeypatch):
    import automl.trials.jobs
    context = _context(penguins, "cv")
    path = tmp_path / "trial-2-folds.pkl"
    monkeypatch.setattr(automl.trials.jobs, "MAX_FOLD_MODEL_BYTES", 1000)  # pickling stops there
    result, _ = EvaluateJob(context.space.default_config(), False,
                            (str(path), -np.inf, 60.0, 0.0)).run(context, 1)
    assert result.status == "ok" and result.fold_models is None
    assert not list(tmp_path.iterdir())  # no file, no half-written temporary
