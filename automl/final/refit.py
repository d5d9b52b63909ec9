"""Choose and fit the final model inside what is left of the budget.

The best trial is refit on all rows when its measured fit time, with the time to hand its
model over from the worker (``automl.trials.model_size``), says that fits in the time left;
otherwise the next best that fits; a trial whose full-data model already exists is used as
it is. A trial that cannot be refit in time but whose fold models the search kept
(``automl.trials.prediction_store``) is used as those models averaged, with a warning. If nothing
can be refit, the first job's model (the preview's, or the first trial's as fitted on its
last fold, kept by the search) is used, with a warning; so is the first trial's when it
scored better than every trial that could be refit (a model trained on a fold's rows beats
a weaker one trained on all of them); if every trial failed, a prior-predicting dummy
model, with a warning. ``refit_in_workers`` is the one way trials are refit, for one
pipeline or an ensemble's members. Every refit is checked against its trial's validation
score (``automl.final.refit_check``); one that lost what validation promised counts as failed,
and the same fallbacks take over.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import cloudpickle
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.pipeline import Pipeline

from automl.base.clock import Clock
from automl.base.metrics import Metric
from automl.final.refit_check import checked_refit
from automl.input.data import Dataset
from automl.space.compiled import Config
from automl.trials.budget import (SHORTEST_USEFUL_BUDGET, WORKER_START_SECONDS, estimated_handover,
                                  estimated_refit_seconds)
from automl.trials.evaluate import EvaluationContext
from automl.trials.jobs import dump
from automl.trials.model_size import estimate_handover
from automl.trials.runner import WorkerPool
from automl.trials.trial_log import Trial, TrialLog

logger = logging.getLogger(__name__)

# What a final model (or member) was fitted on: ``ensemble_["fitted_on"]``.
ALL_ROWS, FOLDS, ONE_FOLD = "all rows", "folds", "one fold"


@dataclass(frozen=True)
class RefitFile:
    """A refit's model, pickled to ``path`` by the worker: its size and the seconds it should
    take to load (``automl.trials.model_size``)."""

    path: str
    nbytes: int
    load_seconds: float


@dataclass(frozen=True)
class RefitJob:
    """Fit ``config`` on all rows in a worker, check it against the trial's
    ``validated_score`` (``automl.final.refit_check``) and pickle it to ``path``: what the parent
    needs to load it, or the error as text (the parent falls back)."""

    config: Config
    path: str
    validated_score: float | None

    def run(self, context: EvaluationContext, n_threads: int) -> RefitFile | str:
        try:
            model = checked_refit(self.config, context, n_threads, self.validated_score)
            load_seconds = estimate_handover(model).load_seconds
            dump(model, self.path)
            return RefitFile(self.path, os.path.getsize(self.path), load_seconds)
        except MemoryError as error:
            return f"MemoryError: {error}"
        except Exception as error:  # reported to the parent, which falls back
            return f"{type(error).__name__}: {error}"


class RefitModels:
    """The trials refit on all rows, as pickle files in the run's folder, by trial.

    The workers write them there rather than sending them down the pipe: a large forest
    takes longer to send that way, and it would be held twice in this process.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._paths: dict[int, Path] = {}
        # Why a trial's refit failed (an error, or ``automl.final.refit_check``'s verdict), by trial.
        self.failed: dict[int, str] = {}

    def __contains__(self, trial: object) -> bool:
        return trial in self._paths

    def __len__(self) -> int:
        return len(self._paths)

    def path_for(self, trial: int) -> Path:
        """Where a worker should write trial ``trial``'s model."""
        self.directory.mkdir(parents=True, exist_ok=True)
        return self.directory / f"trial-{trial}-refit.pkl"

    def add(self, trial: int, path: Path) -> None:
        self._paths[trial] = Path(path)

    def load(self, trial: int) -> Any:
        with self._paths[trial].open("rb") as handle:
            return cloudpickle.load(handle)


def final_model(log: TrialLog, models: RefitModels, pool: WorkerPool, clock: Clock,
                context: EvaluationContext, end_margin_seconds: float,
                early_models: dict[int, bytes] | None = None,
                fold_models: Callable[[int], Any | None] | None = None,
                ranked: list[Trial] | None = None) -> tuple[Any, Trial | None, str]:
    """The fitted final pipeline, the trial it comes from (None for the dummy fallback) and
    what it was fitted on: ``all rows``, ``folds`` or ``one fold`` (a kept model; see
    :func:`kept_model`).

    ``fold_models(trial)`` gives a trial's fold models averaged where the search kept them
    (``assemble.averaged_folds``): they stand in for a refit that does not fit. ``ranked``
    orders the trials tried (the log's ranking when None).
    """
    resampling, dataset = context.resampling, context.dataset
    early_models = early_models or {}
    set_aside: dict[int, str] = {}  # better trials passed over, with why
    for trial in ranked if ranked is not None else log.ranked():
        if trial.trial in models:
            _warn_set_aside(set_aside, trial, models.failed)
            return models.load(trial.trial), trial, ALL_ROWS
        time_left = clock.remaining() - end_margin_seconds
        if estimated_refit_seconds(trial, resampling) <= time_left:
            model = refit_in_workers([trial], models, pool, clock, end_margin_seconds,
                                     context).get(trial.trial)
            if model is not None:
                _warn_set_aside(set_aside, trial, models.failed)
                return model, trial, ALL_ROWS
        folds = fold_models(trial.trial) if fold_models is not None else None
        if folds is not None:  # validated better than any trial after it
            failed = models.failed.get(trial.trial)
            why, advice = (f"({failed})", "") if failed else \
                ("within the budget", " Give a larger time_budget.")
            warnings.warn(f"trial {trial.trial} could not be refit on all rows {why}; the final "
                          f"model is its {len(folds.members)} fold model(s) averaged, each "
                          f"fitted on a validation split's training rows."
                          f"{_passed_over(set_aside)}{advice}", UserWarning, stacklevel=3)
            return folds, trial, FOLDS
        if trial.trial in early_models:  # validated better than any trial after it
            return kept_model(trial, early_models, stacklevel=4), trial, ONE_FOLD
        logger.info("trial %d was not refit in the %.1f s left; trying the next best",
                    trial.trial, time_left)
        set_aside[trial.trial] = models.failed.get(
            trial.trial, f"not refit on all rows in the {max(time_left, 0):.1f} s left")
    early = [trial for trial in log.trials if trial.ok and trial.trial in early_models]
    if early:
        return kept_model(early[0], early_models, stacklevel=4), early[0], ONE_FOLD
    if any(trial.ok for trial in log.trials):
        warnings.warn("no successful trial could be refit within the budget; the final model "
                      "predicts the training prior. Give a larger time_budget.", UserWarning,
                      stacklevel=3)
    elif log.trials:
        warnings.warn(f"all {len(log.trials)} trials failed (see leaderboard_['error']); the "
                      "final model predicts the training prior.", UserWarning, stacklevel=3)
    else:
        warnings.warn(f"no trial could run in the {clock.budget_seconds:g} s budget: the "
                      f"worker processes take about {WORKER_START_SECONDS:g} s to start (a "
                      f"later fit in this Python process reuses them). The final model "
                      f"predicts the training prior. Give a time_budget of "
                      f"{SHORTEST_USEFUL_BUDGET:g} s or more.", UserWarning, stacklevel=3)
    return dummy_model(dataset, context.metric), None, ALL_ROWS


def _warn_set_aside(set_aside: dict[int, str], chosen: Trial, failed: dict[int, str]) -> None:
    """Tell the user when the final model is not the best-validated trial: the trials that
    validated better were passed over, each for the reason given (a refused or failed refit,
    or no time left), and kept neither fold models nor a fitted first-fold model to stand in.
    Silence here would ship a weaker model than ``leaderboard_`` leads with."""
    if not set_aside:
        return
    advice = " Give a larger time_budget." if any(n not in failed for n in set_aside) else ""
    warnings.warn(f"the final model is trial {chosen.trial}, refit on all rows."
                  f"{_passed_over(set_aside)}{advice}", UserWarning, stacklevel=4)


def _passed_over(set_aside: dict[int, str]) -> str:
    """The sentence naming the better-validated trials set aside, with why; "" for none."""
    if not set_aside:
        return ""
    reasons = "; ".join(f"trial {number}: {why}" for number, why in set_aside.items())
    return f" {len(set_aside)} trial(s) that validated better were set aside ({reasons})."


def kept_model(trial: Trial, early_models: dict[int, bytes], stacklevel: int = 3) -> Any:
    """The pipeline the search kept from ``trial`` (the preview's, or the first trial's as
    fitted on its last fold), with a warning: it is the final model because no trial that
    scored better could be refit on all rows in time."""
    what = (f"the preview (trial {trial.trial}), fitted on a sample of its validation split's "
            f"training rows" if trial.preview else f"trial {trial.trial} as fitted on its "
            f"validation split's training rows")
    warnings.warn(f"no better trial could be refit on all rows within the budget; the final "
                  f"model is {what}. Give a larger time_budget.", UserWarning,
                  stacklevel=stacklevel)
    return cloudpickle.loads(early_models[trial.trial])


def refit_in_workers(trials: list[Trial], models: RefitModels, pool: WorkerPool,
                     clock: Clock, end_margin_seconds: float,
                     context: EvaluationContext) -> dict[int, Any]:
    """The trials fitted on all rows, by trial: refit in the workers, in parallel.

    Each job runs under the hard time limit of what is left of the budget less the time its
    model should take to load here (``automl.trials.model_size``); a model whose load, estimated from
    its size, no longer fits when it arrives is not loaded. Each model is loaded as it
    arrives, while the workers go on with the next refits, so that loading a large forest does
    not come after the last refit. Successes also land in ``models``; a trial already there is
    not refit. When no worker is alive (the last trial was killed and its replacement is
    still starting, which takes seconds), it waits for one: a refit never runs in this
    process, where no limit could stop it.
    """
    loaded = {trial.trial: models.load(trial.trial) for trial in trials if trial.trial in models}
    pending = [trial for trial in trials if trial.trial not in models]
    running: dict[tuple[str, int], Trial] = {}
    while pending or running:
        time_left = clock.remaining() - end_margin_seconds
        if time_left <= 0:
            logger.warning("no time left to refit %d trials", len(pending) + len(running))
            return loaded
        if pending and not running and not pool.n_idle:
            pool.poll(timeout=0.1)  # a worker still starting: wait, never refit here
            continue
        _submit(pending, running, pool, models, context, time_left)
        finished = [(running.pop(job_id), outcome) for job_id, outcome in pool.poll()
                    if job_id in running]
        # The workers just freed start on the next refits before the models are loaded here.
        _submit(pending, running, pool, models, context, clock.remaining() - end_margin_seconds)
        for trial, outcome in finished:
            if outcome.status == "done" and isinstance(outcome.value, RefitFile):
                _load_refit(trial, outcome.value, outcome.seconds, models, loaded,
                            clock.remaining() - end_margin_seconds)
            else:
                if outcome.status != "timeout":  # out of time is said otherwise
                    models.failed[trial.trial] = str(outcome.error or outcome.value)
                logger.warning("refitting trial %d failed (%s): %s", trial.trial,
                               outcome.status, outcome.error or outcome.value)
    return loaded


def _submit(pending: list[Trial], running: dict[tuple[str, int], Trial], pool: WorkerPool,
            models: RefitModels, context: EvaluationContext, time_left: float) -> None:
    """Start the next pending refits on the idle workers, each limited to ``time_left`` less
    its model's estimated load; one whose load alone would not fit is not started."""
    while pending and pool.n_idle and time_left > 0:
        trial = pending.pop(0)
        limit = time_left - estimated_handover(trial, context.resampling).load_seconds
        if limit <= 0:
            logger.info("not refitting trial %d: loading its model alone would not fit in the "
                        "%.1f s left", trial.trial, time_left)
            continue
        running[("refit", trial.trial)] = trial
        pool.submit(("refit", trial.trial),
                    RefitJob(trial.config, str(models.path_for(trial.trial)), trial.result.score),
                    limit)


def _load_refit(trial: Trial, refit: RefitFile, seconds: float, models: RefitModels,
                loaded: dict[int, Any], time_left: float) -> None:
    """Load a worker's refit into ``loaded`` (and ``models``), unless its estimated load time
    says it would end after ``time_left``; then its file is deleted."""
    megabytes = refit.nbytes / 2**20
    if refit.load_seconds > time_left:
        logger.warning("trial %d was refit in %.1f s, but loading its %.0f MB model would take "
                       "about %.1f s of the %.1f s left: not used", trial.trial, seconds,
                       megabytes, refit.load_seconds, time_left)
        Path(refit.path).unlink(missing_ok=True)
        return
    models.add(trial.trial, Path(refit.path))
    loading = time.monotonic()
    loaded[trial.trial] = models.load(trial.trial)
    logger.info("refit trial %d in %.1f s; its %.0f MB model loaded in %.1f s (estimated "
                "%.1f s)", trial.trial, seconds, megabytes, time.monotonic() - loading,
                refit.load_seconds)


def dummy_model(dataset: Dataset, metric: Metric | None = None) -> Pipeline:
    """A model that predicts the training prior: the class shares, or the constant that
    ``metric`` scores best (the mean; the median for absolute error)."""
    center = metric.center if metric is not None else "mean"
    model = DummyRegressor(strategy=center) if dataset.task == "regression" else \
        DummyClassifier(strategy="prior")
    return Pipeline([("model", model)]).fit(dataset.X, dataset.y)
