"""The search loop: hyperopt TPE (Bergstra et al. 2011) or random search, under the budget.

hyperopt is used ask-and-tell style: ``Proposer.ask`` inserts a new trial document and
decodes it into a readable config, ``Proposer.tell`` reports its score. Initial configs
(the fast default first) are inserted as documents too, so TPE learns from them. Trials run
in a :class:`~automl.runner.WorkerPool`; none starts unless it can end before the time
reserved for the final refit. Once ``defaults_after_seconds`` have passed (or, in the
deterministic mode, ``defaults_after_trials`` have started), the family defaults still queued
go before the warm-start configs still queued. On large data a
preview of the first config (fitted on a row sample, see ``automl.evaluate``) runs before
everything else; TPE is not told of it.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Callable, Literal

import numpy as np
from hyperopt import JOB_STATE_DONE, STATUS_FAIL, STATUS_OK, Trials, rand, tpe
from hyperopt.base import Domain

from automl.clock import Clock
from automl.evaluate import TrialResult
from automl.jobs import EvaluateJob, PreviewJob
from automl.prediction_store import PredictionStore
from automl.runner import WorkerPool
from automl.space import CompiledSpace, Config
from automl.trial_log import PREVIEW, Trial, TrialLog
from automl.warmstart import WARM_SOURCES, TrialAllowance

logger = logging.getLogger(__name__)

# A trial given less time than this is not worth starting.
MIN_TRIAL_SECONDS = 0.5


@dataclass(frozen=True)
class SearchSettings:
    """How to search: the algorithm, the limits and the configs to try first."""

    algorithm: Literal["tpe", "random"] = "tpe"
    seed: int = 0
    max_trials: int | None = None
    per_trial_seconds: float = 60.0
    n_startup_trials: int = 10
    initial_configs: tuple[tuple[Config, str], ...] = field(default_factory=tuple)
    preview_rows: int | None = None  # start with a preview of the first config on this many rows
    preview_config: Config | None = None  # the preview's config, if not the first config
    # Re-checks queued warm-start configs against what their families' trials took here.
    warm_allowance: TrialAllowance | None = None
    # Trials whose fits took less keep no fold models (``automl.jobs``): their refits are cheap.
    fold_models_min_seconds: float = 0.0
    # Seconds into fit, or trials started, after which the queued family defaults go before
    # the queued warm configs (trials in the deterministic mode, which reads no clock).
    defaults_after_seconds: float | None = None
    defaults_after_trials: int | None = None


class Proposer:
    """hyperopt's suggestion algorithms behind an ask/tell interface of readable configs."""

    def __init__(self, space: CompiledSpace, algorithm: str, seed: int, n_startup_trials: int) -> None:
        self._space = space
        self._domain = Domain(lambda _: 0.0, space.expression)
        self._trials = Trials()
        self._rng = np.random.default_rng(seed)
        self.source = algorithm  # the leaderboard's name for the configs ask() returns
        if algorithm == "tpe":
            self._suggest = partial(tpe.suggest, n_startup_jobs=n_startup_trials, verbose=False)
        else:
            self._suggest = rand.suggest

    def ask(self) -> tuple[int, Config]:
        """A new trial id and the config the algorithm proposes for it."""
        (trial_id,) = self._trials.new_trial_ids(1)
        seed = int(self._rng.integers(2**31 - 1))
        docs = self._suggest([trial_id], self._domain, self._trials, seed)
        self._insert(docs)
        return trial_id, self._space.decode(docs[0]["misc"]["vals"])

    def reserve_id(self) -> int:
        """A trial id for a job the algorithm is not told about (a preview)."""
        (trial_id,) = self._trials.new_trial_ids(1)
        return trial_id

    def add(self, config: Config) -> tuple[int, Config]:
        """Register a given config as the next trial (so the algorithm learns from it)."""
        (trial_id,) = self._trials.new_trial_ids(1)
        vals = self._space.encode(config)
        misc = {"tid": trial_id, "cmd": self._domain.cmd, "workdir": self._domain.workdir,
                "idxs": {key: [trial_id] if value else [] for key, value in vals.items()},
                "vals": vals}
        self._insert(self._trials.new_trial_docs([trial_id], [None], [self._domain.new_result()],
                                                 [misc]))
        return trial_id, self._space.decode(vals)

    def tell(self, trial_id: int, score: float | None) -> None:
        """Report a trial's score (None when it failed: hyperopt then treats it as worst)."""
        for doc in self._trials._dynamic_trials:
            if doc["tid"] == trial_id:
                doc["result"] = ({"status": STATUS_OK, "loss": -score} if score is not None
                                 else {"status": STATUS_FAIL})
                doc["state"] = JOB_STATE_DONE
        self._trials.refresh()

    def _insert(self, docs: list[dict[str, Any]]) -> None:
        self._trials.insert_trial_docs(docs)
        self._trials.refresh()


def run_search(space: CompiledSpace, pool: WorkerPool, clock: Clock, settings: SearchSettings,
               log: TrialLog, reserve_seconds: Callable[[TrialLog], float],
               early_models: dict[int, bytes], store: PredictionStore | None = None) -> None:
    """Run trials until the budget, ``max_trials`` or the user (Ctrl-C) says stop.

    ``reserve_seconds(log)`` is the time kept back for what follows the search (the final
    refit). ``early_models`` receives the first job's pipeline (the preview's, or the first
    trial's as fitted on its last fold's training rows): a model that exists seconds into
    the search, for when no trial can be refit on all rows. ``store`` receives successful
    trials' out-of-fold predictions, and the fold models that their workers were asked to
    keep; the log keeps none, so memory stays bounded. The preview does not count towards
    ``max_trials``.
    """
    proposer = Proposer(space, settings.algorithm, settings.seed, settings.n_startup_trials)
    queue = deque(settings.initial_configs)
    if settings.preview_rows and queue:
        queue.appendleft((settings.preview_config or queue[0][0], PREVIEW))
    running: dict[int, tuple[Config, str, float]] = {}
    n_started, n_submitted, stopping = 0, 0, False
    try:
        while True:
            while not stopping:
                limit = min(settings.per_trial_seconds, clock.remaining() - reserve_seconds(log))
                if (settings.max_trials is not None and n_started >= settings.max_trials) \
                        or limit < MIN_TRIAL_SECONDS:
                    stopping = True
                if stopping or not pool.n_idle:
                    break
                if _defaults_due(settings, clock, n_started):
                    queue = _defaults_first(queue)
                trial_id, config, source = _next(proposer, queue, settings.warm_allowance)
                limit = min(settings.per_trial_seconds, clock.remaining() - reserve_seconds(log))
                folds_to = None if store is None else store.fold_models_request(
                    trial_id, limit, settings.fold_models_min_seconds)
                request = PreviewJob(config, settings.preview_rows) if source == PREVIEW else \
                    EvaluateJob(config, n_submitted == 0, folds_to)
                pool.submit(trial_id, request, limit)
                running[trial_id] = (config, source, clock.elapsed())
                n_submitted += 1
                n_started += source != PREVIEW
            if stopping and not running:
                break
            for trial_id, outcome in pool.poll():
                config, source, started = running.pop(trial_id)
                result, model = _result_of(outcome)
                if settings.warm_allowance is not None and source in WARM_SOURCES:
                    settings.warm_allowance.observe(config, outcome.seconds)
                if isinstance(model, bytes):
                    early_models[trial_id] = model
                if result.predictions is not None:
                    if store is not None and result.status == "ok" and source != PREVIEW:
                        store.add(trial_id, result.score, result.predictions,
                                  result.fold_models)
                    result = replace(result, predictions=None)
                if source != PREVIEW:
                    proposer.tell(trial_id, result.score if result.status == "ok" else None)
                log.append(Trial(trial_id, config, source, result, started, clock.elapsed()))
                _log_progress(log, log.trials[-1])
    except KeyboardInterrupt:
        logger.warning("search interrupted: keeping the %d finished trials", len(log.trials))


def _next(proposer: Proposer, queue: deque, allowance: TrialAllowance | None = None
          ) -> tuple[int, Config, str]:
    while queue:
        config, source = queue.popleft()
        if source == PREVIEW:
            return proposer.reserve_id(), config, source
        if allowance is not None and source in WARM_SOURCES and not allowance.allows(config):
            logger.info("skipping a warm-start %s config: its family's trials took %.1f times "
                        "their estimates here", config["model"],
                        allowance.slowdown[config["model"]])
            continue
        try:
            trial_id, config = proposer.add(config)
            return trial_id, config, source
        except ValueError as error:  # a stale or malformed initial config is skipped
            logger.warning("skipping initial config %r: %s", config, error)
    trial_id, config = proposer.ask()
    return trial_id, config, proposer.source


def _defaults_due(settings: SearchSettings, clock: Clock, n_started: int) -> bool:
    """Whether the queued family defaults now go before the queued warm configs."""
    if settings.defaults_after_trials is not None:
        return n_started >= settings.defaults_after_trials
    return settings.defaults_after_seconds is not None \
        and clock.elapsed() >= settings.defaults_after_seconds


def _defaults_first(queue: deque) -> deque:
    """``queue`` with its warm-start configs moved behind everything else, in order."""
    return deque(sorted(queue, key=lambda item: item[1] in WARM_SOURCES))


def _result_of(outcome: Any) -> tuple[TrialResult, Any]:
    if outcome.status == "done":
        return outcome.value
    return TrialResult(outcome.status, error=outcome.error, fit_seconds=outcome.seconds), None


def _log_progress(log: TrialLog, trial: Trial) -> None:
    best = log.best()
    logger.info("trial %d %s %s score=%s best=%s", trial.trial, trial.config["model"],
                trial.result.status, trial.result.score, best.result.score if best else None)
