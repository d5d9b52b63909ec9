from __future__ import annotations

import numpy as np
import pytest

from automl.base.metrics import get_metric
from automl.final.ensemble import (WeightedEnsemble, _halves, held_out_gains, select_ensemble,
                                   selection_generalises, weights_from_counts)


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


def test_stop_ends_the_rounds_early_with_the_best_prefix():
    predictions, y, n_classes = _random_case("multiclass", 1)
    metric = get_metric("log_loss", "multiclass")
    asked = []

    def stop():
        asked.append(1)
        return len(asked) > 3  # three rounds after the first, then time is up

    counts = select_ensemble(predictions, y, metric, n_classes, ensemble_size=50, stop=stop)
    assert 1 <= counts.sum() <= 4
    full = select_ensemble(predictions, y, metric, n_classes, ensemble_size=4)
    np.testing.assert_array_equal(counts, full)


class _Constant:
    """A fitted stand-in member that predicts fixed values."""

    def __init__(self, values, classes=None):
        self.values, self.classes_ = np.asarray(values, dtype=float), classes

    def predict_proba(self, X):
        return np.tile(self.values, (len(X), 1))

    def predict(self, X):
        return np.full(len(X), self.values[0])


def test_weighted_ensemble_averages_probabilities_over_all_classes():
    # The second member never saw class 2: it predicts probability 0 for it.
    members = [_Constant([0.2, 0.3, 0.5], np.arange(3)), _Constant([0.6, 0.4], np.arange(2))]
    ensemble = WeightedEnsemble(members, [3, 1], n_classes=3, trials=[7, 2])
    proba = ensemble.predict_proba(np.zeros((4, 1)))
    np.testing.assert_allclose(proba[0], [0.75 * 0.2 + 0.25 * 0.6, 0.75 * 0.3 + 0.25 * 0.4,
                                          0.75 * 0.5])
    assert list(ensemble.predict(np.zeros((4, 1)))) == [2, 2, 2, 2]
    assert ensemble.trials == [7, 2] and list(ensemble.classes_) == [0, 1, 2]


def test_weighted_ensemble_averages_regression_values():
    ensemble = WeightedEnsemble([_Constant([1.0]), _Constant([3.0])], [1, 1], n_classes=0)
    np.testing.assert_allclose(ensemble.predict(np.zeros((2, 1))), [2.0, 2.0])
    assert not hasattr(ensemble, "classes_")


def test_weighted_ensemble_needs_one_weight_per_member():
    with pytest.raises(ValueError, match="one weight per member"):
        WeightedEnsemble([_Constant([1.0])], [0.5, 0.5], n_classes=0)


def test_the_held_out_check_accepts_real_gains_and_rejects_noise():
    rng = np.random.default_rng(0)
    y = rng.normal(size=400)
    metric = get_metric("rmse", "regression")
    # Independent errors: averaging truly helps, on any rows.
    independent = [y + rng.normal(scale=1.0, size=400) for _ in range(4)]
    assert selection_generalises(independent, y, metric, 0, 10, seed=0)
    # Copies of one model: no blend gains anything, so the single model is kept.
    good = y + rng.normal(scale=0.5, size=400)
    assert not selection_generalises([good, good.copy(), good.copy()], y, metric, 0, 10, seed=0)


def test_the_held_out_check_stops_after_the_half_in_progress_when_time_is_up():
    rng = np.random.default_rng(0)
    y = rng.normal(size=400)
    predictions = [y + rng.normal(scale=1.0, size=400) for _ in range(4)]
    metric = get_metric("rmse", "regression")
    assert len(held_out_gains(predictions, y, metric, 0, 10, 0, repeats=5)) == 10
    assert len(held_out_gains(predictions, y, metric, 0, 10, 0, repeats=5,
                              stop=lambda: True)) == 1
    # with no time at all, selection keeps the single best: no gain, so no ensemble
    assert not selection_generalises(predictions, y, metric, 0, 10, 0, 5, stop=lambda: True)


def test_the_held_out_check_works_for_classes():
    predictions, y, n_classes = _random_case("multiclass", 3, n=200)
    result = selection_generalises(predictions, y, get_metric("log_loss", "multiclass"),
                                   n_classes, 10, seed=0)
    assert isinstance(result, bool)


def test_the_held_out_check_keeps_every_draw_of_a_row_on_one_side():
    """Rows stacked from several draws of the folds: a row's draws never sit on both halves,
    so two identical draws check exactly as one does."""
    rng = np.random.default_rng(0)
    y = rng.normal(size=200)
    predictions = [y + rng.normal(scale=1.0, size=200) for _ in range(4)]
    metric = get_metric("rmse", "regression")
    once = held_out_gains(predictions, y, metric, 0, 10, 0, repeats=3)
    twice = held_out_gains([np.concatenate([p, p]) for p in predictions], np.tile(y, 2), metric,
                           0, 10, 0, repeats=3, copies=2)
    assert twice == pytest.approx(once)
    for chosen_on, checked_on in _halves(np.arange(10) % 2, 2, 0, 2, copies=3):
        assert sorted(np.concatenate([chosen_on, checked_on])) == list(range(30))
        assert all({row % 10 for row in half} & {row % 10 for row in other} == set()
                   for half, other in [(chosen_on, checked_on)])
