"""Mix the final model's class probabilities with the training class shares, so that no class
is ever given probability 0.

Under log loss one confident error costs more than a model gains on hundreds of rows: a
true class predicted at probability 0 costs about 36 (scikit-learn's log loss clips there),
where the class shares cost about 1. Validation cannot see the risk when the model made no
error out of fold: a 1-nearest-neighbour pipeline with 0/1 probabilities can score a
perfect log loss out of fold and worse than the class shares on test
(``tests/test_prior_blend.py``; benchmarks/RESULTS.md).

So under log loss the shipped probabilities are ``(1 - w) * model + w * shares``. The weight
``w`` is the one that scores best on the final model's out-of-fold predictions, but never
below ``1 / (n + 2)`` for ``n`` predicted rows: Laplace's rule of succession, the chance of
an error on the next row after none in ``n``. With no error out of fold that floor gives
each error on new rows a cost of about ``log(n / share)`` instead of 36, and costs each
right row about ``1 / n``. Mixing is monotone in each class's probability, so AUC and the
ranking of rows are unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar

from automl.trials.evaluate import predict_raw


def minimum_weight(n_rows: int) -> float:
    """The least weight of the shares: the rule of succession's chance of an error after
    ``n_rows`` predictions without one."""
    return 1.0 / (max(0, int(n_rows)) + 2)


def blend_weight(predictions: np.ndarray, y: np.ndarray, shares: np.ndarray,
                 floor: float | None = None) -> float:
    """The weight of ``shares`` that gives ``predictions`` (out of fold, one row per code in
    ``y``) their best log loss, and at least ``floor`` (default: :func:`minimum_weight` of
    their rows).

    Rows with a missing prediction (a preview scored on one split) are left out. The log
    loss of the mixture is convex in the weight, so a bounded search on its logarithm finds
    the best one.
    """
    predictions = np.asarray(predictions, dtype=np.float64)
    rows = np.isfinite(predictions).all(axis=1)
    floor = minimum_weight(int(rows.sum())) if floor is None else floor
    if not rows.any():
        return floor
    true_class = predictions[rows, y[rows]]
    true_share = np.asarray(shares, dtype=np.float64)[y[rows]]

    def loss(log_weight: float) -> float:
        weight = np.exp(log_weight)
        return -float(np.mean(np.log((1 - weight) * true_class + weight * true_share)))

    best = minimize_scalar(loss, bounds=(np.log(floor), 0.0), method="bounded",
                           options={"xatol": 1e-3})
    weight = float(np.exp(best.x))
    # The bounded search never returns its bounds exactly: keep the floor where it is best.
    return weight if loss(np.log(weight)) < loss(np.log(floor)) else floor


class PriorBlend:
    """A classifier whose class probabilities are mixed with the training class shares.

    ``model`` predicts probabilities over the codes ``0 .. len(shares) - 1`` (a pipeline or
    an ensemble); ``weight`` is the shares' part (:func:`blend_weight`). Labels are the
    codes of the mixed probabilities' largest entry. ``fitted`` is the weight the
    out-of-fold predictions alone called best, without the floor (None when unknown): how
    much the floor decided.
    """

    def __init__(self, model: Any, shares: np.ndarray, weight: float,
                 fitted: float | None = None) -> None:
        shares = np.asarray(shares, dtype=np.float64)
        if not 0.0 <= weight <= 1.0 or shares.ndim != 1 or not np.isclose(shares.sum(), 1.0):
            raise ValueError(f"a prior blend needs a weight in [0, 1] and shares that sum to "
                             f"one, got weight {weight!r} and shares {shares!r}.")
        self.model = model
        self.shares = shares
        self.weight = float(weight)
        self.fitted = fitted
        self.classes_ = np.arange(len(shares))

    def predict_proba(self, X: Any) -> np.ndarray:
        """The model's class probabilities mixed with the shares."""
        proba = predict_raw(self.model, X, len(self.shares))
        return (1.0 - self.weight) * proba + self.weight * self.shares

    def predict(self, X: Any) -> np.ndarray:
        """Class codes of the mixed probabilities."""
        return np.argmax(self.predict_proba(X), axis=1)
