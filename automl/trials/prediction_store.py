"""The out-of-fold predictions of the best trials, bounded in count and in memory.

Ensemble selection needs each candidate's out-of-fold predictions, and a long search on a
large dataset produces many: 500 trials of 100k rows x 10 classes is 4 GB. The store keeps
only the ``capacity`` best trials by validation score; of those, the best are held in memory
up to ``memory_bytes`` and the rest are written to ``.npy`` files in ``spill_dir``. A trial
pushed out of the top ``capacity`` is forgotten, its file deleted.

The same folder holds the kept trials' fold models (written by the workers, see
``automl.trials.jobs``): the ensemble falls back on them for a member whose refit on all rows does
not fit in the time left. They go with their trial's predictions.

A kept trial scored again on other draws of the folds (``search.repeats``) keeps those
predictions too, in memory, one array per draw: the search repeats only trials of data small
enough for that (``automl.search.repeats``).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cloudpickle
import numpy as np

# Default memory held by the store before it spills to disk.
DEFAULT_MEMORY_BYTES = 256 * 2**20


@dataclass
class _Entry:
    trial: int
    score: float
    array: np.ndarray | None  # None when spilled
    nbytes: int
    path: Path | None = None
    fold_models: Path | None = None  # the pickled fold models, when the worker kept them
    # Out-of-fold predictions on the other draws of the folds, in the order they were scored.
    more_splits: list[np.ndarray] = field(default_factory=list)


class PredictionStore:
    """The best ``capacity`` trials' predictions, best first, partly on disk."""

    def __init__(self, capacity: int, spill_dir: Path,
                 memory_bytes: int = DEFAULT_MEMORY_BYTES) -> None:
        if capacity < 1:
            raise ValueError(f"ensemble_nbest must be at least 1, got {capacity!r}.")
        self.capacity = capacity
        self.memory_bytes = memory_bytes
        self.spill_dir = Path(spill_dir)
        self._entries: list[_Entry] = []

    def add(self, trial: int, score: float, predictions: np.ndarray,
            fold_models: str | None = None) -> bool:
        """Keep a trial's predictions (and the file of its fold models, if any) if it is
        among the best; True when it was kept. Files of what is not kept are deleted."""
        array = np.asarray(predictions, dtype=np.float64)
        entry = _Entry(trial, float(score), array, array.nbytes,
                       fold_models=Path(fold_models) if fold_models else None)
        self._entries.append(entry)
        self._entries.sort(key=lambda e: (-e.score, e.trial))
        for dropped in self._entries[self.capacity:]:
            for path in (dropped.path, dropped.fold_models):
                if path is not None:
                    path.unlink(missing_ok=True)
        self._entries = self._entries[:self.capacity]
        self._place()
        return entry in self._entries

    def fold_models_request(self, trial: int, seconds: float, min_fit_seconds: float = 0.0
                            ) -> tuple[str, float, float, float]:
        """What a trial with a time limit of ``seconds`` is told (see ``automl.trials.jobs``): where
        to write its fold models, the score it must beat to be kept (the worst kept score
        once the store is full), its time limit, and the fit time below which it keeps
        none."""
        self.spill_dir.mkdir(parents=True, exist_ok=True)
        threshold = self._entries[-1].score if len(self._entries) >= self.capacity else -np.inf
        return (str(self.spill_dir / f"trial-{trial}-folds.pkl"), threshold, seconds,
                min_fit_seconds)

    def add_split(self, trial: int, predictions: np.ndarray) -> bool:
        """Keep a kept trial's out-of-fold predictions on another draw of the folds; False
        when the trial is no longer kept."""
        entry = self._find(trial)
        if entry is not None:
            entry.more_splits.append(np.asarray(predictions, dtype=np.float64))
        return entry is not None

    def nbytes(self, trial: int) -> int:
        """The size of a kept trial's predictions on one draw of the folds."""
        entry = self._find(trial)
        return 0 if entry is None else entry.nbytes

    def n_splits(self, trial: int) -> int:
        """The draws of the folds a kept trial has predictions for (0 when it is not kept)."""
        entry = self._find(trial)
        return 0 if entry is None else 1 + len(entry.more_splits)

    def splits(self, trial: int, n: int) -> list[np.ndarray]:
        """A kept trial's predictions on its first ``n`` draws of the folds."""
        entry = self._find(trial)
        if entry is None or n > 1 + len(entry.more_splits):
            raise KeyError(f"trial {trial} has no predictions on {n} draws of the folds")
        return [self.get(trial)] + entry.more_splits[:n - 1]

    def has_fold_models(self, trial: int) -> bool:
        entry = self._find(trial)
        return entry is not None and entry.fold_models is not None

    def fold_models(self, trial: int) -> list[Any] | None:
        """A kept trial's fold models, the pipelines fitted on each split (the final stage
        averages them: ``assemble.averaged_folds``); None when the worker did not keep them or
        they cannot be read."""
        entry = self._find(trial)
        if entry is None or entry.fold_models is None:
            return None
        try:
            return cloudpickle.loads(entry.fold_models.read_bytes())
        except Exception:  # a fallback that fails is no fallback: refit or drop
            return None

    def _find(self, trial: int) -> _Entry | None:
        return next((entry for entry in self._entries if entry.trial == trial), None)

    def _place(self) -> None:
        """Hold the best entries in memory up to the cap; spill the others."""
        used = 0
        for entry in self._entries:
            if used + entry.nbytes <= self.memory_bytes:
                if entry.array is None:
                    entry.array = np.load(entry.path)
                used += entry.nbytes
            elif entry.array is not None:
                if entry.path is None:
                    self.spill_dir.mkdir(parents=True, exist_ok=True)
                    entry.path = self.spill_dir / f"trial-{entry.trial}.npy"
                    np.save(entry.path, entry.array)
                entry.array = None

    @property
    def trials(self) -> list[int]:
        """The kept trials, best first."""
        return [entry.trial for entry in self._entries]

    @property
    def n_in_memory(self) -> int:
        return sum(entry.array is not None for entry in self._entries)

    def get(self, trial: int) -> np.ndarray:
        """One kept trial's predictions (read from disk when spilled)."""
        entry = self._find(trial)
        if entry is not None:
            return entry.array if entry.array is not None else np.load(entry.path)
        raise KeyError(f"trial {trial} is not among the {len(self._entries)} kept predictions")

    def clear(self) -> None:
        """Forget everything and delete the spill folder."""
        self._entries = []
        shutil.rmtree(self.spill_dir, ignore_errors=True)
