"""Score one config by resampling: out-of-fold predictions, the metric and the fit time.

Every trial of a search uses the same :class:`Resampling`, made once from the seed, so that
scores are comparable. Small data gets k-fold cross-validation (stratified for
classification), large data a single holdout split:

==================  ==========================
rows                resampling ("auto")
==================  ==========================
up to 2,000         5-fold
2,001 to 10,000     3-fold
more than 10,000    holdout, 20 % validation
==================  ==========================

A *preview* (``automl.trials.preview``) is scored here too, on one split.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline

from automl.base.exceptions import ComponentError, InputError
from automl.base.metrics import Metric
from automl.input.data import Dataset
from automl.space.compiled import CompiledSpace, Config
from automl.space.components import resolve
from automl.space.pipeline import KeepColumns, build_pipeline, numeric_selection
from automl.trials.model_size import Handover, estimate_handover

logger = logging.getLogger(__name__)

# "running": a submitted trial's result until it ends (never in the log).
Status = Literal["ok", "failed", "timeout", "memout", "crashed", "running"]

# The leaderboard's predict time is for a batch of this many rows.
PREDICT_BATCH_ROWS = 1_000
# Split k > 0 of cross-validation draws its folds with the seed + k times this (a prime, so
# that no two fits' seeds a few apart share a split).
SPLIT_SEED_STEP = 7919


@dataclass(frozen=True)
class Resampling:
    """Train/validation row indices shared by all trials."""

    kind: Literal["cv", "holdout"]
    folds: tuple[tuple[np.ndarray, np.ndarray], ...]

    @property
    def train_rows(self) -> int:
        """The rows one trial trains on, summed over the folds: what its fit time grows with."""
        return sum(len(train) for train, _ in self.folds)

    @property
    def validation_rows(self) -> int:
        """The rows one trial predicts, summed over the folds: what its predict time grows with."""
        return sum(len(validation) for _, validation in self.folds)

    @property
    def validated(self) -> np.ndarray:
        """The rows some fold validates on, sorted: where out-of-fold predictions exist (all
        rows under cross-validation, the holdout's under a holdout split)."""
        return np.unique(np.concatenate([validation for _, validation in self.folds]))

    @property
    def rows_factor(self) -> float:
        """All rows over the last fit's training rows: what a model grows by when refit on all
        rows (a fully grown tree's nodes grow with its rows)."""
        train, validation = self.folds[-1]
        return (len(train) + len(validation)) / len(train)

    @property
    def refit_factor(self) -> float:
        """One fit on all rows, in units of the summed fold fit time (fit time ~ rows)."""
        if self.kind == "holdout":
            train, validation = self.folds[0]
            return (len(train) + len(validation)) / len(train)
        k = len(self.folds)
        return 1.0 / (k - 1)


@dataclass(frozen=True)
class TrialResult:
    """What one evaluation produced. A failure is data, never an exception."""

    status: Status
    score: float | None = None
    error: str | None = None
    fit_seconds: float = 0.0
    predict_seconds: float = 0.0
    # A batch of 1,000 rows, timed (``batch_predict_ms``): the leaderboard's predict time.
    predict_ms_per_1000_rows: float = math.nan
    predictions: np.ndarray | None = None  # out-of-fold, NaN rows never validated
    fold_models: str | None = None  # file of the pickled fold models, when they were kept
    handover: Handover = Handover()  # of the last fold's pipeline (``automl.trials.model_size``)


@dataclass(frozen=True)
class EvaluationContext:
    """Everything a worker needs to score configs: sent to each worker once."""

    dataset: Dataset
    space: CompiledSpace
    resampling: Resampling
    metric: Metric
    seed: int

    def split_folds(self, split: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        """The folds of cross-validation's ``split``-th draw: the resampling's own for 0; the
        same number of folds, drawn with another seed, after (``search.repeats``)."""
        if split == 0:
            return self.resampling.folds
        return make_resampling(self.dataset.y, self.dataset.task, "cv",
                               len(self.resampling.folds),
                               self.seed + SPLIT_SEED_STEP * split).folds

    def warm_up(self) -> None:
        """Import every estimator the space can build, so that no trial's clock pays for it
        (a worker does this once it holds the context)."""
        for specs in self.space.slots.values():
            for spec in specs:
                path = spec.estimator_path(self.space.task)
                if path != "passthrough":
                    try:
                        resolve(path)
                    except ComponentError:
                        pass  # reported by the trial that needs it


def make_resampling(y: np.ndarray, task: str, strategy: str = "auto", n_folds: int | None = None,
                    seed: int = 0) -> Resampling:
    """Choose and draw the splits (see the module docstring for the 'auto' rule)."""
    n_rows = len(y)
    if strategy not in ("auto", "cv", "holdout"):
        raise InputError(f"resampling must be 'auto', 'cv' or 'holdout', got {strategy!r}.")
    if strategy == "auto":
        strategy = "holdout" if n_rows > 10_000 else "cv"
        n_folds = n_folds or (5 if n_rows <= 2_000 else 3)
    if strategy == "holdout":
        return Resampling("holdout", (_holdout(y, task, seed),))
    n_folds = min(n_folds or 5, n_rows)
    if n_folds < 2:
        raise InputError(f"n_folds must be at least 2, got {n_folds}.")
    if task == "regression" or np.bincount(y).min() < 2:
        splitter: Any = KFold(n_folds, shuffle=True, random_state=seed)
    else:
        splitter = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "least populated class has only n members"
        folds = tuple(splitter.split(np.zeros(n_rows), y))
    return Resampling("cv", folds)


def _holdout(y: np.ndarray, task: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    return split_rows(np.arange(len(y)), y, task, seed, test_size=0.2)


def split_rows(rows: np.ndarray, y: np.ndarray, task: str, seed: int,
               **size: float | int) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` split in two (``train_test_split``'s sizes), stratified by class if it can be."""
    stratify = y[rows] if task != "regression" else None
    try:
        first, second = train_test_split(rows, random_state=seed, stratify=stratify, **size)
    except ValueError:  # a class with a single row, or fewer rows than classes
        first, second = train_test_split(rows, random_state=seed, **size)
    return np.sort(first), np.sort(second)


def score_config(config: Config, context: EvaluationContext, n_threads: int = 1) -> TrialResult:
    """Fit and score one config on every fold; exceptions become failed results."""
    return score_and_keep(config, context, n_threads)[0]


def score_and_keep(config: Config, context: EvaluationContext, n_threads: int = 1,
                   folds: tuple[tuple[np.ndarray, np.ndarray], ...] | None = None,
                   ) -> tuple[TrialResult, Pipeline | None]:
    """``score_config``, plus the pipeline fitted on the last fold's training rows (None
    unless the trial succeeded): a usable model as soon as the first trial ends. ``folds``
    replaces the resampling's splits (the preview's)."""
    result, pipelines = score_and_keep_folds(config, context, n_threads, folds, every=False)
    return result, pipelines[-1] if pipelines else None


def score_and_keep_folds(config: Config, context: EvaluationContext, n_threads: int = 1,
                         folds: tuple[tuple[np.ndarray, np.ndarray], ...] | None = None,
                         every: bool = True) -> tuple[TrialResult, list[Pipeline]]:
    """``score_config``, plus the pipelines fitted on each fold's training rows (the last
    one only unless ``every``; none unless the trial succeeded): averaged, they stand in for
    the refit on all rows when that does not fit in the time left."""
    try:
        return _score(config, context, n_threads, folds or context.resampling.folds, every)
    except MemoryError as error:
        return TrialResult("memout", error=f"MemoryError: {error}"), []
    except Exception as error:  # a trial's failure is data, not a crash of the search
        return TrialResult("failed", error=f"{type(error).__name__}: {error}"[:2000]), []


def _score(config: Config, context: EvaluationContext, n_threads: int,
           folds: tuple[tuple[np.ndarray, np.ndarray], ...], every: bool
           ) -> tuple[TrialResult, list[Pipeline]]:
    dataset, metric = context.dataset, context.metric
    predictions = _empty_predictions(dataset)
    fold_scores, fit_seconds, predict_seconds = [], 0.0, 0.0
    fitted: list[Pipeline] = []
    for train, validation in folds:
        pipeline = build_pipeline(config, context.space, dataset.schema, n_threads, context.seed)
        fitted = fitted + [pipeline] if every else [pipeline]
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pipeline.fit(dataset.X.iloc[train], dataset.y[train])
            fit_seconds += time.perf_counter() - started
            started = time.perf_counter()
            X_validation = dataset.X.iloc[validation]
            predictions[validation] = predict_raw(pipeline, X_validation, dataset.n_classes)
            if metric.needs == "scorer":
                fold_scores.append(float(metric.scorer(pipeline, X_validation,
                                                       dataset.y[validation])))
            predict_seconds += time.perf_counter() - started
    validated = np.concatenate([validation for _, validation in folds])
    if not np.all(np.isfinite(predictions[validated])):
        return TrialResult("failed", error="ValueError: the model predicted NaN or infinity",
                           fit_seconds=fit_seconds), []
    if metric.needs == "scorer":
        score = float(np.mean(fold_scores))
    else:
        score = metric.score(dataset.y[validated], predictions[validated], dataset.n_classes)
    if not np.isfinite(score):
        return TrialResult("failed", error=f"ValueError: the score is {score}",
                           fit_seconds=fit_seconds), []
    return TrialResult("ok", score=score, fit_seconds=fit_seconds,
                       predict_seconds=predict_seconds,
                       predict_ms_per_1000_rows=batch_predict_ms(
                           pipeline, dataset, validated, predict_seconds),
                       predictions=predictions,
                       handover=estimate_handover(pipeline)), fitted


def batch_predict_ms(pipeline: Pipeline, dataset: Dataset, validated: np.ndarray,
                     predict_seconds: float, batch: int = PREDICT_BATCH_ROWS) -> float:
    """Milliseconds ``pipeline`` takes to predict ``batch`` rows at once: from the folds'
    predictions when they covered that many rows; else timed on the validated rows repeated
    to ``batch`` (a small fold's rows would count each call's fixed cost many times over)."""
    if len(validated) >= batch:
        return predict_seconds / len(validated) * batch * 1000
    rows = dataset.X.iloc[np.resize(validated, batch)]
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        predict_raw(pipeline, rows, dataset.n_classes)
    return (time.perf_counter() - started) * 1000


def prior_score(context: EvaluationContext,
                folds: tuple[tuple[np.ndarray, np.ndarray], ...] | None = None) -> float | None:
    """The validation score of predicting each split's training prior (class shares, or
    the mean, or the median for a metric of absolute error: ``Metric.center``) on its
    validation rows: what a model must beat to have learnt anything.

    ``folds`` replaces the resampling's splits (the preview's first split alone). None for
    a scorer metric, which scores fitted pipelines rather than predictions.
    """
    dataset, metric = context.dataset, context.metric
    if metric.needs == "scorer":
        return None
    folds = folds or context.resampling.folds
    predictions = _empty_predictions(dataset)
    for train, validation in folds:
        predictions[validation] = prior_prediction(dataset, metric, train)
    validated = np.concatenate([validation for _, validation in folds])
    return metric.score(dataset.y[validated], predictions[validated], dataset.n_classes)


def prior_prediction(dataset: Dataset, metric: Metric,
                     rows: np.ndarray | None = None) -> float | np.ndarray:
    """What predicting the training prior of ``rows`` (all rows when None) gives for each row:
    the class shares, or the constant ``metric`` scores best (``Metric.center``)."""
    y = dataset.y if rows is None else dataset.y[rows]
    if dataset.task == "regression":
        return float(np.median(y) if metric.center == "median" else np.mean(y))
    return np.bincount(y, minlength=dataset.n_classes) / len(y)


def _empty_predictions(dataset: Dataset) -> np.ndarray:
    shape = (dataset.n_rows,) if dataset.task == "regression" else (dataset.n_rows, dataset.n_classes)
    return np.full(shape, np.nan, dtype=np.float64)


def predict_raw(pipeline: Pipeline, X: Any, n_classes: int) -> np.ndarray:
    """Class probabilities over all ``n_classes`` codes, or regression values.

    A fold that lacked some class at fit time predicts probability 0 for it. Rows are
    rescaled to sum to one: a model's own can miss by more than rounding (Gaussian naive
    Bayes with its tiny variance floor gives log-likelihoods near -1e10, whose rounding
    leaves sums like 1 + 2e-7), and log loss then warns at every scoring.
    """
    if n_classes == 0:
        return np.asarray(pipeline.predict(X), dtype=np.float64)
    proba = np.zeros((len(X), n_classes))
    proba[:, np.asarray(pipeline.classes_, dtype=int)] = pipeline.predict_proba(X)
    totals = proba.sum(axis=1, keepdims=True)
    np.divide(proba, totals, out=proba, where=totals > 0)
    return proba


def fit_final(config: Config, context: EvaluationContext, n_threads: int = 1) -> Pipeline:
    """Fit one config on all training rows, selecting the columns it was validated with."""
    dataset = context.dataset
    pipeline = build_pipeline(config, context.space, dataset.schema, n_threads, context.seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _pin_validated_selection(pipeline, context)
        pipeline.fit(dataset.X, dataset.y)
    return pipeline


def _pin_validated_selection(pipeline: Pipeline, context: EvaluationContext) -> None:
    """When the pipeline's feature selector would keep other numeric columns on all rows than
    in every fit it was scored with, pin it to the columns most of those fits kept.

    A selector ranks columns by a statistic, and columns near its cut swap places as rows are
    added. On california_housing a refit kept total_bedrooms (F = 33) over longitude (32) where
    the validated holdout fit had kept longitude (29 against 21): the refit scored 61,473 RMSE
    on test against 44,012 to 45,816 for the other members of its ensemble, and the
    validation score (48,038) described a pipeline that was never shipped.
    """
    numeric = numeric_selection(pipeline)
    if numeric is None:
        return
    X, y = context.dataset.X[context.dataset.schema.numeric_features], context.dataset.y

    def support(rows: np.ndarray | None) -> tuple[np.ndarray, frozenset[str]]:
        """The columns the selector was offered and those it kept, by name: the imputer adds
        a missing-value indicator only for columns with a value missing in the rows it is
        fitted on, so a fold can offer fewer columns than all rows do (a column with one
        missing value) and positions do not line up."""
        fitted = clone(numeric).fit(X if rows is None else X.iloc[rows],
                                    y if rows is None else y[rows])
        offered = fitted[:-1].get_feature_names_out()
        return offered, frozenset(offered[fitted.named_steps["feature"].get_support()])

    validated = [support(train)[1] for train, _ in context.resampling.folds]
    offered, kept = support(None)
    if kept in validated:
        return
    pinned = Counter(validated).most_common(1)[0][0]  # equal counts: the earliest fold's
    numeric.set_params(feature=KeepColumns(tuple(bool(name in pinned) for name in offered)))
    logger.info("the refit pins the feature selection to the columns its validation fits kept")
