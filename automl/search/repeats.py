"""Scoring the leaders again on new draws of the folds, once the search is past its early gains.

With hundreds of trials scored on the same few folds of a small table, the best scores are
partly the luck of that one draw (overtuning: Schneider, Bisch and Feurer, AutoML 2025, who
find repeated cross-validation its best remedy). From the plan's ``repeats_after_seconds``
on, every ``REPEAT_EVERY``-th job the search submits scores one of the leaders (the
``REPEAT_LEADERS`` best kept trials) on another draw of the folds, the one with the fewest
draws first, up to ``MAX_SPLITS`` draws each; the final stage chooses on all the draws a set
of leaders share (``final.assemble``). Only under cross-validation, where every row is
validated on every draw, and only while every draw's predictions fit in the prediction
store's memory.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

from automl.trials.budget import MAX_SPLITS, REPEAT_EVERY, REPEAT_LEADERS
from automl.trials.evaluate import Resampling, TrialResult
from automl.trials.prediction_store import PredictionStore

logger = logging.getLogger(__name__)


@dataclass
class Repeats:
    """Which leader to score on which draw next, and the scores of the draws so far."""

    after_seconds: float | None  # None: never (the plan's ``repeats_after_seconds``)
    scores: dict[int, list[float]] = field(default_factory=dict)  # trial -> draws 1, 2, ...
    _in_flight: Counter = field(default_factory=Counter)
    _given_up: set[int] = field(default_factory=set)
    _turns: int = 0

    @classmethod
    def for_search(cls, after_seconds: float | None, resampling: Resampling) -> Repeats:
        return cls(after_seconds if resampling.kind == "cv" else None)

    def next(self, store: PredictionStore, elapsed: float) -> tuple[int, int] | None:
        """The (trial, draw) to submit now, or None: a new trial goes instead."""
        if self.after_seconds is None or elapsed < self.after_seconds or not store.trials:
            return None
        self._turns += 1
        if self._turns % REPEAT_EVERY or not self._affordable(store):
            return None
        pending = [(store.n_splits(trial) + self._in_flight[trial], rank, trial)
                   for rank, trial in enumerate(store.trials[:REPEAT_LEADERS])
                   if trial not in self._given_up]
        pending = [item for item in pending if item[0] < MAX_SPLITS]
        if not pending:
            return None
        draw, _, trial = min(pending)
        self._in_flight[trial] += 1
        return trial, draw

    def finished(self, trial: int, result: TrialResult, store: PredictionStore) -> None:
        """Keep a draw's predictions with its trial; a leader whose draw failed (ran out of
        time, most often) is not tried again."""
        self._in_flight[trial] -= 1
        if result.status != "ok" or result.predictions is None:
            logger.info("trial %d on another draw of the folds: %s", trial, result.status)
            self._given_up.add(trial)
        elif store.add_split(trial, result.predictions):
            self.scores.setdefault(trial, []).append(float(result.score))

    def _affordable(self, store: PredictionStore) -> bool:
        """Whether every leader's every draw fits in the store's memory."""
        return store.nbytes(store.trials[0]) * MAX_SPLITS * REPEAT_LEADERS \
            <= store.memory_bytes
