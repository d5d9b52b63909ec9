from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from automl.components import load_components
from automl.data import validate_input
from automl.evaluate import (PREVIEW_ABOVE_ROWS, EvaluationContext, has_preview, make_resampling,
                             preview, score_config)
from automl.exceptions import InputError
from automl.metrics import get_metric
from automl.space import compile_space


def test_auto_resampling_rule():
    assert make_resampling(np.arange(1000) % 2, "binary").kind == "cv"
    assert len(make_resampling(np.arange(1000) % 2, "binary").folds) == 5
    assert len(make_resampling(np.arange(5000) % 2, "binary").folds) == 3
    holdout = make_resampling(np.arange(20_000) % 2, "binary")
    assert holdout.kind == "holdout"
    train, validation = holdout.folds[0]
    assert len(validation) == 4000 and not set(train) & set(validation)


@pytest.mark.parametrize("strategy, n_folds, message", [("bootstrap", None, "resampling must"),
                                                       ("cv", 1, "n_folds must")])
def test_bad_resampling_is_named(strategy, n_folds, message):
    with pytest.raises(InputError, match=message):
        make_resampling(np.arange(100) % 2, "binary", strategy, n_folds)


def test_folds_are_stratified_and_cover_every_row():
    y = np.array([0] * 90 + [1] * 10)
    resampling = make_resampling(y, "binary", seed=3)
    validated = np.concatenate([v for _, v in resampling.folds])
    assert sorted(validated) == list(range(100))
    assert all(y[v].sum() == 2 for _, v in resampling.folds)


def test_tiny_classes_do_not_break_the_split():
    y = np.array([0] * 20 + [1] * 20 + [2])
    resampling = make_resampling(y, "multiclass")
    assert len(resampling.folds) == 5


def _context(X, y, metric="auto"):
    dataset = validate_input(X, y)
    space = compile_space(load_components(), dataset.task, dataset.n_rows)
    resampling = make_resampling(dataset.y, dataset.task, seed=0)
    return EvaluationContext(dataset, space, resampling, get_metric(metric, dataset.task), 0), space


def test_score_config_gives_oof_predictions(penguins):
    frame = penguins.dropna(subset=["species"])
    context, space = _context(frame.drop(columns="species"), frame["species"])
    result = score_config(space.default_config(), context)
    assert result.status == "ok" and -0.5 < result.score < 0  # negated log loss
    assert result.predictions.shape == (len(frame), 3)
    assert np.isfinite(result.predictions).all()
    assert result.fit_seconds > 0


def test_a_failing_config_becomes_a_failed_result():
    X = pd.DataFrame({"a": np.arange(10.0)})
    context, space = _context(X, np.arange(10) % 2)
    config = space.validate({"model": "k_nearest_neighbors",
                             "model.k_nearest_neighbors.n_neighbors": 64})
    result = score_config(config, context)
    assert result.status == "failed" and "n_neighbors" in result.error


def test_preview_fits_a_sample_and_scores_the_first_split_only(penguins):
    frame = penguins.dropna(subset=["species"])
    context, space = _context(frame.drop(columns="species"), frame["species"])
    train, validation = context.resampling.folds[0]
    result, pipeline = preview(space.default_config(), context, rows=60)
    assert result.status == "ok" and result.score < 0
    validated = ~np.isnan(result.predictions).any(axis=1)
    assert np.flatnonzero(validated).tolist() == validation.tolist()
    assert pipeline.named_steps["model"].n_classes_ == 3  # the stratified sample has every class
    assert len(train) > 60


def test_only_large_first_splits_get_a_preview():
    assert not has_preview(make_resampling(np.arange(7_000) % 2, "binary"))  # 3 folds of 4,667
    assert has_preview(make_resampling(np.arange(9_000) % 2, "binary"))  # 3 folds of 6,000
    assert PREVIEW_ABOVE_ROWS < 0.8 * 10_001  # every holdout split gets one
