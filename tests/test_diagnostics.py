from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from automl import diagnostics
from automl.base.exceptions import InputError


def test_held_out_score_beats_the_dummy_in_the_metric_units(saved_classifier):
    model = saved_classifier.model
    X, y = saved_classifier.holdout
    held_out = diagnostics.held_out_evaluation(model, X, y,
                                               saved_classifier.data_summary["prior"])
    assert held_out.metric == "log_loss"
    assert 0 < held_out.score < held_out.dummy_score  # a loss: positive, lower is better
    assert held_out.predictions.shape == (len(y), len(model.classes_))
    assert set(held_out.importance["feature"]) == set(X.columns)


def test_permutation_importance_finds_the_informative_column(saved_regressor):
    X, y = saved_regressor.holdout
    importance = diagnostics.permutation_importance(saved_regressor.model, X, y)
    assert importance["importance"].is_monotonic_decreasing
    # body mass follows species and flipper length, not the sampling island
    top_two = set(importance["feature"].head(2))
    assert top_two & {"species", "flipper_length_mm", "sex", "bill_depth_mm"}


def test_permutation_importance_keeps_to_its_time_with_fewer_rows_and_repeats(saved_regressor,
                                                                             caplog):
    import logging
    import time

    X, y = saved_regressor.holdout
    started = time.perf_counter()
    with caplog.at_level(logging.INFO, logger="automl.diagnostics"):
        importance = diagnostics.permutation_importance(saved_regressor.model, X, y,
                                                        seconds=1e-4)
    # one scoring to measure, then the floor of rows at one repeat: well under a second here
    assert time.perf_counter() - started < 5
    assert "x 1 repeats" in caplog.text and len(importance) == X.shape[1]


def test_history_and_family_bests_in_metric_units(saved_classifier):
    model = saved_classifier.model
    history = diagnostics.history(model.leaderboard_, model)
    assert history["finished_at_seconds"].is_monotonic_increasing
    best = history["best_so_far"].dropna()
    assert best.is_monotonic_decreasing  # log loss: the best so far only falls
    families = diagnostics.family_bests(model.leaderboard_, model)
    assert families["trials"].sum() == len(diagnostics.trials_only(model.leaderboard_))
    scored = families["best_score"].dropna()
    assert scored.iloc[0] == pytest.approx(model.best_score_)  # best family first
    assert scored.is_monotonic_increasing


def test_data_summary_and_prior(saved_classifier):
    summary = saved_classifier.data_summary
    assert summary["task"] == "multiclass" and summary["id_column"] == "id"
    assert sum(summary["target_summary"].values()) == summary["rows"]
    assert sum(summary["prior"]["class_shares"]) == pytest.approx(1.0)
    assert set(summary["column_kinds"]) == {"numeric", "categorical"}


def test_unseen_or_missing_held_out_labels_are_named(saved_classifier, saved_regressor):
    X, y = saved_classifier.holdout
    with pytest.raises(InputError, match="never saw: \\['Emperor'\\]"):
        diagnostics.held_out_evaluation(saved_classifier.model, X,
                                        pd.Series(["Emperor"] * len(y), index=y.index))
    X, y = saved_regressor.holdout
    with pytest.raises(InputError, match="missing or non-numeric"):
        diagnostics.held_out_evaluation(saved_regressor.model, X,
                                        y.where(np.arange(len(y)) > 0))


def test_the_preview_is_not_counted_as_a_trial():
    board = pd.DataFrame({"trial": [1, 2, 0], "model": ["lightgbm", "svc", "lightgbm"],
                          "score": [-0.02, -0.09, -0.01], "status": ["ok", "ok", "ok"],
                          "source": ["default", "default", "preview"]})
    assert list(diagnostics.trials_only(board)["trial"]) == [1, 2]


def test_a_final_model_that_predicts_the_prior_says_why():
    board = pd.DataFrame({"score": [3.2, 3.4, np.nan], "status": ["ok", "ok", "failed"]})
    model = SimpleNamespace(leaderboard_=board, prior_score_=3.0, higher_is_better_=False)
    assert diagnostics.prior_final_model(model) == \
        "training prior (it scored better on validation than every trial)"
    for unusable in (SimpleNamespace(leaderboard_=board, higher_is_better_=False),
                     SimpleNamespace(leaderboard_=board.iloc[2:], prior_score_=3.0,
                                     higher_is_better_=False)):
        assert diagnostics.prior_final_model(unusable) == "training prior (no usable trial)"
