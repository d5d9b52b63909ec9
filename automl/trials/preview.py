"""The preview: a first model within seconds on large data and on data with many classes.

The search first runs one when its first trial would be slow: when the first split
trains on more than ``PREVIEW_ABOVE_ROWS`` rows, or when the first trial's work (training rows
summed over the folds, times the trees LightGBM grows per round: one per class for multiclass)
passes ``PREVIEW_ABOVE_WORK``. The preview is the default config fitted on a stratified sample
of at most ``PREVIEW_ROWS`` of the first split's training rows and scored on that split's
validation rows only; on multiclass data its boosting rounds are cut to about
``PREVIEW_TREES`` trees in all, with a larger learning rate to make up for them. It exists so
that a usable model is there within seconds on large data and on data with many classes; its
score is not comparable with the trials' (fewer rows, possibly one fold of several), so
nothing ranks it against them.
"""

from __future__ import annotations

from sklearn.pipeline import Pipeline

from automl.space.compiled import Config
from automl.trials.evaluate import (EvaluationContext, Resampling, TrialResult, score_and_keep,
                                    split_rows)

# The preview (see the docstring above): default LightGBM fits 2,000 rows of 100 columns in
# under a second; below 5,000 training rows the first trial itself takes about that long.
PREVIEW_ROWS = 2_000
PREVIEW_ABOVE_ROWS = 5_000
# Work in training rows x trees per round, so that data with many classes, whose first trial
# grows a tree per class a round, previews too; for binary and regression the row rule decides.
PREVIEW_ABOVE_WORK = 3 * PREVIEW_ABOVE_ROWS
# The preview's trees in all, so that many classes do not make it slow. The fewest rounds are
# the space's lower bound for LightGBM (a config outside the space fails; tests check the
# preview's config against the space).
PREVIEW_TREES = 100
_PREVIEW_MIN_ROUNDS = 16
_PREVIEW_MAX_LEARNING_RATE = 0.3


def has_preview(resampling: Resampling, n_classes: int = 0) -> bool:
    """Whether the search should start with a preview (see the module docstring).

    ``n_classes`` is 0 for regression; multiclass LightGBM grows one tree per class a round.
    """
    work = resampling.train_rows * _trees_per_round(n_classes)
    return len(resampling.folds[0][0]) > PREVIEW_ABOVE_ROWS or work > PREVIEW_ABOVE_WORK


def preview_config(config: Config, n_classes: int) -> Config:
    """The preview's version of ``config``: on multiclass data, at most about ``PREVIEW_TREES``
    trees in all (never under ``_PREVIEW_MIN_ROUNDS`` rounds), the learning rate raised by
    as much as the rounds were cut (up to ``_PREVIEW_MAX_LEARNING_RATE``). Other configs, and
    models without both parameters, are returned as they are."""
    prefix = f"model.{config.get('model')}."
    rounds_key, rate_key = prefix + "n_estimators", prefix + "learning_rate"
    trees_per_round = _trees_per_round(n_classes)
    if trees_per_round == 1 or rounds_key not in config or rate_key not in config:
        return config
    rounds = max(_PREVIEW_MIN_ROUNDS, PREVIEW_TREES // trees_per_round)
    if config[rounds_key] <= rounds:
        return config
    rate = min(_PREVIEW_MAX_LEARNING_RATE, config[rate_key] * config[rounds_key] / rounds)
    return {**config, rounds_key: rounds, rate_key: max(rate, config[rate_key])}


def _trees_per_round(n_classes: int) -> int:
    """Trees a boosting round grows: one per class for multiclass, else one."""
    return n_classes if n_classes > 2 else 1


def preview(config: Config, context: EvaluationContext, rows: int = PREVIEW_ROWS,
            n_threads: int = 1) -> tuple[TrialResult, Pipeline | None]:
    """``config`` fitted on ``rows`` of the first split's training rows, scored on its
    validation rows, and the fitted pipeline (None unless it succeeded)."""
    train, validation = context.resampling.folds[0]
    if len(train) > rows:
        train, _ = split_rows(train, context.dataset.y, context.dataset.task, context.seed,
                              train_size=rows)
    return score_and_keep(config, context, n_threads, folds=((train, validation),))
