"""What a fitted model's run says: data summary, history, best per family, held-out checks.

The report and ``automl baseline`` draw and print these; they live here, apart from the
plotting, so that Python users get the same numbers (``held_out_evaluation(model, X, y)``).
Every score is in the metric's own units, as the fitted model's are: a person reads a log
loss of 0.31, not -0.31; ``sign(model)`` turns them into the search's higher-is-better form
where scores are compared.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn import inspection

from automl.base import metrics
from automl.base.exceptions import InputError
from automl.base.metrics import Metric, get_metric
from automl.leaderboard import ENSEMBLE, trials_only
from automl.search.warmstart import WARM_SOURCES
from automl.trials.trial_log import PREVIEW

logger = logging.getLogger(__name__)

# Permutation importance repeats and the rows it scores: enough for a stable ranking on
# held-out data, bounded so that the report takes seconds on a large table.
IMPORTANCE_REPEATS = 5
IMPORTANCE_ROWS = 2000
# Permutation importance is cut to about this many seconds (fewer rows, then fewer repeats).
IMPORTANCE_SECONDS = 10.0
_IMPORTANCE_MIN_ROWS = 200


@dataclass(frozen=True)
class HeldOut:
    """The model on rows it was not fitted on, against the training prior (the dummy)."""

    metric: str
    score: float
    dummy_score: float
    n_rows: int
    y_true: np.ndarray
    predictions: np.ndarray  # class probabilities (columns follow classes_) or values
    importance: pd.DataFrame  # feature, importance, std: the metric's loss when shuffled


def model_metric(model: Any) -> Metric | None:
    """The metric the model was searched on, when it is one of the library's names."""
    try:
        return get_metric(model.metric_, model.task_)
    except (InputError, ValueError):
        return None


def sign(model: Any) -> float:
    """+1 when the model's metric is higher-is-better, -1 for losses: a score times this is
    the search's form, in which larger is always better."""
    return 1.0 if model.higher_is_better_ else -1.0


def direction(model: Any) -> str:
    """"higher is better" or "lower is better", for the model's metric."""
    return metrics.direction(model.higher_is_better_)


def summarise_data(X: pd.DataFrame, y: pd.Series, model: Any, source: str = "",
                   target: str | None = None, id_column: str | None = None) -> dict[str, Any]:
    """Sizes, column kinds, missing values and the target's distribution of the training rows.

    Also keeps the target's prior (class shares, or mean and median), which is the dummy
    baseline that held-out scores are set against.
    """
    kinds = pd.Series([column.kind for column in model.schema_.columns]).value_counts()
    missing = X.isna().mean()
    summary: dict[str, Any] = {
        "source": source, "rows": int(len(X)), "features": int(X.shape[1]),
        "target": target, "id_column": id_column, "task": model.task_, "metric": model.metric_,
        "column_kinds": {str(kind): int(count) for kind, count in kinds.items()},
        "missing_share": float(X.isna().to_numpy().mean()) if X.size else 0.0,
        "columns_with_missing": {str(name): round(float(share), 4)
                                 for name, share in missing[missing > 0].items()},
    }
    if model.task_ == "regression":
        values = pd.to_numeric(pd.Series(y), errors="coerce")
        summary["target_summary"] = {key: float(value) for key, value
                                     in values.describe().items()}
        summary["prior"] = {"mean": float(values.mean()), "median": float(values.median())}
    else:
        counts = pd.Series(y).value_counts()
        summary["target_summary"] = {str(label): int(count) for label, count in counts.items()}
        shares = [float((pd.Series(y) == label).mean()) for label in model.classes_]
        summary["prior"] = {"class_shares": shares}
    return summary


@dataclass(frozen=True)
class WarmStartSummary:
    """Where a fit's search started: its trials of knowledge-base configs, by source, how
    many of them the final model keeps, and the past datasets found nearest (empty for a
    model saved before ``warm_start_neighbours_`` existed, or a cold search)."""

    trials: int
    by_source: dict[str, int]
    kept: int
    neighbours: pd.DataFrame

    @property
    def cold(self) -> bool:
        return self.trials == 0 and self.neighbours.empty

    def described(self) -> str:
        """One sentence, for the report and ``automl baseline``'s summary."""
        if self.cold:
            return "the search started cold (warm_start=False, or no knowledge base for this task)"
        parts = ", ".join(f"{count} from the {source}" for source, count in self.by_source.items())
        configs = "config" if self.trials == 1 else "configs"
        return (f"the search began with {self.trials} {configs} learned on past datasets "
                f"({parts or 'none ran'}); the final model keeps {self.kept} of them")


def warm_start_summary(model: Any) -> WarmStartSummary:
    """What the warm start gave ``model``'s search (see :class:`WarmStartSummary`)."""
    trials = trials_only(model.leaderboard_)
    warm = trials[trials["source"].isin(WARM_SOURCES)]
    names = {"portfolio": "portfolio", "warmstart": "nearest past datasets"}
    return WarmStartSummary(len(warm), {names[source]: int(count) for source, count
                                        in warm["source"].value_counts().items()},
                            int((warm["ensemble_weight"] > 0).sum()),
                            getattr(model, "warm_start_neighbours_", pd.DataFrame()))


def prior_final_model(model: Any) -> str:
    """How to name a final model that predicts the training prior, and why it does: every
    model the search found scored worse than the prior on validation, or none was usable."""
    prior = getattr(model, "prior_score_", None)  # absent from models saved before it
    scores = model.leaderboard_["score"].where(model.leaderboard_["status"].eq("ok")).dropna()
    if prior is not None and len(scores) and (sign(model) * scores).max() < sign(model) * prior:
        return "training prior (it scored better on validation than every trial)"
    return "training prior (no usable trial)"


def history(leaderboard: pd.DataFrame, model: Any) -> pd.DataFrame:
    """Trials in the order they ended: when, score, and the best score so far (metric units;
    the preview, scored on other rows, does not set it)."""
    frame = leaderboard[leaderboard["source"].ne(ENSEMBLE)]
    frame = frame.sort_values("finished_at_seconds").reset_index(drop=True)
    ok = frame["status"].eq("ok") & frame["score"].notna() & frame["source"].ne(PREVIEW)
    best = (sign(model) * frame["score"]).where(ok).cummax() * sign(model)
    frame = frame.assign(best_so_far=best)
    return frame[["trial", "model", "status", "source", "finished_at_seconds", "score",
                  "best_so_far"]]


def family_bests(leaderboard: pd.DataFrame, model: Any) -> pd.DataFrame:
    """Per model family: trials run, trials that succeeded, and the best validation score
    (the preview left out)."""
    rows = []
    trials = trials_only(leaderboard)
    for family, group in trials.groupby("model", sort=False):
        ok = group[group["status"].eq("ok") & group["score"].notna()]
        best = (sign(model) * ok["score"]).max() if len(ok) else -np.inf
        rows.append({"model": family, "trials": len(group), "ok": len(ok),
                     "best_score": sign(model) * best if len(ok) else None, "_order": best})
    frame = pd.DataFrame(rows).sort_values("_order", ascending=False)
    return frame.drop(columns="_order").reset_index(drop=True)


def held_out_evaluation(model: Any, X: pd.DataFrame, y: pd.Series,
                        prior: dict[str, Any] | None = None, seed: int = 0) -> HeldOut:
    """Score ``model`` on rows it was not fitted on, with permutation feature importance.

    ``prior`` is the training target's prior from :func:`summarise_data` (the dummy model);
    without it, the held-out rows' own prior stands in.
    """
    y_true = _encoded_target(model, y)
    predictions = _predictions(model, X)
    metric = model_metric(model)
    score = _score(model, metric, X, y, y_true, predictions)
    dummy = _score(model, metric, None, y, y_true, _prior_predictions(model, y_true, prior))
    importance = permutation_importance(model, X, y, seed=seed)
    return HeldOut(metric=model.metric_, score=score, dummy_score=dummy, n_rows=len(y_true),
                   y_true=y_true, predictions=predictions, importance=importance)


def permutation_importance(model: Any, X: pd.DataFrame, y: pd.Series, seed: int = 0,
                           seconds: float = IMPORTANCE_SECONDS) -> pd.DataFrame:
    """How much the model's held-out score drops when one column is shuffled (metric units,
    larger means more important), on at most ``IMPORTANCE_ROWS`` rows, and on fewer rows and
    repeats when one scoring's measured time says the whole would take over ``seconds``."""
    metric = model_metric(model)

    def scorer(estimator: Any, X_part: pd.DataFrame, y_part: pd.Series) -> float:
        encoded = _encoded_target(estimator, y_part)
        return _search_score(estimator, metric, X_part, y_part, encoded,
                             _predictions(estimator, X_part))

    X, y = _importance_rows(X, y, IMPORTANCE_ROWS, seed)
    started = time.perf_counter()
    scorer(model, X, y)
    per_row = (time.perf_counter() - started) / len(X)  # one scoring's seconds, per row
    repeats, columns = IMPORTANCE_REPEATS, X.shape[1]
    if per_row * len(X) * columns * repeats > seconds:  # fewer rows to a floor, then repeats
        rows = max(_IMPORTANCE_MIN_ROWS, int(seconds / (per_row * columns * repeats)))
        X, y = _importance_rows(X, y, rows, seed)
        repeats = max(1, min(repeats, int(seconds / (per_row * len(X) * columns))))
        logger.info("permutation importance on %d rows x %d repeats, to take about %.0f s",
                    len(X), repeats, seconds)
    result = inspection.permutation_importance(model, X, y, scoring=scorer,
                                               n_repeats=repeats, random_state=seed)
    frame = pd.DataFrame({"feature": [str(name) for name in X.columns],
                          "importance": result.importances_mean,
                          "std": result.importances_std})
    return frame.sort_values("importance", ascending=False).reset_index(drop=True)


def _importance_rows(X: pd.DataFrame, y: pd.Series, n: int, seed: int
                     ) -> tuple[pd.DataFrame, pd.Series]:
    """``n`` of the rows, drawn with ``seed`` (all of them when ``n`` is not fewer)."""
    if len(X) <= n:
        return X, y
    rows = np.sort(np.random.default_rng(seed).choice(len(X), n, replace=False))
    return X.iloc[rows], y.iloc[rows]


def _search_score(model: Any, metric: Metric | None, X: pd.DataFrame | None, y: pd.Series,
                  y_true: np.ndarray, predictions: np.ndarray) -> float:
    """Higher-is-better score, as the search computed it."""
    if metric is not None and metric.function is not None:
        n_classes = 0 if model.task_ == "regression" else len(model.classes_)
        return metric.score(y_true, predictions, n_classes)
    if X is None:
        return float("nan")  # a scorer needs a fitted estimator; the dummy has none
    if metric is not None and metric.scorer is not None:
        return float(metric.scorer(model, X, y))
    return float(model.score(X, y))  # a scorer callable given at fit time is not kept


def _score(model: Any, metric: Metric | None, X: pd.DataFrame | None, y: pd.Series,
           y_true: np.ndarray, predictions: np.ndarray) -> float:
    """The score in the metric's own units (nan where it cannot be computed)."""
    return sign(model) * _search_score(model, metric, X, y, y_true, predictions)


def _predictions(model: Any, X: pd.DataFrame) -> np.ndarray:
    return model.predict(X) if model.task_ == "regression" else model.predict_proba(X)


def _prior_predictions(model: Any, y_true: np.ndarray,
                       prior: dict[str, Any] | None) -> np.ndarray:
    n = len(y_true)
    if model.task_ == "regression":
        value = prior["mean"] if prior else float(np.mean(y_true))
        if prior and model.metric_ == "mae":
            value = prior["median"]
        return np.full(n, value)
    shares = np.asarray(prior["class_shares"]) if prior else \
        np.bincount(y_true, minlength=len(model.classes_)) / n
    return np.tile(shares, (n, 1))


def _encoded_target(model: Any, y: pd.Series) -> np.ndarray:
    """Held-out targets as the search saw them: class codes, or float values."""
    values = np.asarray(y)
    if model.task_ == "regression":
        numbers = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(numbers).all():
            raise InputError("the held-out target has missing or non-numeric values; drop "
                             "those rows first.")
        return numbers
    classes = model.classes_
    lookup = {label: code for code, label in enumerate(classes.tolist())}
    unseen = sorted({str(v) for v in values.tolist() if v not in lookup})
    if unseen:
        raise InputError(f"the held-out target has labels the model never saw: {unseen[:10]}; "
                         f"its classes are {classes.tolist()[:10]}.")
    return np.array([lookup[v] for v in values.tolist()], dtype=np.int64)
