"""What ``fit`` does, stage by stage, once the input is validated.

metric -> components -> space -> resampling -> workers -> search -> final model. Kept apart
from the estimator classes so that they stay a thin scikit-learn face.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Sequence

from automl.base.clock import Clock
from automl.base.exceptions import InputError
from automl.base.metrics import Metric, get_metric
from automl.final.assemble import (EnsembleSettings, FinalModel, assemble_final_model,
                                   unless_the_prior_scores_higher, with_prior_blend)
from automl.final.refit import RefitModels
from automl.input.data import Dataset
from automl.search.loop import SearchSettings, run_search
from automl.search.warmstart import TrialAllowance, WarmStart, warm_start_for
from automl.space.compiled import CompiledSpace, Config, compile_space, config_key
from automl.space.components import load_components
from automl.trials.budget import BudgetPlan, plan_budget
from automl.trials.evaluate import EvaluationContext, Resampling, make_resampling, prior_score
from automl.trials.preview import PREVIEW_ROWS, has_preview, preview_config
from automl.trials.run_dirs import new_run_dir
from automl.trials.runner import WorkerPool, default_memory_limit_mb
from automl.trials.threads import usable_cores
from automl.trials.trial_log import TrialLog

logger = logging.getLogger(__name__)

# TPE's random start-up trials after the initial configs; warm-start configs replace them.
_RANDOM_STARTUP_TRIALS = 5


@dataclass(frozen=True)
class FitOptions:
    """The estimator's constructor arguments, checked and resolved."""

    metric: str | Callable[..., float] = "auto"
    seed: int = 0
    n_jobs: int | None = None
    max_trials: int | None = None
    search: str = "tpe"
    resampling: str = "auto"
    n_folds: int | None = None
    include_models: Sequence[str] | None = None
    exclude_models: Sequence[str] | None = None
    initial_configs: Sequence[Config] = field(default_factory=tuple)
    extra_components: Sequence[str | os.PathLike] | None = None
    per_trial_time_limit: float | None = None
    memory_limit_mb: int | None = None
    log_dir: str | os.PathLike | None = None
    ensemble: EnsembleSettings = field(default_factory=EnsembleSettings)
    warm_start: bool | str | os.PathLike = True


@dataclass(frozen=True)
class FitOutcome:
    """What a finished search leaves behind."""

    final: FinalModel
    log: TrialLog
    metric: Metric
    space: CompiledSpace
    prior_score: float | None = None  # of predicting the training prior, on validation
    warm: WarmStart = WarmStart()  # where the search started, and why
    # The leaders' scores on other draws of the folds, by trial (``search.repeats``).
    split_scores: dict[int, list[float]] = field(default_factory=dict)


def start_workers(options: FitOptions) -> WorkerPool:
    """The worker processes ``fit_automl`` will use, started before the input is checked:
    their interpreter start and imports (about 2 s) overlap the checking.

    Each job's model gets the threads that other processes leave free (``automl.trials.threads``);
    in the deterministic mode, always one, so that a busy machine cannot change the models."""
    n_workers, n_threads = parallelism(options.n_jobs)
    fixed = deterministic(options)
    return WorkerPool(None, n_workers, 1 if fixed else n_threads,
                      options.memory_limit_mb or default_memory_limit_mb(n_workers),
                      fixed_threads=fixed)


def deterministic(options: FitOptions) -> bool:
    """Whether the search must not depend on the clock: ``max_trials`` with one trial at a
    time, where the same seed must give the same trials and the same model. Rules that would
    act on seconds act on trial counts instead, and no job's threads are measured."""
    return options.max_trials is not None and options.n_jobs is None


def fit_automl(dataset: Dataset, options: FitOptions, clock: Clock,
               pool: WorkerPool | None = None,
               on_log: Callable[[TrialLog, Metric], None] | None = None) -> FitOutcome:
    """Search within the clock's budget and return the fitted final model with its log.

    ``pool`` (from :func:`start_workers`) is closed on return; without one, one is started.
    ``on_log`` is handed the trial log and the metric once the log is open (a progress
    display reads the trials from it).
    """
    metric = get_metric(options.metric, dataset.task)
    space, resampling = space_and_resampling(dataset, options)
    context = EvaluationContext(dataset, space, resampling, metric, options.seed)
    budget = budget_plan(options, clock.budget_seconds)
    log = TrialLog(_new_log_path(_log_dir(options.log_dir)), metric.sign)
    if on_log is not None:
        on_log(log, metric)
    pool, search = pool or start_workers(options), None
    try:
        pool.load(context)
        # The meta-features are computed while the workers load the context.
        plan = plan_start(dataset, space, resampling, options, budget)
        settings = SearchSettings(
            algorithm=options.search, seed=options.seed, max_trials=options.max_trials,
            n_startup_trials=len(plan.initial) + max(0, _RANDOM_STARTUP_TRIALS
                                                     - len(plan.warm.configs)),
            initial_configs=tuple(plan.initial),
            preview_rows=plan.preview_rows,
            preview_config=preview_config(plan.initial[0][0], dataset.n_classes),
            # In the deterministic mode no warm config is re-checked against measured seconds.
            warm_allowance=None if deterministic(options) else plan.allowance,
            nbest=options.ensemble.nbest)
        search = run_search(space, pool, clock, settings, budget, resampling, log)
        models = RefitModels(search.store.spill_dir)  # full-data models, by trial
        final = assemble_final_model(search, models, pool, clock, context, budget,
                                     replace(options.ensemble,
                                             deterministic=deterministic(options)))
        final = with_prior_blend(unless_the_prior_scores_higher(final, context), search.store,
                                 context)
    finally:
        pool.close()
        if search is not None:
            search.store.clear()
    return FitOutcome(final, log, metric, space, prior_score(context), plan.warm,
                      search.split_scores)


def budget_plan(options: FitOptions, budget_seconds: float) -> BudgetPlan:
    """How a fit with ``options`` shares ``budget_seconds`` (``automl.trials.budget``)."""
    return plan_budget(budget_seconds, options.per_trial_time_limit, options.max_trials,
                       deterministic(options), parallelism(options.n_jobs)[0],
                       options.ensemble.enabled)


@dataclass(frozen=True)
class StartPlan:
    """How a search starts, decided before its first trial: the trial limit, what one warm
    trial may cost (``allowance``), the warm start, and the configs queued first with their
    sources, in order (``initial``), in ``space``. :func:`fit_automl` runs it;
    ``first_trials`` shows it without fitting."""

    trial_seconds: float
    allowance: TrialAllowance
    warm: WarmStart
    initial: list[tuple[Config, str]]
    preview_rows: int | None
    space: CompiledSpace


def plan_start(dataset: Dataset, space: CompiledSpace, resampling: Resampling,
               options: FitOptions, budget: BudgetPlan) -> StartPlan:
    """The search's start on ``dataset`` within ``budget`` (see :class:`StartPlan`)."""
    allowance = TrialAllowance(resampling.train_rows, budget.warm_trial_seconds)
    warm = warm_start_for(dataset, space, options.warm_start, options.seed, allowance)
    preview_rows = PREVIEW_ROWS if has_preview(resampling, dataset.n_classes) else None
    initial = initial_configs(space, options.initial_configs, warm.configs,
                              dataset.n_classes if preview_rows else 0)
    return StartPlan(budget.trial_seconds, allowance, warm, initial, preview_rows, space)


def space_and_resampling(dataset: Dataset, options: FitOptions
                         ) -> tuple[CompiledSpace, Resampling]:
    """The search space and the validation splits a fit of ``dataset`` uses."""
    space = compile_space(load_components(options.extra_components), dataset.task,
                          dataset.n_rows, options.include_models, options.exclude_models)
    resampling = make_resampling(dataset.y, dataset.task, options.resampling, options.n_folds,
                                 options.seed)
    return space, resampling


def initial_configs(space: CompiledSpace, user_configs: Sequence[Config],
                    warm: Sequence[tuple[Config, str]] = (), n_classes: int = 0
                    ) -> list[tuple[Config, str]]:
    """The fast default first, the user's configs next, then the warm-start configs, then
    each other family's defaults. A config already queued is not repeated.

    The warm configs come before the family defaults so that a short budget reaches them
    first; the defaults still follow, because a warm search without them found a worse best
    pipeline as often as a better one (study at tag studies-2026-12-07): the defaults' spread of
    families is what TPE and the ensemble build on later; past a share of the budget, the
    search runs the defaults still queued first (``budget.WARM_QUEUE_SHARE``). On data with many
    classes a cheap version of the fast default (``preview_config``: fewer rounds, a larger
    learning rate) comes first of all, when it differs: LightGBM's defaults grow a tree per
    class a round, and on one core their first trial could take longer than the trial
    limit, leaving no cross-validated LightGBM at all.
    """
    first = space.default_config()
    cheap = preview_config(first, n_classes)
    configs = [(cheap, "default")] if cheap != first else []
    configs += [(first, "default")] + [(dict(config), "user") for config in user_configs]
    configs += list(warm) + [(space.default_config(name), "default")
                             for name in space.model_names[1:]]
    unique: dict[str, tuple[Config, str]] = {}
    for config, source in configs:
        unique.setdefault(config_key(_completed(space, config)), (config, source))
    return list(unique.values())


def _completed(space: CompiledSpace, config: Config) -> Config:
    """``config`` with what it leaves out filled in as the search would run it (a user's
    ``{"model": "svm"}`` is that family's default), so that the same pipeline is queued once;
    as given when it does not fit the space (the search skips it with a warning)."""
    try:
        return space.decode(space.encode(config))
    except Exception:  # noqa: BLE001 - any malformed config is reported where it is run
        return config


def parallelism(n_jobs: int | None) -> tuple[int, int]:
    """(worker processes, threads per model) for ``n_jobs`` parallel trials."""
    cores = usable_cores()
    if n_jobs is None:
        return 1, cores
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise InputError(f"n_jobs must be a positive number of parallel trials, -1 (one per "
                         f"core) or None, got {n_jobs!r}.")
    workers = cores if n_jobs == -1 else n_jobs
    return workers, max(1, cores // workers)


def _log_dir(log_dir: str | os.PathLike | None) -> Path:
    if log_dir is None:
        return new_run_dir()  # bounded: the newest runs are kept (automl.trials.run_dirs)
    path = Path(log_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _new_log_path(directory: Path) -> Path:
    """A log file name not used before in ``directory``: earlier runs' logs are never touched."""
    path, n = directory / "trials.jsonl", 1
    while path.exists():
        n += 1
        path = directory / f"trials-{n}.jsonl"
    return path
