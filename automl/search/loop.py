"""The search loop: hyperopt TPE (Bergstra et al. 2011) or random search, under the budget.

hyperopt is used ask-and-tell style: ``Proposer.ask`` inserts a new trial document and
decodes it into a readable config, ``Proposer.tell`` reports its score. Initial configs
(the fast default first) are inserted as documents too, so TPE learns from them. Trials run
in a :class:`~automl.trials.runner.WorkerPool`; none starts unless it can end before the time the
fit's :class:`~automl.trials.budget.BudgetPlan` keeps back for the final stage. Once the plan's
``defaults_after_seconds`` have passed (or, in the deterministic mode, its
``defaults_after_trials`` have started), the family defaults still queued go before the
warm-start configs still queued. On large data a preview of the first config (fitted on a
row sample, see ``automl.trials.preview``) runs before everything else; TPE is not told of it.
Later in a long search, the leaders are scored again on new draws of the folds beside the
new trials (``automl.search.repeats``).
"""

from __future__ import annotations

import logging
import math
from collections import deque
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Literal

import numpy as np
from hyperopt import JOB_STATE_DONE, STATUS_FAIL, STATUS_OK, Trials, rand, tpe
from hyperopt.base import Domain

from automl.base.clock import Clock
from automl.search.repeats import Repeats
from automl.search.warmstart import WARM_SOURCES, TrialAllowance, WarmTrialCheck
from automl.space.compiled import CompiledSpace, Config
from automl.trials.budget import MIN_TRIAL_SECONDS, BudgetPlan
from automl.trials.evaluate import Resampling, TrialResult
from automl.trials.jobs import EvaluateJob, PreviewJob
from automl.trials.prediction_store import DEFAULT_MEMORY_BYTES, PredictionStore
from automl.trials.runner import JobOutcome, WorkerPool
from automl.trials.search_result import SearchResult
from automl.trials.trial_log import PREVIEW, Trial, TrialLog

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchSettings:
    """How to search: the algorithm, the limits and the configs to try first. How long
    (the trial limit, what to keep back, when the defaults go first) is the fit's
    :class:`~automl.trials.budget.BudgetPlan`."""

    algorithm: Literal["tpe", "random"] = "tpe"
    seed: int = 0
    max_trials: int | None = None
    n_startup_trials: int = 10
    initial_configs: tuple[tuple[Config, str], ...] = field(default_factory=tuple)
    preview_rows: int | None = None  # start with a preview of the first config on this many rows
    preview_config: Config | None = None  # the preview's config, if not the first config
    # Queued warm-start configs are checked again against what their families' trials took
    # here (``WarmTrialCheck``); None: never.
    warm_allowance: TrialAllowance | None = None
    nbest: int = 20  # trials whose out-of-fold predictions are kept for the ensemble
    predictions_memory_bytes: int = DEFAULT_MEMORY_BYTES  # held in memory; more spill to disk


class Proposer:
    """hyperopt's suggestion algorithms behind an ask/tell interface of readable configs."""

    def __init__(self, space: CompiledSpace, algorithm: str, seed: int,
                 n_startup_trials: int) -> None:
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
               plan: BudgetPlan, resampling: Resampling, log: TrialLog) -> SearchResult:
    """Run trials until the budget, ``max_trials`` or the user (Ctrl-C) says stop, appending
    each finished trial to ``log`` (a progress display may be reading it).

    No trial starts unless it can end before what ``plan`` keeps back for the final stage,
    given the trials so far. Successful trials' out-of-fold predictions go to the result's
    store, with the fold models their workers were asked to keep; the log keeps none, so
    memory stays bounded. The preview does not count towards ``max_trials``.
    """
    store = PredictionStore(settings.nbest, log.path.parent / f"{log.path.stem}-oof",
                            settings.predictions_memory_bytes)
    early_models: dict[int, bytes] = {}
    proposer = Proposer(space, settings.algorithm, settings.seed, settings.n_startup_trials)
    queue = deque(settings.initial_configs)
    if settings.preview_rows and queue:
        queue.appendleft((settings.preview_config or queue[0][0], PREVIEW))
    check = None if settings.warm_allowance is None else WarmTrialCheck(settings.warm_allowance)
    running: dict[int, Trial] = {}  # submitted, by trial: the record the log will keep
    repeats = Repeats.for_search(plan.repeats_after_seconds, resampling)
    redrawn: dict[tuple[int, int], Config] = {}  # submitted draws, by (trial, draw)
    n_started, n_submitted, stopping = 0, 0, False

    def limit() -> float:
        kept_back = plan.kept_back_seconds(log, resampling)
        return min(plan.trial_seconds, clock.remaining() - kept_back)

    try:
        while True:
            while not stopping:
                stopping = (settings.max_trials is not None
                            and n_started >= settings.max_trials) or limit() < MIN_TRIAL_SECONDS
                if stopping or not pool.n_idle:
                    break
                draw = repeats.next(store, clock.elapsed())
                if draw is not None:
                    redrawn[draw] = next(t.config for t in log.trials if t.trial == draw[0])
                    pool.submit(draw, EvaluateJob(redrawn[draw], split=draw[1]), limit())
                    continue
                if _defaults_due(plan, clock, n_started):
                    queue = _defaults_first(queue)
                trial_id, config, source = _next(proposer, queue, check)
                seconds = limit()
                job = PreviewJob(config, settings.preview_rows) if source == PREVIEW else \
                    EvaluateJob(config, n_submitted == 0, store.fold_models_request(
                        trial_id, seconds, plan.fold_models_min_seconds))
                pool.submit(trial_id, job, seconds)
                running[trial_id] = Trial(trial_id, config, source, TrialResult("running"),
                                          clock.elapsed(), math.nan)
                n_submitted += 1
                n_started += source != PREVIEW
            if stopping and not running and not redrawn:
                break
            for trial_id, outcome in pool.poll():
                if trial_id in redrawn:
                    del redrawn[trial_id]
                    repeats.finished(trial_id[0], _result_of(outcome)[0], store)
                    continue
                trial = _finished(running.pop(trial_id), outcome, clock.elapsed(), check,
                                  store, early_models)
                if not trial.preview:
                    proposer.tell(trial.trial, trial.result.score if trial.ok else None)
                log.append(trial)
                _log_progress(log, trial)
    except KeyboardInterrupt:
        logger.warning("search interrupted: keeping the %d finished trials", len(log.trials))
    except BaseException:
        store.clear()
        raise
    return SearchResult(log, store, early_models, repeats.scores)


def _finished(trial: Trial, outcome: JobOutcome, finished: float, check: WarmTrialCheck | None,
              store: PredictionStore, early_models: dict[int, bytes]) -> Trial:
    """``trial`` with its result; its predictions and fold models go to ``store``, the
    pipeline the first job kept to ``early_models``."""
    result, model = _result_of(outcome)
    if check is not None and trial.source in WARM_SOURCES:
        check.observe(trial.config, outcome.seconds)
    if isinstance(model, bytes):
        early_models[trial.trial] = model
    if result.predictions is not None:
        if result.status == "ok" and not trial.preview:
            store.add(trial.trial, result.score, result.predictions, result.fold_models)
        result = replace(result, predictions=None)
    return replace(trial, result=result, finished_at_seconds=finished)


def _next(proposer: Proposer, queue: deque, check: WarmTrialCheck | None = None
          ) -> tuple[int, Config, str]:
    while queue:
        config, source = queue.popleft()
        if source == PREVIEW:
            return proposer.reserve_id(), config, source
        if check is not None and source in WARM_SOURCES and not check.allows(config):
            logger.info("skipping a warm-start %s config: its family's trials took %.1f times "
                        "their estimates here", config["model"], check.slowdown[config["model"]])
            continue
        try:
            trial_id, config = proposer.add(config)
            return trial_id, config, source
        except ValueError as error:  # a stale or malformed initial config is skipped
            logger.warning("skipping initial config %r: %s", config, error)
    trial_id, config = proposer.ask()
    return trial_id, config, proposer.source


def _defaults_due(plan: BudgetPlan, clock: Clock, n_started: int) -> bool:
    """Whether the queued family defaults now go before the queued warm configs."""
    if plan.defaults_after_trials is not None:
        return n_started >= plan.defaults_after_trials
    return plan.defaults_after_seconds is not None \
        and clock.elapsed() >= plan.defaults_after_seconds


def _defaults_first(queue: deque) -> deque:
    """``queue`` with its warm-start configs moved behind everything else, in order."""
    return deque(sorted(queue, key=lambda item: item[1] in WARM_SOURCES))


def _result_of(outcome: JobOutcome) -> tuple[TrialResult, Any]:
    if outcome.status == "done":
        return outcome.value
    return TrialResult(outcome.status, error=outcome.error, fit_seconds=outcome.seconds), None


def _log_progress(log: TrialLog, trial: Trial) -> None:
    best = log.best()
    logger.info("trial %d %s %s score=%s best=%s", trial.trial, trial.config["model"],
                trial.result.status, trial.result.score, best.result.score if best else None)
