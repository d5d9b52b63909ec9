"""Check a refit before it is used: has the pipeline fitted on all rows kept what its
validation score promised?

A refit is the validated config fitted again, on the rows of every fold at once. It is scored
here on a seeded sample of those rows, the rows it was trained on: there it should do at least
as well as it did out of fold. Some configs do not survive the extra rows. Gradient boosting
with a large step can diverge on one set of rows and not on another: a config that
validated well out of fold can end confidently wrong on the rows it was refit on, and on
new rows alike (benchmarks/RESULTS.md, "The refit check").

The rule: on at most ``CHECK_ROWS`` of its training rows the refit must keep at least
``MIN_KEPT_GAIN`` of the gain over predicting the training prior that its validation score
showed, and predict finite values. A refit that fails it is not used, as if it had failed:
its fold models, or the next best trial, take its place (``automl.final.refit``,
``automl.final.assemble``). A scorer metric has no prior score to measure gains from, and a trial
that validated no better than the prior has no gain to keep; their refits are not checked.
"""

from __future__ import annotations

import logging
import math

import numpy as np
from sklearn.pipeline import Pipeline

from automl.space.compiled import Config
from automl.trials.budget import CHECK_ROWS
from automl.trials.evaluate import (EvaluationContext, fit_final, predict_raw, prior_prediction,
                                    prior_score, split_rows)

logger = logging.getLogger(__name__)

# A refit scored on its own training rows should keep all of its out-of-fold gain and more;
# a quarter is allowed for the sample's noise and for models whose fits vary from run to run.
MIN_KEPT_GAIN = 0.75


class RefitDiverged(RuntimeError):
    """The refit on all rows lost what its validation score promised."""


def checked_refit(config: Config, context: EvaluationContext, n_threads: int,
                  validated_score: float | None) -> Pipeline:
    """``config`` fitted on all rows (``evaluate.fit_final``), raising :class:`RefitDiverged`
    when it fails :func:`check_refit` against ``validated_score``."""
    pipeline = fit_final(config, context, n_threads)
    check_refit(pipeline, context, validated_score)
    return pipeline


def check_refit(pipeline: Pipeline, context: EvaluationContext,
                validated_score: float | None) -> bool:
    """Raise :class:`RefitDiverged` unless ``pipeline``, fitted on all rows, keeps at least
    ``MIN_KEPT_GAIN`` of the gain over the prior that ``validated_score`` showed, on a
    sample of the rows it was fitted on (see the module docstring). True when it was checked
    and passed; False when there was nothing to check (no gain over the prior to keep, a
    scorer metric, or a sample the metric cannot score)."""
    dataset, metric = context.dataset, context.metric
    prior = prior_score(context)
    if prior is None or validated_score is None or not math.isfinite(validated_score) \
            or validated_score <= prior:
        return False
    rows = _sample(dataset.y, dataset.task, context.seed)
    predictions = predict_raw(pipeline, dataset.X.iloc[rows], dataset.n_classes)
    if not np.all(np.isfinite(predictions)):
        raise RefitDiverged("its refit on all rows predicted NaN or infinity on its own "
                            "training rows")
    y = dataset.y[rows]
    try:
        score = metric.score(y, predictions, dataset.n_classes)
        constant = prior_prediction(dataset, metric)
        prior_here = metric.score(y, np.broadcast_to(constant, (len(rows),) + np.shape(constant)),
                                  dataset.n_classes)
    except ValueError as error:  # e.g. AUC of a sample that lacks a class: no verdict
        logger.info("refit not checked: %s", error)
        return False
    if score - prior_here < MIN_KEPT_GAIN * (validated_score - prior):
        units = metric.in_units
        raise RefitDiverged(
            f"its refit on all rows scored {metric.name} {units(score):.4g} on {len(rows)} of "
            f"its own training rows (predicting the prior: {units(prior_here):.4g}), where it "
            f"had scored {units(validated_score):.4g} in validation (the prior: "
            f"{units(prior):.4g}); a model that loses so much on the rows it was fitted on has "
            f"diverged, and is not used")
    return True


def _sample(y: np.ndarray, task: str, seed: int) -> np.ndarray:
    """At most ``CHECK_ROWS`` row indices, seeded, stratified by class where it can be, in
    order."""
    if len(y) <= CHECK_ROWS:
        return np.arange(len(y))
    return split_rows(np.arange(len(y)), y, task, seed, train_size=CHECK_ROWS)[0]
