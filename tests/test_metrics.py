from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import make_scorer, mean_absolute_error

from automl.base.exceptions import InputError
from automl.base.metrics import get_metric


def test_defaults_follow_the_automl_benchmark():
    assert get_metric("auto", "binary").name == "roc_auc"
    assert get_metric("auto", "multiclass").name == "log_loss"
    assert get_metric("auto", "regression").name == "rmse"


def test_losses_become_negative_scores():
    y = np.array([0, 1, 1])
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6]])
    assert get_metric("log_loss", "binary").score(y, proba, 2) < 0
    assert get_metric("roc_auc", "binary").score(y, proba, 2) == 1.0
    assert get_metric("rmse", "regression").score(np.array([1.0, 2.0]), np.array([1.0, 4.0]), 0) \
        == pytest.approx(-np.sqrt(2))


def test_sklearn_scorer_names_and_callables():
    assert get_metric("neg_mean_absolute_error", "regression").needs == "scorer"
    scorer = make_scorer(mean_absolute_error, greater_is_better=False)
    assert get_metric(scorer, "regression").scorer is scorer


@pytest.mark.parametrize("metric, task", [("rmse", "binary"), ("roc_auc", "regression"),
                                          ("neg_log_loss", "regression"),
                                          ("neg_mean_squared_error", "multiclass"),
                                          ("nonsense", "binary"), (3, "binary")])
def test_unknown_metric_is_named(metric, task):
    with pytest.raises(InputError, match="metric"):
        get_metric(metric, task)
