"""Whole-table workflows: fit a frame with a named target (or see where the fit would
start), predict a submission, sum up a baseline. The command line is a thin layer over these, so a script gets the same results.

    first_trials_table(frame, "species", id_column="id", time_budget=60).trials  # no fit
    saved = fit_table(frame, "species", id_column="id", holdout=0.25, time_budget=60)
    save_model(saved, "model.pkl")
    submission = predict_table(load_model("model.pkl"), test_frame)
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from automl import diagnostics
from automl.base.exceptions import InputError
from automl.diagnostics import HeldOut
from automl.estimator import estimator_for, fit
from automl.first_trials import FirstTrials
from automl.input.data import _as_target, infer_task
from automl.input.tables import split_table
from automl.persistence import SavedModel


def fit_table(frame: pd.DataFrame, target: str, *, time_budget: float,
              id_column: str | None = None, holdout: float = 0.0, source: str = "",
              random_state: int | None = 0, **fit_options: Any) -> SavedModel:
    """Fit ``automl.fit`` on the columns of ``frame`` other than ``target`` and ``id_column``.

    ``holdout`` in [0, 0.9): that share of rows (stratified for classification) is kept out
    of the fit and saved with the model, for the report to score it on. The id column is
    never a feature; its name is remembered for predictions.
    """
    _check_holdout(holdout)
    table = split_table(frame, target, id_column, source=source or "the data")
    X, y = _rows_with_target(table.X, table.y, target)
    X_held = y_held = None
    if holdout > 0:
        X, X_held, y, y_held = _holdout_split(X, y, holdout, random_state,
                                              fit_options.get("task"))
    model = fit(X, y, time_budget=time_budget, random_state=random_state, **fit_options)
    summary = diagnostics.summarise_data(X, y, model, source=source, target=target,
                                         id_column=id_column)
    return SavedModel(model=model, target=target, id_column=id_column, data_summary=summary,
                      holdout=(X_held, y_held) if X_held is not None else None)


def first_trials_table(frame: pd.DataFrame, target: str, *, time_budget: float,
                       id_column: str | None = None, source: str = "",
                       random_state: int | None = 0, **fit_options: Any) -> FirstTrials:
    """The trials :func:`fit_table` (without a holdout) would start with on ``frame``, and
    the past datasets nearest to it, without fitting (see :mod:`automl.first_trials`)."""
    table = split_table(frame, target, id_column, source=source or "the data")
    X, y = _rows_with_target(table.X, table.y, target)
    estimator = estimator_for(y, time_budget=time_budget, random_state=random_state,
                              **fit_options)
    return estimator.first_trials(X, y)


def predict_table(saved: SavedModel, frame: pd.DataFrame, proba: bool = False) -> pd.DataFrame:
    """A submission: the id column (when the model has one) and the prediction, or one
    column per class with ``proba``. A target column in ``frame`` is ignored."""
    model = saved.model
    if proba and model.task_ == "regression":
        raise InputError("--proba/proba=True needs a classifier; this model is a regressor.")
    if getattr(model, "prior_only_", False):
        warnings.warn("this model only predicts the training prior (its fit found nothing that "
                      "beat it): every row gets the same prediction. Refit it with a larger "
                      "time budget.", UserWarning, stacklevel=2)
    id_column = saved.id_column
    dropped = [name for name in (saved.target,) if name is not None and name in frame.columns]
    table = split_table(frame.drop(columns=dropped), None, id_column, source="the data")
    out = pd.DataFrame(index=frame.index)
    if id_column is not None:
        out[id_column] = table.ids
    if proba:
        probabilities = model.predict_proba(table.X)
        for code, label in enumerate(model.classes_):
            out[str(label)] = probabilities[:, code]
    else:
        out[saved.target or "prediction"] = model.predict(table.X)
    return out.reset_index(drop=True)


def baseline_summary(saved: SavedModel, held_out: HeldOut | None) -> str:
    """A short Markdown summary a person can paste into a README."""
    model, data = saved.model, saved.data_summary
    direction = f" ({diagnostics.direction(model)})"
    kinds = ", ".join(f"{count} {kind}" for kind, count in data["column_kinds"].items())
    lines = [f"## Baseline: {data.get('source') or 'data'} -> {saved.target}", "",
             f"- task: {model.task_}; metric: {model.metric_}{direction}",
             f"- data: {data['rows']} training rows, {data['features']} features ({kinds}), "
             f"{data['missing_share']:.1%} of cells missing"
             + (f"; id column {saved.id_column!r} left out" if saved.id_column else "")]
    if held_out is not None:
        lines.append(f"- dummy baseline (training prior): {model.metric_} "
                     f"{_fmt(held_out.dummy_score)} on {held_out.n_rows} held-out rows")
    families = diagnostics.family_bests(model.leaderboard_, model).dropna(subset=["best_score"])
    bests = ", ".join(f"{row.model} {_fmt(row.best_score)}" for row in families.itertuples())
    lines.append(f"- best validation {model.metric_} per family: {bests or 'none succeeded'}")
    lines.append(f"- chosen model: {_chosen(model)}")
    lines.append(f"- its validation {model.metric_}: "
                 f"{_fmt(_validation_score(model))}"
                 + (f"; held-out {model.metric_}: {_fmt(held_out.score)}" if held_out else ""))
    warm = diagnostics.warm_start_summary(model)
    nearest = ", ".join(warm.neighbours["dataset"].astype(str)) if not warm.neighbours.empty \
        else ""
    lines.append(f"- warm start: {warm.described()}"
                 + (f"; nearest past datasets: {nearest}" if nearest else ""))
    lines.append(f"- search: {len(diagnostics.trials_only(model.leaderboard_))} trials in "
                 f"{model.fit_seconds_:.1f} s "
                 f"(budget {model.time_budget:g} s), seed {model.random_state_}")
    return "\n".join(lines) + "\n"


def _validation_score(model: Any) -> float | None:
    """The final model's validation score: the blend's, or its one member's."""
    return model.ensemble_score_ if model.ensemble_score_ is not None else model.best_score_


def _chosen(model: Any) -> str:
    members = model.ensemble_
    if members.empty:
        return diagnostics.prior_final_model(model)
    if len(members) == 1:
        return f"{members['model'].iloc[0]} (trial {members['trial'].iloc[0]})"
    parts = ", ".join(f"{row.model} {row.weight:.2f}" for row in members.itertuples())
    return f"ensemble of {len(members)} pipelines ({parts})"


def _rows_with_target(X: pd.DataFrame, y: pd.Series,
                      target: str) -> tuple[pd.DataFrame, pd.Series]:
    """Rows whose target is missing cannot teach anything: they are left out, with a warning."""
    missing = y.isna().to_numpy()
    if missing.all():
        raise InputError(f"the target column {target!r} has no values (all {len(y)} missing).")
    if missing.any():
        warnings.warn(f"{int(missing.sum())} of {len(y)} rows have no value in the target "
                      f"column {target!r}; they are left out of the fit.", UserWarning,
                      stacklevel=3)
    return X[~missing], y[~missing]


def _holdout_split(X: pd.DataFrame, y: pd.Series, fraction: float, seed: int | None,
                   task: str | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    if task is None:
        task = infer_task(_as_target(y, len(y)))
    stratify = None
    if task != "regression":
        counts = y.value_counts()
        if len(counts) and counts.min() >= 2 and round(len(y) * fraction) >= len(counts):
            stratify = y
    n_held = int(round(len(y) * fraction))
    if n_held < 1 or len(y) - n_held < 2:
        raise InputError(f"holdout={fraction} leaves {n_held} held-out and {len(y) - n_held} "
                         f"training rows of {len(y)}; use a smaller holdout or more rows.")
    return train_test_split(X, y, test_size=n_held, random_state=seed, stratify=stratify)


def _check_holdout(holdout: Any) -> None:
    if isinstance(holdout, bool) or not isinstance(holdout, (int, float)) \
            or not 0 <= holdout < 0.9 or not np.isfinite(holdout):
        raise InputError(f"holdout must be a share of rows in [0, 0.9), got {holdout!r}.")


def _fmt(value: float | None) -> str:
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.4g}"
