"""Greedy portfolio construction from a performance matrix (auto-sklearn 2.0; FLAML zero-shot).

The matrix holds one score per (dataset, candidate config), higher is better, NaN where the
candidate failed. Scores are normalised per dataset to [0, 1] (median to best candidate; a
failure counts as 0), so that datasets with different metrics and difficulty weigh the same.
A portfolio's score on a dataset is that of its best member; each step adds the candidate
that most raises the mean over datasets, until the size is reached or nothing improves.
Candidates that ``fit`` runs anyway (each model family's defaults) are ``given``: the
portfolio starts from their scores and spends no place on them, so each place goes to what
adds most to them.
"""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np


def normalise(scores: np.ndarray) -> np.ndarray:
    """Each row scaled to [0, 1]: 1 for its best finite score, 0 for its median and below.

    Scaling from the median rather than the worst keeps one disastrous candidate (an RMSE a
    thousand times the others') from squeezing every other candidate to about 1, which would
    leave that dataset with no say in the choice. Failures (NaN) are 0.
    """
    scores = np.asarray(scores, dtype=np.float64)
    finite = np.where(np.isfinite(scores), scores, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a row where every candidate failed
        low = np.nanmedian(finite, axis=1, keepdims=True)
        high = np.nanmax(finite, axis=1, keepdims=True)
    spread = np.where(high > low, high - low, 1.0)
    normalised = np.where(high > low, np.clip((scores - low) / spread, 0.0, 1.0), 1.0)
    return np.where(np.isfinite(scores), normalised, 0.0)


def greedy_portfolio(scores: np.ndarray, size: int,
                     given: Sequence[int] = ()) -> list[tuple[int, float]]:
    """Column indices of the portfolio in the order chosen, each with the mean normalised
    score the portfolio (with the ``given`` columns) reached when it was added."""
    normalised = normalise(scores)
    n_datasets, n_candidates = normalised.shape
    chosen: list[tuple[int, float]] = []
    best_so_far = normalised[:, list(given)].max(axis=1) if len(given) else np.zeros(n_datasets)
    current = float(best_so_far.mean())
    for _ in range(min(size, n_candidates - len(given))):
        reached = np.maximum(normalised, best_so_far[:, None]).mean(axis=0)
        reached[[index for index, _ in chosen] + list(given)] = -np.inf
        candidate = int(np.argmax(reached))  # ties go to the lower index: deterministic
        if chosen and reached[candidate] <= current + 1e-12:
            break
        chosen.append((candidate, float(reached[candidate])))
        best_so_far = np.maximum(best_so_far, normalised[:, candidate])
        current = float(reached[candidate])
    return chosen
