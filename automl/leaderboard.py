"""The fitted model's ``leaderboard_``: every trial, and the ensemble as a row of its own.

Scores are in the metric's own units (the model's ``higher_is_better_`` says which end is
best). Beside the score, what people choose between models on: seconds to fit, milliseconds
to predict a batch of 1,000 rows and megabytes of model. A trial's predict time is measured
in the worker on its last fold model (``evaluate.batch_predict_ms``); its size is the
estimate ``automl.trials.model_size`` makes from the fitted arrays and trees, for the model as the
final model holds it when it is a member, else for one fold model. A leader the search
scored again on other draws of the folds (``automl.search.repeats``) says on how many
(``draws``) and its mean score over them (``score_on_draws``; the score of the first draw
for every other trial).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from automl.final.assemble import FinalModel
from automl.final.ensemble import FoldAverage, WeightedEnsemble
from automl.final.prior_blend import PriorBlend
from automl.trials.model_size import estimated_pickle_bytes
from automl.trials.trial_log import PREVIEW, Trial, TrialLog

COLUMNS = ["trial", "model", "score", "draws", "score_on_draws", "status", "error", "fit_seconds",
           "predict_ms_per_1000_rows", "size_mb", "finished_at_seconds", "source",
           "ensemble_weight", "config"]
# The source (and model) of the row that stands for the blend of the final model's members.
ENSEMBLE = "ensemble"
_MB = 2**20


def build_leaderboard(log: TrialLog, final: FinalModel | None = None,
                      split_scores: dict[int, list[float]] | None = None) -> pd.DataFrame:
    """One row per trial and, when the final model blends several, one for the blend; best
    first by validation score, then the preview, failed trials last. ``split_scores`` are
    the search's scores of its leaders on other draws of the folds, by trial."""
    final = final or FinalModel(model=None)
    members, split_scores = _members(final), split_scores or {}
    rows = [_trial_row(trial, log.sign, final, members.get(trial.trial),
                       split_scores.get(trial.trial, [])) for trial in log.trials]
    if len(members) > 1 and final.ensemble_score is not None:
        rows.append(_ensemble_row(final, rows, log.sign))
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["trial"] = frame["trial"].astype("Int64")
    frame["draws"] = frame["draws"].astype("Int64")
    for column in ("score", "score_on_draws", "fit_seconds", "predict_ms_per_1000_rows", "size_mb",
                   "finished_at_seconds", "ensemble_weight"):
        frame[column] = frame[column].astype(float)
    order = pd.DataFrame({"failed": frame["score"].isna(),
                          "preview": frame["source"].eq(PREVIEW),
                          "score": -log.sign * frame["score"],
                          "trial": frame["trial"].fillna(-1)})  # the blend before a tie
    frame = frame.loc[order.sort_values(["failed", "preview", "score", "trial"]).index]
    return frame.reset_index(drop=True)


def trials_only(leaderboard: pd.DataFrame) -> pd.DataFrame:
    """The leaderboard's trials: without the preview (a quick model on a row sample,
    counting it would say one trial more than the search ran) and the ensemble's row."""
    return leaderboard[~leaderboard["source"].isin([PREVIEW, ENSEMBLE])]


def _trial_row(trial: Trial, sign: float, final: FinalModel, member: Any,
               more_draws: list[float]) -> dict[str, Any]:
    result = trial.result
    draws = 1 + len(more_draws) if trial.ok and not trial.preview else None
    on_draws = sign * float(np.mean([result.score, *more_draws])) if draws else np.nan
    per_1000 = result.predict_ms_per_1000_rows
    nbytes = result.handover.nbytes if result.handover.nbytes else np.nan
    if member is not None:  # as the final model holds it: refit on all rows, or its folds
        nbytes = estimated_pickle_bytes(member)
        per_1000 *= len(member.members) if isinstance(member, FoldAverage) else 1
    return dict(trial.record(sign), draws=draws, score_on_draws=on_draws,
                predict_ms_per_1000_rows=per_1000, size_mb=nbytes / _MB,
                ensemble_weight=final.weights.get(trial.trial, 0.0))


def _ensemble_row(final: FinalModel, rows: list[dict[str, Any]], sign: float
                  ) -> dict[str, Any]:
    """The blend: every member predicts, so its predict time is theirs summed."""
    predict = sum(row["predict_ms_per_1000_rows"] for row in rows
                  if row["trial"] in final.weights)
    return {"trial": None, "model": ENSEMBLE, "score": sign * final.ensemble_score,
            "draws": None, "score_on_draws": sign * final.ensemble_score, "status": "ok",
            "error": None, "fit_seconds": np.nan,
            "predict_ms_per_1000_rows": predict,
            "size_mb": estimated_pickle_bytes(final.model) / _MB, "finished_at_seconds": np.nan,
            "source": ENSEMBLE, "ensemble_weight": np.nan,
            "config": {"members": {str(trial): weight for trial, weight
                                   in final.weights.items()}}}


def _members(final: FinalModel) -> dict[int, Any]:
    """The final model's member models by trial (none for a model of the prior alone)."""
    model = final.model.model if isinstance(final.model, PriorBlend) else final.model
    if isinstance(model, WeightedEnsemble):
        return dict(zip(model.trials, model.members))
    if len(final.weights) == 1:
        return {next(iter(final.weights)): model}
    return {}
