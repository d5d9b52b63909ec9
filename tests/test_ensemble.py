from __future__ import annotations

import numpy as np
import pytest

from automl.ensemble import select_ensemble, weights_from_counts
from automl.metrics import get_metric


def naive_selection(predictions, y, metric, n_classes, ensemble_size):
    """The obvious reference: recompute each candidate ensemble's mean from its members."""
    members = [int(np.argmax([metric.score(y, p, n_classes) for p in predictions]))]
    best = (metric.score(y, predictions[members[0]], n_classes), list(members))
    for _ in range(ensemble_size - 1):
        scores = [metric.score(y, np.mean([predictions[m] for m in members + [i]], axis=0),
                               n_classes) for i in range(len(predictions))]
        members.append(int(np.argmax(scores)))
        if max(scores) > best[0]:
            best = (max(scores), list(members))
    return np.bincount(best[1], minlength=len(predictions))


def _random_case(task, seed, n_models=6, n=60):
    rng = np.random.default_rng(seed)
    if task == "regression":
        y = rng.normal(size=n)
        predictions = [y + rng.normal(scale=rng.uniform(0.3, 1.5), size=n) for _ in range(n_models)]
        return predictions, y, 0
    n_classes = 2 if task == "binary" else 3
    y = rng.integers(0, n_classes, size=n)
    predictions = []
    for _ in range(n_models):
        logits = rng.normal(size=(n, n_classes)) + 1.5 * np.eye(n_classes)[y] * rng.uniform()
        proba = np.exp(logits)
        predictions.append(proba / proba.sum(axis=1, keepdims=True))
    return predictions, y, n_classes


@pytest.mark.parametrize("task, metric", [("binary", "roc_auc"), ("multiclass", "log_loss"),
                                          ("regression", "rmse"), ("binary", "accuracy")])
@pytest.mark.parametrize("seed", range(3))
def test_fast_selection_agrees_with_the_naive_loop(task, metric, seed):
    predictions, y, n_classes = _random_case(task, seed)
    resolved = get_metric(metric, task)
    fast = select_ensemble(predictions, y, resolved, n_classes, ensemble_size=12)
    slow = naive_selection(predictions, y, resolved, n_classes, ensemble_size=12)
    np.testing.assert_array_equal(fast, slow)


@pytest.mark.parametrize("task, metric", [("multiclass", "log_loss"), ("regression", "rmse")])
def test_never_worse_than_the_best_member_on_its_own_predictions(task, metric):
    for seed in range(10):
        predictions, y, n_classes = _random_case(task, seed)
        resolved = get_metric(metric, task)
        weights = weights_from_counts(select_ensemble(predictions, y, resolved, n_classes))
        blended = np.tensordot(weights, np.stack(predictions), axes=1)
        best_single = max(resolved.score(y, p, n_classes) for p in predictions)
        assert resolved.score(y, blended, n_classes) >= best_single - 1e-12
        assert weights.sum() == pytest.approx(1.0)


def test_bad_size_is_refused():
    predictions, y, n_classes = _random_case("binary", 0)
    with pytest.raises(ValueError, match="ensemble_size"):
        select_ensemble(predictions, y, get_metric("roc_auc", "binary"), n_classes, 0)
