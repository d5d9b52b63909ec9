"""The preview: which searches start with one, its cheaper config, and what it fits."""

from __future__ import annotations

import numpy as np

from automl.space.compiled import compile_space
from automl.space.components import load_components
from automl.trials.evaluate import make_resampling
from automl.trials.preview import (PREVIEW_ABOVE_ROWS, PREVIEW_TREES, has_preview, preview,
                                   preview_config)

from conftest import context_of


def test_preview_fits_a_sample_and_scores_the_first_split_only(penguins):
    frame = penguins.dropna(subset=["species"])
    context, space = context_of(frame.drop(columns="species"), frame["species"])
    train, validation = context.resampling.folds[0]
    result, pipeline = preview(space.default_config(), context, rows=60)
    assert result.status == "ok" and result.score < 0
    validated = ~np.isnan(result.predictions).any(axis=1)
    assert np.flatnonzero(validated).tolist() == validation.tolist()
    assert pipeline.named_steps["model"].n_classes_ == 3  # the stratified sample has every class
    assert len(train) > 60


def test_only_large_first_splits_get_a_preview():
    assert not has_preview(make_resampling(np.arange(7_000) % 2, "binary"), 2)  # 3 of 4,667
    assert has_preview(make_resampling(np.arange(9_000) % 2, "binary"), 2)  # 3 folds of 6,000
    assert PREVIEW_ABOVE_ROWS < 0.8 * 10_001  # every holdout split gets one
    assert not has_preview(make_resampling(np.arange(7_000) * 1.0, "regression"), 0)


def test_many_classes_get_a_preview_on_smaller_data():
    """Multiclass LightGBM grows a tree per class each round: 11 classes on 4,000 rows cost
    more than binary data twice that size."""
    eleven = make_resampling(np.arange(4_000) % 11, "multiclass")
    assert has_preview(eleven, 11) and not has_preview(eleven, 2)
    assert not has_preview(make_resampling(np.arange(600) % 4, "multiclass"), 4)  # 5 folds of 480


def test_preview_config_cuts_multiclass_rounds_within_the_space():
    space = compile_space(load_components(), "multiclass", 2000)
    default = space.default_config()
    cheap = preview_config(default, 10)
    rounds, rate = cheap["model.lightgbm.n_estimators"], cheap["model.lightgbm.learning_rate"]
    assert rounds < default["model.lightgbm.n_estimators"] and rounds * 10 <= 2 * PREVIEW_TREES
    assert rate > default["model.lightgbm.learning_rate"]
    assert space.validate(cheap) == cheap  # a config outside the space would fail the preview
    assert preview_config(default, 3)["model.lightgbm.n_estimators"] == 33


def test_preview_config_leaves_other_configs_alone():
    default = compile_space(load_components(), "binary", 2000).default_config()
    assert preview_config(default, 2) == default
    forest = compile_space(load_components(), "multiclass", 2000).default_config("random_forest")
    assert preview_config(forest, 10) == forest
