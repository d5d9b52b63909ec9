"""The scikit-learn face: ``AutoMLClassifier``, ``AutoMLRegressor`` and ``automl.fit``.

Constructor arguments are stored as given; everything is checked and resolved in ``fit``,
so ``clone`` gives an unfitted twin. Learned state ends in ``_``.
"""

from __future__ import annotations

import math
import os
from numbers import Real
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from automl.base.clock import Clock
from automl.base.exceptions import InputError
from automl.final.assemble import EnsembleSettings
from automl.first_trials import NEIGHBOUR_COLUMNS, FirstTrials, first_trials
from automl.fitting import (FitOptions, budget_plan, fit_automl, plan_start, space_and_resampling,
                            start_workers)
from automl.input.data import _as_target, infer_task, validate_input
from automl.leaderboard import build_leaderboard
from automl.progress import FitProgress, display_mode
from automl.trials.evaluate import predict_raw
from automl.trials.trial_log import TrialLog

_SEARCHES = ("tpe", "random")
# Overflow, underflow and log(0) inside a model's sums (a sigmoid's exp of a large margin, a
# log loss of a zero probability) give the right limits; numpy's warnings about them tell a
# user nothing. Results are still checked: a trial whose score is not finite fails.
_QUIET_NUMERICS = {"over": "ignore", "under": "ignore", "divide": "ignore"}


class _AutoMLBase(BaseEstimator):
    """Shared constructor, ``fit`` and predict-side plumbing of both estimators."""

    _task_family = "classification"

    def __init__(self, time_budget: float = 60.0, task: str | None = None,
                 metric: str | Callable[..., float] = "auto", random_state: int | None = None,
                 n_jobs: int | None = None, max_trials: int | None = None, search: str = "tpe",
                 resampling: str = "auto", n_folds: int | None = None,
                 include_models: Sequence[str] | None = None,
                 exclude_models: Sequence[str] | None = None,
                 initial_configs: Sequence[dict] | None = None,
                 extra_components: Sequence[str | os.PathLike] | None = None,
                 per_trial_time_limit: float | None = None, memory_limit_mb: int | None = None,
                 log_dir: str | os.PathLike | None = None, ensemble: bool = True,
                 ensemble_size: int = 25, ensemble_nbest: int = 20,
                 warm_start: bool | str | os.PathLike = True,
                 progress: bool | None = None) -> None:
        self.time_budget = time_budget
        self.task = task
        self.metric = metric
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.max_trials = max_trials
        self.search = search
        self.resampling = resampling
        self.n_folds = n_folds
        self.include_models = include_models
        self.exclude_models = exclude_models
        self.initial_configs = initial_configs
        self.extra_components = extra_components
        self.per_trial_time_limit = per_trial_time_limit
        self.memory_limit_mb = memory_limit_mb
        self.log_dir = log_dir
        self.ensemble = ensemble
        self.ensemble_size = ensemble_size
        self.ensemble_nbest = ensemble_nbest
        self.warm_start = warm_start
        self.progress = progress

    def fit(self, X: Any, y: Any) -> "_AutoMLBase":
        """Search for the best pipeline within ``time_budget`` seconds and fit it.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_rows, n_columns)
            Numeric, string, category, bool, nullable and datetime columns; missing values
            anywhere.
        y : array-like of shape (n_rows,)

        Returns
        -------
        self
        """
        clock = Clock(_check_time_budget(self.time_budget))
        options = self._options()
        shown = FitProgress(clock.budget_seconds, display_mode(_check_progress(self.progress)))
        with start_workers(options) as pool, shown, np.errstate(**_QUIET_NUMERICS):
            dataset = validate_input(X, y, task=self._check_task())  # workers start meanwhile
            outcome = fit_automl(dataset, options, clock, pool, on_log=shown.watch)
        self.task_ = dataset.task
        self.schema_ = dataset.schema
        self.n_features_in_ = len(dataset.schema.columns)
        if isinstance(X, pd.DataFrame) and all(isinstance(c, str) for c in X.columns):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        if dataset.classes is not None:
            self.classes_ = dataset.classes
        final, metric = outcome.final, outcome.metric
        self.model_ = final.model
        self.metric_ = metric.name
        self.higher_is_better_ = metric.higher_is_better
        self.best_config_ = final.chosen.config if final.chosen else None
        self.best_score_ = metric.in_units(final.chosen.result.score if final.chosen else None)
        self.ensemble_ = _describe_members(outcome.log, final.weights, final.fitted_on)
        self.ensemble_score_ = metric.in_units(final.ensemble_score)
        self.prior_score_ = metric.in_units(outcome.prior_score)
        self.prior_weight_ = final.prior_weight
        self.prior_only_ = final.chosen is None
        self.leaderboard_ = build_leaderboard(outcome.log, final, outcome.split_scores)
        self.warm_start_neighbours_ = pd.DataFrame(outcome.warm.neighbours(),
                                                   columns=list(NEIGHBOUR_COLUMNS))
        self.trial_log_path_ = str(outcome.log.path)
        self.random_state_ = options.seed
        self.fit_seconds_ = clock.elapsed()
        return self

    def first_trials(self, X: Any, y: Any) -> FirstTrials:
        """The trials ``fit(X, y)`` would start with, in order, and the past datasets nearest
        to ``X, y``, without fitting anything: where the search would spend the start of
        its budget, and why (see :mod:`automl.first_trials`). Takes the same input and
        arguments as ``fit``, checked the same way; costs the meta-features (well under a
        second)."""
        budget = _check_time_budget(self.time_budget)
        options = self._options()
        dataset = validate_input(X, y, task=self._check_task())
        space, resampling = space_and_resampling(dataset, options)
        return first_trials(plan_start(dataset, space, resampling, options,
                                       budget_plan(options, budget)), dataset.task)

    def _prepare(self, X: Any) -> pd.DataFrame:
        check_is_fitted(self, "model_")
        return self.schema_.transform(X, owner=type(self).__name__)

    def _check_task(self) -> str | None:
        allowed = ((None, "regression") if self._task_family == "regression"
                   else (None, "classification", "binary", "multiclass"))
        if self.task not in allowed:
            raise InputError(f"task must be one of {allowed} for {type(self).__name__}, got "
                             f"{self.task!r}.")
        return self.task or self._task_family

    def _options(self) -> FitOptions:
        if self.search not in _SEARCHES:
            raise InputError(f"search must be one of {_SEARCHES}, got {self.search!r}.")
        if not isinstance(self.ensemble, (bool, np.bool_)):
            raise InputError(f"ensemble must be True or False, got {self.ensemble!r}.")
        for name in ("max_trials", "n_folds", "memory_limit_mb"):
            if getattr(self, name) is not None:
                _check_count(name, getattr(self, name), " or None")
        for name in ("ensemble_size", "ensemble_nbest"):
            _check_count(name, getattr(self, name))
        if self.per_trial_time_limit is not None:
            _check_time_budget(self.per_trial_time_limit, "per_trial_time_limit")
        return FitOptions(
            metric=self.metric, seed=_seed(self.random_state), n_jobs=self.n_jobs,
            max_trials=self.max_trials, search=self.search, resampling=self.resampling,
            n_folds=self.n_folds, include_models=self.include_models,
            exclude_models=self.exclude_models, initial_configs=tuple(self.initial_configs or ()),
            extra_components=self.extra_components, per_trial_time_limit=self.per_trial_time_limit,
            memory_limit_mb=self.memory_limit_mb, log_dir=self.log_dir,
            ensemble=EnsembleSettings(bool(self.ensemble), self.ensemble_size,
                                      self.ensemble_nbest),
            warm_start=_check_warm_start(self.warm_start))

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags


class AutoMLClassifier(ClassifierMixin, _AutoMLBase):
    """Classifier found by a budgeted search over scikit-learn and LightGBM pipelines.

    Parameters
    ----------
    time_budget : float, default=60
        Wall-clock seconds for the whole ``fit``: search and final refit.
    task : {None, "classification", "binary", "multiclass"}
    metric : str or callable, default="auto"
        "auto" is ROC AUC (binary) or log loss (multiclass); also "accuracy",
        "balanced_accuracy", "f1_macro", any scikit-learn scorer name, or a scorer callable.
    random_state : int or None
        Seed of the splits, the search and the models. None draws a fresh seed.
    n_jobs : int or None
        Trials run in parallel (-1: one per core). None: one at a time, models multi-threaded.
    max_trials : int or None
        Stop after this many trials. With ``n_jobs=None`` and a fixed ``random_state`` the
        same data gives the same trials in the same order.
    search : {"tpe", "random"}
    resampling : {"auto", "cv", "holdout"}; n_folds : int or None
    include_models, exclude_models : list of model names or None
    initial_configs : list of readable configs evaluated right after the default
    extra_components : list of TOML files or folders adding components to the space
    per_trial_time_limit : float or None
        Hard limit per trial in seconds (default: a quarter of the budget, at least 10 s).
    memory_limit_mb : int or None
        Hard limit on a worker's resident memory (default: 3/4 of RAM shared by workers).
    log_dir : path or None
        Where the trial log is written (default: a new temporary folder).
    ensemble : bool, default=True
        Blend the best pipelines by greedy ensemble selection (Caruana et al. 2004) on their
        out-of-fold predictions; False gives the best single pipeline.
    ensemble_size : int, default=25
        Rounds of ensemble selection (members are drawn with replacement).
    ensemble_nbest : int, default=20
        How many of the best trials keep their out-of-fold predictions as candidates.
    warm_start : bool or path, default=True
        Start the search from configs learned on past datasets (the shipped knowledge base:
        a portfolio and the best configs of the nearest past datasets by meta-features,
        less those too slow for the budget). False starts cold; a path reads a knowledge
        base built by ``metalearning.build``.
    progress : bool or None, default=None
        Show the fit's progress (seconds against the budget, trials, the best score so far)
        on stderr. None: tqdm's bar where a terminal or a Jupyter notebook shows it, nothing
        elsewhere. True: the bar, or a plain line every 10 s where stderr is a file or a
        log. False: nothing.

    Attributes
    ----------
    model_ : the fitted final model (one pipeline, or a ``WeightedEnsemble`` of several;
        under log loss wrapped in a ``prior_blend.PriorBlend``)
    ensemble_ : DataFrame, one row per member: trial, model, weight, score, source, fitted_on
        ("all rows"; for a member whose refit did not fit in the budget, failed, or lost
        what its validation score promised on its own training rows (``automl.final.refit_check``),
        "folds": its fold models averaged, or "one fold": the model the search kept from the
        first trial), config
    metric_ : str, the metric searched on; every score below is in its own units (a log loss
        of 0.3 is 0.3)
    higher_is_better_ : bool, whether larger scores are better: False for losses and errors
        (log_loss, rmse, mae), True otherwise (scikit-learn scorers are higher-is-better)
    ensemble_score_ : float or None, the blend's validation score (None for one member)
    best_config_, best_score_ : the config and validation score of the best member
    prior_score_ : float or None, the validation score of predicting the training prior (the
        class shares, or the mean; the median for ``metric="mae"``): what a model must beat
        to have learnt anything; when no model the search found beats it, the final model
        predicts the prior (with a warning) and ``ensemble_`` is empty. None for a scorer
        metric.
    prior_only_ : bool, True when the final model predicts the training prior and nothing
        else: every trial failed, none could run, or none beat the prior on validation (``fit``
        warns saying which). Such a model has learnt nothing from ``X``.
    prior_weight_ : float, the class shares' part of the predicted probabilities: under log
        loss they are mixed with the training class shares so that no class gets probability
        0 (``automl.final.prior_blend``: the weight that scores best out of fold, at least 1 / (n +
        2) for n validated rows); 0.0 for other metrics and regression
    leaderboard_ : DataFrame, one row per trial and, when the final model blends several,
        one for the blend (``model`` and ``source`` "ensemble", no trial number), best first
        (``automl.leaderboard``): trial, model, score (the metric's units), status, error,
        fit_seconds, predict_ms_per_1000_rows, size_mb, finished_at_seconds, source,
        ensemble_weight, config
    warm_start_neighbours_ : DataFrame, the past datasets of the knowledge base nearest to
        this one by meta-features, nearest first: dataset, distance (scaled L1), best_model
        (the family of the best config its own search found, which the warm start queued
        unless it was a duplicate, outside this search's models or too slow for the budget);
        empty for a cold search
    classes_, n_features_in_, feature_names_in_, task_, trial_log_path_,
    random_state_, fit_seconds_
    """

    _task_family = "classification"

    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels, in the values ``y`` had at fit time (none for no rows)."""
        proba = self.predict_proba(X)  # checks that the model is fitted
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities; columns follow ``classes_``."""
        X = self._prepare(X)
        if len(X) == 0:  # no rows, no predictions: the pipelines' imputers refuse empty input
            return np.empty((0, len(self.classes_)))
        with np.errstate(**_QUIET_NUMERICS):
            return predict_raw(self.model_, X, len(self.classes_))


class AutoMLRegressor(RegressorMixin, _AutoMLBase):
    """Regressor found by a budgeted search; see :class:`AutoMLClassifier` for parameters.

    ``metric="auto"`` is RMSE; also "mae", "r2" or any scikit-learn scorer.
    """

    _task_family = "regression"

    def predict(self, X: Any) -> np.ndarray:
        """Predicted values."""
        X = self._prepare(X)
        if len(X) == 0:
            return np.empty(0)
        with np.errstate(**_QUIET_NUMERICS):
            return np.asarray(self.model_.predict(X), dtype=np.float64)


def fit(X: Any, y: Any, *, time_budget: float, task: str | None = None,
        metric: str | Callable[..., float] = "auto", random_state: int | None = None,
        n_jobs: int | None = None, max_trials: int | None = None,
        **options: Any) -> AutoMLClassifier | AutoMLRegressor:
    """Fit an :class:`AutoMLClassifier` or :class:`AutoMLRegressor`, as the task requires.

    The task is inferred from ``y`` when not given: labels (strings, bools, up to 20
    distinct whole numbers) mean classification, other numbers regression.

    Examples
    --------
    >>> model = automl.fit(X_train, y_train, time_budget=60)  # doctest: +SKIP
    >>> model.leaderboard_.head()                             # doctest: +SKIP
    """
    return estimator_for(y, time_budget=time_budget, task=task, metric=metric,
                         random_state=random_state, n_jobs=n_jobs, max_trials=max_trials,
                         **options).fit(X, y)


def estimator_for(y: Any, *, task: str | None = None,
                  **arguments: Any) -> AutoMLClassifier | AutoMLRegressor:
    """An unfitted :class:`AutoMLClassifier` or :class:`AutoMLRegressor`, as the task (given,
    or inferred from ``y``) requires, with the other constructor ``arguments``."""
    if task is None:
        task = infer_task(_as_target(y, len(y) if hasattr(y, "__len__") else 0))
    estimator_class = AutoMLRegressor if task == "regression" else AutoMLClassifier
    return estimator_class(task=task, **arguments)


def _describe_members(log: TrialLog, weights: dict[int, float],
                      fitted_on: dict[int, str] | None = None) -> pd.DataFrame:
    """The final model's members, heaviest first, and what each was fitted on: all rows, or,
    when its refit did not fit in the budget, its validation splits' training rows (its
    fold models averaged) or one split's (the model the search kept from the first trial)."""
    fitted_on = fitted_on or {}
    by_number = {trial.trial: trial for trial in log.trials}
    rows = [{"trial": number, "model": by_number[number].config["model"], "weight": weight,
             "score": log.sign * by_number[number].result.score,
             "source": by_number[number].source,
             "fitted_on": fitted_on.get(number, "all rows"),
             "config": by_number[number].config} for number, weight in weights.items()]
    frame = pd.DataFrame(rows, columns=["trial", "model", "weight", "score", "source",
                                        "fitted_on", "config"])
    frame["trial"] = frame["trial"].astype("Int64")  # as leaderboard_'s, whose blend has none
    order = frame.assign(search_score=log.sign * frame["score"])
    order = order.sort_values(["weight", "search_score"], ascending=False)
    return frame.loc[order.index].reset_index(drop=True)


def _check_count(name: str, value: Any, alternative: str = "") -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{name} must be a positive whole number{alternative}, got {value!r}.")


def _check_progress(value: Any) -> bool | None:
    if value is None or isinstance(value, (bool, np.bool_)):
        return None if value is None else bool(value)
    raise InputError(f"progress must be True, False or None (a bar where a terminal or a "
                     f"notebook shows it), got {value!r}.")


def _check_warm_start(value: Any) -> bool | str | os.PathLike:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (str, os.PathLike)) and Path(value).is_dir():
        return value
    raise InputError(f"warm_start must be True, False or the folder of a knowledge base built "
                     f"by metalearning.build, got {value!r}"
                     + (" (no such folder)." if isinstance(value, (str, os.PathLike)) else "."))


def _check_time_budget(value: Any, name: str = "time_budget") -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) \
            or value <= 0:
        raise InputError(f"{name} must be a positive number of seconds, got {value!r}.")
    return float(value)


def _seed(random_state: Any) -> int:
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0] % (2**31 - 1))
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return int(random_state) % (2**31 - 1)
    raise InputError(f"random_state must be an int or None, got {random_state!r}.")
