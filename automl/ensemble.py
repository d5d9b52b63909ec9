"""Greedy ensemble selection with replacement (Caruana, Niculescu-Mizil, Crew and Ksikes,
ICML 2004) over the out-of-fold predictions of the best trials.

Start from the best single model (sorted initialisation), then in each round add, with
replacement, the model whose addition gives the best score of the averaged predictions
(probabilities for classification, values for regression) on the task's own metric. The
ensemble returned is the best prefix of that sequence, so on the predictions it was chosen
on it is never worse than the best single model.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from automl.metrics import Metric


def select_ensemble(predictions: Sequence[np.ndarray], y: np.ndarray, metric: Metric,
                    n_classes: int, ensemble_size: int = 50) -> np.ndarray:
    """Integer counts, one per model, of the selected ensemble (their sum is its size).

    ``predictions[i]`` holds model i's out-of-fold predictions for the rows of ``y``
    (shape (n,) or (n, n_classes)). Ties go to the lower index, so the result is
    deterministic.
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
        scores = [metric.score(y, (total + member) / size, n_classes) for member in stacked]
        chosen = int(np.argmax(scores))
        counts[chosen] += 1
        total += stacked[chosen]
        if scores[chosen] > best_score:
            best_counts, best_score = counts.copy(), scores[chosen]
    return best_counts


def weights_from_counts(counts: np.ndarray) -> np.ndarray:
    """Counts turned into weights that sum to one."""
    counts = np.asarray(counts, dtype=np.float64)
    return counts / counts.sum()
