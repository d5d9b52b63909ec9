"""Model estimators of our own, where scikit-learn's need a wrapper to serve the search space.

``PlattSVC`` is an RBF support vector classifier with class probabilities, now that
``SVC(probability=True)`` is deprecated (scikit-learn 1.9, gone in 1.11). The replacement
scikit-learn names, ``CalibratedClassifierCV(SVC(), ensemble=False)``, calibrates each class
one-against-the-rest on the SVC's vote-based decision function; on multiclass data that is
much worse than what libsvm did. So this class does what libsvm did:
a Platt sigmoid per pair of classes on out-of-fold one-against-one decisions, the pairs'
probabilities coupled into class probabilities (Wu, Lin and Weng, JMLR 2004, their second
method), then one SVC fitted on all rows.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, log_expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.svm import SVC
from sklearn.utils.validation import check_is_fitted

# As many calibration folds as libsvm used; pair probabilities kept this far from 0 and 1,
# as libsvm kept them, so that the coupling is well posed.
_CALIBRATION_FOLDS = 5
_PAIR_PROBABILITY_FLOOR = 1e-7


class PlattSVC(ClassifierMixin, BaseEstimator):
    """An RBF SVC whose ``predict_proba`` couples Platt-scaled one-against-one decisions.

    The sigmoids are fitted on out-of-fold decisions from stratified folds shuffled with
    ``random_state``; a class with fewer rows than folds lowers their number, and a class with
    one row leaves only the training decisions to fit on (overconfident, but defined).
    ``predict`` is the most probable class, so the two methods never disagree (with libsvm's
    ``probability=True`` they could).
    """

    def __init__(self, C: float = 1.0, gamma: float | str = "scale", kernel: str = "rbf",
                 cache_size: float = 200, class_weight: Any = None,
                 random_state: int | None = None) -> None:
        self.C = C
        self.gamma = gamma
        self.kernel = kernel
        self.cache_size = cache_size
        self.class_weight = class_weight
        self.random_state = random_state

    def _svc(self) -> SVC:
        return SVC(C=self.C, gamma=self.gamma, kernel=self.kernel, cache_size=self.cache_size,
                   class_weight=self.class_weight, decision_function_shape="ovo")

    def fit(self, X: Any, y: Any) -> PlattSVC:
        """Fit the pairs' sigmoids on out-of-fold decisions, then the SVC on all rows."""
        self.classes_, codes = np.unique(np.asarray(y), return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"PlattSVC needs at least two classes, got {self.classes_!r}.")
        self.svc_ = self._svc().fit(X, codes)
        n_folds = min(_CALIBRATION_FOLDS, int(np.bincount(codes).min()))
        if n_folds >= 2:
            folds = StratifiedKFold(n_folds, shuffle=True, random_state=self.random_state)
            decisions = cross_val_predict(self._svc(), X, codes, cv=folds,
                                          method="decision_function")
        else:
            decisions = self.svc_.decision_function(X)
        self.pairs_ = list(combinations(range(len(self.classes_)), 2))
        decisions = _pair_columns(decisions)
        sigmoids = []
        for column, (i, j) in enumerate(self.pairs_):
            rows = np.isin(codes, (i, j))
            sigmoids.append(_platt(decisions[rows, column], codes[rows] == i))
        self.sigmoids_ = np.array(sigmoids)
        self.n_features_in_ = self.svc_.n_features_in_
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities from the coupled pair probabilities (rows sum to one)."""
        check_is_fitted(self, "sigmoids_")
        decisions = _pair_columns(self.svc_.decision_function(X))
        slopes, intercepts = self.sigmoids_[:, 0], self.sigmoids_[:, 1]
        first_wins = np.clip(expit(-(decisions * slopes + intercepts)),
                             _PAIR_PROBABILITY_FLOOR, 1 - _PAIR_PROBABILITY_FLOOR)
        return _couple(first_wins, self.pairs_, len(self.classes_))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def decision_function(self, X: Any) -> np.ndarray:
        """The SVC's decision values, uncalibrated: one column per pair of classes, positive
        for the first (for two classes, scikit-learn's one value, positive for the second)."""
        check_is_fitted(self, "sigmoids_")
        return self.svc_.decision_function(X)


def _pair_columns(decisions: np.ndarray) -> np.ndarray:
    """One column per pair (i, j), positive for class i (scikit-learn's binary SVC gives one
    value per row, positive for class 1)."""
    decisions = np.asarray(decisions, dtype=np.float64)
    return -decisions[:, None] if decisions.ndim == 1 else decisions


def _platt(decisions: np.ndarray, positive: np.ndarray) -> tuple[float, float]:
    """Platt's sigmoid P(positive | f) = 1 / (1 + exp(A f + B)) as (A, B).

    Fitted by maximum likelihood on Platt's smoothed targets ((N+ + 1) / (N+ + 2) and
    1 / (N- + 2)), which keep a pair the SVC separates perfectly from getting probabilities
    of exactly 0 and 1.
    """
    n_positive = int(positive.sum())
    n_negative = len(positive) - n_positive
    target = np.where(positive, (n_positive + 1) / (n_positive + 2), 1 / (n_negative + 2))

    def loss(parameters: np.ndarray) -> tuple[float, np.ndarray]:
        margin = -(parameters[0] * decisions + parameters[1])  # log-odds of positive
        value = -np.sum(target * log_expit(margin) + (1 - target) * log_expit(-margin))
        residual = expit(margin) - target
        return float(value), np.array([-np.sum(residual * decisions), -np.sum(residual)])

    start = np.array([0.0, np.log((n_negative + 1) / (n_positive + 1))])
    result = minimize(loss, start, jac=True, method="L-BFGS-B")
    return float(result.x[0]), float(result.x[1])


def _couple(first_wins: np.ndarray, pairs: list[tuple[int, int]], n_classes: int) -> np.ndarray:
    """Class probabilities p minimising sum over pairs of (r_ji p_i - r_ij p_j)^2 with sum p = 1,
    per row (Wu, Lin and Weng's second method); r_ij is the probability that i beats j."""
    n_rows = len(first_wins)
    beats = np.zeros((n_rows, n_classes, n_classes))
    for column, (i, j) in enumerate(pairs):
        beats[:, i, j] = first_wins[:, column]
        beats[:, j, i] = 1 - first_wins[:, column]
    q = -beats.transpose(0, 2, 1) * beats  # Q_ij = -r_ji r_ij off the diagonal
    diagonal = np.einsum("nji,nji->ni", beats, beats)  # Q_ii = sum over j of r_ji^2
    q[:, np.arange(n_classes), np.arange(n_classes)] = diagonal
    # The constraint joins Q as one more row and column: [[Q, 1], [1', 0]] [p; b] = [0; 1].
    # Q alone is singular for two classes; near-certain pairs can make it so for more.
    system = np.zeros((n_rows, n_classes + 1, n_classes + 1))
    system[:, :n_classes, :n_classes] = q
    system[:, :n_classes, n_classes] = system[:, n_classes, :n_classes] = 1
    right = np.zeros((n_rows, n_classes + 1, 1))
    right[:, n_classes] = 1
    try:
        solved = np.linalg.solve(system, right)
    except np.linalg.LinAlgError:
        solved = np.linalg.pinv(system) @ right
    probabilities = np.clip(solved[:, :n_classes, 0], 0, None)
    return probabilities / probabilities.sum(axis=1, keepdims=True)
