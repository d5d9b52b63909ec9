"""Metrics by name or as scikit-learn scorers, searched as higher-is-better scores.

Defaults follow the AutoML Benchmark: ROC AUC for binary, log loss for multiclass and RMSE
for regression. Inside the search losses are negated (a log loss of 0.3 is a score of -0.3)
so that every part of it can maximise one number; everything a person reads (the
leaderboard, the fitted model's scores, the report, the trial log) is in the metric's own
units, through :meth:`Metric.in_units`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Literal

import numpy as np
from sklearn import metrics as sk_metrics

from automl.base.exceptions import InputError

DEFAULT_METRICS = {"binary": "roc_auc", "multiclass": "log_loss", "regression": "rmse"}


@dataclass(frozen=True)
class Metric:
    """A named metric on predictions, or a scorer called on a fitted pipeline."""

    name: str
    needs: Literal["proba", "predict", "scorer"]
    sign: float = 1.0  # +1 when larger is better, -1 for losses
    function: Callable[..., float] | None = None
    scorer: Callable[..., float] | None = None
    # The constant regression prediction this metric scores best: the training prior that a
    # model must beat (``evaluate.prior_score``) and the fallback model. Absolute error is
    # smallest at the median; squared error (and so R²) at the mean.
    center: Literal["mean", "median"] = "mean"

    @property
    def higher_is_better(self) -> bool:
        """Whether larger values of the metric, in its own units, are better (scikit-learn's
        scorers always are: their losses come negated, as ``neg_log_loss``)."""
        return self.sign > 0

    @property
    def direction(self) -> str:
        """How a person is told which end is best: "higher is better" or "lower is better"."""
        return direction(self.higher_is_better)

    def in_units(self, score: float | None) -> float | None:
        """A search score (higher is better) in the metric's own units; None stays None."""
        return None if score is None else self.sign * float(score)

    def score(self, y_true: np.ndarray, predictions: np.ndarray, n_classes: int) -> float:
        """Higher-is-better score of out-of-fold predictions (class probabilities or values)."""
        assert self.function is not None, "scorer metrics are scored per fold"
        return self.sign * float(self.function(y_true, predictions, n_classes))


def direction(higher_is_better: bool) -> str:
    """"higher is better" or "lower is better"."""
    return "higher is better" if higher_is_better else "lower is better"


def _roc_auc(y: np.ndarray, proba: np.ndarray, n_classes: int) -> float:
    if n_classes == 2:
        return sk_metrics.roc_auc_score(y, proba[:, 1])
    return sk_metrics.roc_auc_score(y, proba, multi_class="ovr", labels=np.arange(n_classes))


def _log_loss(y: np.ndarray, proba: np.ndarray, n_classes: int) -> float:
    return sk_metrics.log_loss(y, proba, labels=np.arange(n_classes))


def _labels(metric: Callable[..., float], **kwargs: Any) -> Callable[..., float]:
    """Wrap a label metric so that it reads class probabilities through their argmax."""
    def on_proba(y: np.ndarray, proba: np.ndarray, n_classes: int) -> float:
        return metric(y, np.argmax(proba, axis=1), **kwargs)
    return on_proba


def _values(metric: Callable[..., float]) -> Callable[..., float]:
    def on_values(y: np.ndarray, predictions: np.ndarray, n_classes: int) -> float:
        return metric(y, predictions)
    return on_values


_CLASSIFICATION = {
    "roc_auc": Metric("roc_auc", "proba", 1.0, _roc_auc),
    "log_loss": Metric("log_loss", "proba", -1.0, _log_loss),
    "accuracy": Metric("accuracy", "proba", 1.0, _labels(sk_metrics.accuracy_score)),
    "balanced_accuracy": Metric("balanced_accuracy", "proba", 1.0,
                                _labels(sk_metrics.balanced_accuracy_score)),
    "f1_macro": Metric("f1_macro", "proba", 1.0, _labels(sk_metrics.f1_score, average="macro")),
}
_REGRESSION = {
    "rmse": Metric("rmse", "predict", -1.0, _values(sk_metrics.root_mean_squared_error)),
    "mae": Metric("mae", "predict", -1.0, _values(sk_metrics.mean_absolute_error),
                  center="median"),
    "r2": Metric("r2", "predict", 1.0, _values(sk_metrics.r2_score)),
}


def get_metric(metric: str | Callable[..., float], task: str) -> Metric:
    """Resolve 'auto', one of our names, a scikit-learn scorer name, or a scorer callable.

    A callable is treated as a scikit-learn scorer, ``scorer(estimator, X, y) -> float``
    with larger meaning better (as ``sklearn.metrics.make_scorer`` builds them).
    """
    if callable(metric):
        return Metric(getattr(metric, "__name__", type(metric).__name__), "scorer",
                      scorer=metric)
    if not isinstance(metric, str):
        raise InputError(f"metric must be a name or a scorer callable, got {metric!r}.")
    name = DEFAULT_METRICS[task] if metric == "auto" else metric
    family = "regression" if task == "regression" else "classification"
    table = _REGRESSION if family == "regression" else _CLASSIFICATION
    if name in table:
        return table[name]
    other = _CLASSIFICATION if task == "regression" else _REGRESSION
    scorer = sk_metrics.get_scorer(name) if name in sk_metrics.get_scorer_names() else None
    if name in other or (scorer is not None and _scorer_family(scorer) not in (None, family)):
        raise InputError(f"metric {name!r} does not apply to task {task!r}; use one of "
                         f"{sorted(table)}.")
    if scorer is not None:
        return Metric(name, "scorer", scorer=scorer)
    raise InputError(f"unknown metric {metric!r} for task {task!r}; use 'auto', one of "
                     f"{sorted(table)}, a scikit-learn scorer name or a scorer callable.")


def _scorer_family(scorer: Any) -> str | None:
    """The task family of a scikit-learn scorer's metric, from the module that defines it.

    scikit-learn keeps regression metrics in ``sklearn.metrics._regression`` and
    classification ones in ``_classification`` and ``_ranking``; anything else (clustering
    scores, user functions) is not judged.
    """
    module = getattr(getattr(scorer, "_score_func", None), "__module__", "") or ""
    if module.endswith("._regression"):
        return "regression"
    if module.endswith(("._classification", "._ranking")):
        return "classification"
    return None
