"""Choose and fit the final model inside what is left of the budget.

The best trial is refit on all rows when its measured fit time says that fits in the time
left; otherwise the next best that fits; a trial whose full-data model already exists (the
first trial's) is used as it is. If nothing can be refit, or every trial failed, the
fallback is a prior-predicting dummy model, with a warning.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import cloudpickle
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.pipeline import Pipeline

from automl.clock import Clock
from automl.data import Dataset
from automl.evaluate import Resampling
from automl.runner import WorkerPool
from automl.trial_log import Trial, TrialLog

logger = logging.getLogger(__name__)

# Fit time grows a little faster than linearly in rows for most models, and the refit pays
# for pickling the model back: keep a margin over the linear estimate.
_REFIT_SAFETY_FACTOR = 1.3
_REFIT_OVERHEAD_SECONDS = 0.3


def estimated_refit_seconds(trial: Trial, resampling: Resampling) -> float:
    """Seconds a full-data fit of this trial's config should take."""
    return (trial.result.fit_seconds * resampling.refit_factor * _REFIT_SAFETY_FACTOR
            + _REFIT_OVERHEAD_SECONDS)


def refit_reserve(log: TrialLog, models: dict[int, bytes], resampling: Resampling) -> float:
    """Time to keep back during the search for refitting the incumbent."""
    best = log.best()
    if best is None or best.trial in models:
        return 0.0
    return estimated_refit_seconds(best, resampling)


def final_model(log: TrialLog, models: dict[int, bytes], pool: WorkerPool, clock: Clock,
                resampling: Resampling, dataset: Dataset,
                end_margin_seconds: float) -> tuple[Any, Trial | None]:
    """The fitted final pipeline and the trial it comes from (None for the dummy fallback)."""
    for trial in log.ranked():
        if trial.trial in models:
            return cloudpickle.loads(models[trial.trial]), trial
        time_left = clock.remaining() - end_margin_seconds
        if estimated_refit_seconds(trial, resampling) > time_left:
            logger.info("trial %d would not refit in the %.1f s left; trying the next best",
                        trial.trial, time_left)
            continue
        model = _refit(pool, trial, time_left)
        if model is not None:
            return model, trial
    if log.ranked():
        warnings.warn("no successful trial could be refit within the budget; the final model "
                      "predicts the training prior. Give a larger time_budget.", UserWarning,
                      stacklevel=3)
    else:
        warnings.warn(f"all {len(log.trials)} trials failed (see leaderboard_['error']); the "
                      "final model predicts the training prior.", UserWarning, stacklevel=3)
    return dummy_model(dataset), None


def _refit(pool: WorkerPool, trial: Trial, time_left: float) -> Any | None:
    """Fit the trial's config on all rows in a worker; None when that fails or runs out."""
    job_id = ("refit", trial.trial)
    deadline_clock = Clock(time_left)
    while pool.n_idle == 0:
        if deadline_clock.remaining() <= 0:
            return None
        pool.poll()
    pool.submit(job_id, ("refit", trial.config), deadline_clock.remaining())
    while True:
        for finished_id, outcome in pool.poll():
            if finished_id != job_id:
                continue
            if outcome.status == "done" and isinstance(outcome.value, bytes):
                return cloudpickle.loads(outcome.value)
            reason = outcome.error if outcome.status != "done" else outcome.value
            logger.warning("refitting trial %d failed (%s): %s", trial.trial, outcome.status, reason)
            return None


def dummy_model(dataset: Dataset) -> Pipeline:
    """A model that predicts the training prior (classes) or mean (regression)."""
    model = DummyRegressor() if dataset.task == "regression" else DummyClassifier(strategy="prior")
    return Pipeline([("model", model)]).fit(dataset.X, dataset.y)
