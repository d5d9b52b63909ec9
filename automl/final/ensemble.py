"""Greedy ensemble selection with replacement (Caruana, Niculescu-Mizil, Crew and Ksikes,
ICML 2004) over the out-of-fold predictions of the best trials, and the fitted ensemble.

Start from the best single model (sorted initialisation), then in each round add, with
replacement, the model whose addition gives the best score of the averaged predictions
(probabilities for classification, values for regression) on the task's own metric. The
ensemble returned is the best prefix of that sequence, so on the predictions it was chosen
on it is never worse than the best single model.

On few validation rows that guarantee is weak: the selection can fit the noise of the rows it
was chosen on. :func:`selection_generalises` checks it by selecting on one half of the rows and
scoring on the other, both ways round and on several random pairs of halves, against the best
single model chosen the same way; several pairs, because one pair rejects real gains (the
study is at tag studies-2026-12-07, ``benchmarks/study_ensemble_guard.py``).
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Sequence

import numpy as np
from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold

from automl.base.metrics import Metric
from automl.trials.evaluate import predict_raw


def select_ensemble(predictions: Sequence[np.ndarray], y: np.ndarray, metric: Metric,
                    n_classes: int, ensemble_size: int = 25,
                    stop: Callable[[], bool] | None = None) -> np.ndarray:
    """Integer counts, one per model, of the selected ensemble (their sum is its size).

    ``predictions[i]`` holds model i's out-of-fold predictions for the rows of ``y``
    (shape (n,) or (n, n_classes)). Ties go to the lower index, so the result is
    deterministic. ``stop()`` is asked before each round: when it says True (time is up)
    the rounds end early and the best prefix so far is returned.
    """
    if ensemble_size < 1:
        raise ValueError(f"ensemble_size must be at least 1, got {ensemble_size!r}.")
    stacked = np.stack([np.asarray(p, dtype=np.float64) for p in predictions])
    singles = [metric.score(y, member, n_classes) for member in stacked]
    counts = np.zeros(len(stacked), dtype=np.int64)
    first = int(np.argmax(singles))
    counts[first] = 1
    total = stacked[first].copy()
    best_counts, best_score = counts.copy(), singles[first]
    for size in range(2, ensemble_size + 1):
        if stop is not None and stop():
            break
        scores = [metric.score(y, (total + member) / size, n_classes) for member in stacked]
        chosen = int(np.argmax(scores))
        counts[chosen] += 1
        total += stacked[chosen]
        if scores[chosen] > best_score:
            best_counts, best_score = counts.copy(), scores[chosen]
    return best_counts


def selection_generalises(predictions: Sequence[np.ndarray], y: np.ndarray, metric: Metric,
                          n_classes: int, ensemble_size: int, seed: int, repeats: int = 1,
                          stop: Callable[[], bool] | None = None, copies: int = 1) -> bool:
    """Whether selection beats picking the single best model on rows it did not see.

    True when the mean of :func:`held_out_gains` is positive.
    """
    gains = held_out_gains(predictions, y, metric, n_classes, ensemble_size, seed, repeats, stop,
                           copies)
    return bool(gains) and float(np.mean(gains)) > 0


def held_out_gains(predictions: Sequence[np.ndarray], y: np.ndarray, metric: Metric,
                   n_classes: int, ensemble_size: int, seed: int, repeats: int = 1,
                   stop: Callable[[], bool] | None = None, copies: int = 1) -> list[float]:
    """Held-out gains of selection over the single best model, one per half-split.

    ``repeats`` times two-fold (stratified where every class has two rows): on each half,
    select an ensemble and pick the best single model, then score both on the other half.
    ``stop()`` ends each selection early and, once a half is done, the check: the gains so
    far are returned. Raises ValueError when the metric is undefined on a half (one class
    only).

    With ``copies`` > 1 the rows are that many copies of the same rows, one after another
    (predictions on several draws of the folds): the halves split the rows, and each half
    takes every copy of its rows.
    """
    predictions = [np.asarray(p) for p in predictions]
    n_rows = len(y) // copies
    gains = []
    for chosen_on, checked_on in _halves(y[:n_rows], n_classes, seed, repeats, copies):
        if gains and stop is not None and stop():  # out of time: judge on the halves done
            break
        if n_classes and len(np.unique(y[checked_on])) < 2:
            raise ValueError("a half of the validation rows holds one class only")
        on_half = [p[chosen_on] for p in predictions]
        weights = weights_from_counts(select_ensemble(on_half, y[chosen_on], metric, n_classes,
                                                      ensemble_size, stop))
        single = int(np.argmax([metric.score(y[chosen_on], p, n_classes) for p in on_half]))
        held_out = np.stack([p[checked_on] for p in predictions])
        blend = np.tensordot(weights, held_out, axes=1)
        gains.append(metric.score(y[checked_on], blend, n_classes)
                     - metric.score(y[checked_on], held_out[single], n_classes))
    return gains


def _halves(y: np.ndarray, n_classes: int, seed: int, repeats: int, copies: int
            ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``repeats`` two-fold splits of ``y``'s rows (stratified where every class has two
    rows), each half with its rows' ``copies`` copies."""
    rows = np.zeros(len(y))
    if n_classes and np.bincount(y, minlength=n_classes).min() >= 2:
        splits = RepeatedStratifiedKFold(n_splits=2, n_repeats=repeats,
                                         random_state=seed).split(rows, y)
    else:
        splits = RepeatedKFold(n_splits=2, n_repeats=repeats, random_state=seed).split(rows)
    for halves in splits:
        yield tuple(np.concatenate([half + copy * len(y) for copy in range(copies)])
                    for half in halves)


def weights_from_counts(counts: np.ndarray) -> np.ndarray:
    """Counts turned into weights that sum to one."""
    counts = np.asarray(counts, dtype=np.float64)
    return counts / counts.sum()


class AveragedModels:
    """Fitted pipelines whose predictions are averaged with fixed weights.

    Classification averages class probabilities over all ``n_classes`` codes (``classes_``
    is ``0 .. n_classes - 1``; the estimator maps codes to the user's labels); regression
    averages predicted values.
    """

    def __init__(self, members: Sequence[Any], weights: Sequence[float], n_classes: int) -> None:
        if len(members) != len(weights) or not members:
            raise ValueError(f"an average needs one weight per member, got {len(members)} "
                             f"members and {len(weights)} weights.")
        self.members = list(members)
        self.weights = np.asarray(weights, dtype=np.float64) / np.sum(weights)
        self.n_classes = n_classes
        if n_classes:
            self.classes_ = np.arange(n_classes)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Weighted mean of the members' class probabilities."""
        return sum(weight * predict_raw(member, X, self.n_classes)
                   for weight, member in zip(self.weights, self.members))

    def predict(self, X: Any) -> np.ndarray:
        """Class codes of the averaged probabilities, or the averaged values."""
        if self.n_classes:
            return np.argmax(self.predict_proba(X), axis=1)
        return sum(weight * np.asarray(member.predict(X), dtype=np.float64)
                   for weight, member in zip(self.weights, self.members))


class WeightedEnsemble(AveragedModels):
    """The ensemble ``fit`` returns: the selected trials' models, weighted by how often
    selection chose them; ``trials`` says which trial each member comes from."""

    def __init__(self, members: Sequence[Any], weights: Sequence[float], n_classes: int,
                 trials: Sequence[int] | None = None) -> None:
        super().__init__(members, weights, n_classes)
        self.trials = list(trials) if trials is not None else list(range(len(members)))


class FoldAverage(AveragedModels):
    """A trial's fold models as one model: their predictions averaged with equal weights.

    It stands in for the trial refit on all rows when that refit does not fit in the time
    left. Each fold model trained on the rows its out-of-fold predictions were not made on,
    so the validation predictions that chose the trial describe these models; on a holdout
    split it is the very model that was validated.
    """


def fold_average(pipelines: Sequence[Any], n_classes: int) -> FoldAverage:
    """The fitted fold pipelines of one trial as a :class:`FoldAverage`."""
    return FoldAverage(list(pipelines), np.ones(len(pipelines)), n_classes)
