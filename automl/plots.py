"""The report's figures, each a matplotlib ``Figure`` built from a fitted model's numbers.

Every score axis is in the metric's own units and says which way is better. Failed and
timed-out trials have no score; the history marks them on the worse edge of its axis, so a
search that lost half its trials to time-outs looks like it. Scores far worse than most
(a model that learnt little) would squash the good ones into a line; they are drawn on the
worse edge too, as arrows pointing off the axis.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from automl import diagnostics
from automl.diagnostics import HeldOut
from automl.trials.trial_log import PREVIEW

# A score this many times further from the best than the median trial's is drawn on the
# axis's edge instead of widening the axis to it.
OUTLIER_FACTOR = 4.0
IMPORTANCE_FEATURES = 20
ROC_CLASSES = 10
_FAILED_MARKERS = {"failed": "x", "timeout": "s", "memout": "P"}
_BEYOND = "v"  # a score beyond the worse edge, which is at the bottom of every history


def pyplot() -> Any:
    """matplotlib's pyplot on the Agg backend: files, never a window."""
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def family_colours(families: list[str]) -> dict[str, Any]:
    """One colour per model family, the same in every figure of a report: tab10's ten, then
    black, then tab20's light shades (a light shade beside its dark one reads as the same)."""
    plt = pyplot()
    dark, paired = plt.get_cmap("tab10"), plt.get_cmap("tab20")
    palette = [dark(i) for i in range(10)] + [(0.0, 0.0, 0.0, 1.0)] + \
        [paired(i) for i in range(1, 20, 2)]
    return {family: palette[index % len(palette)]
            for index, family in enumerate(sorted(families))}


def score_label(model: Any) -> str:
    """``validation log_loss (lower is better)``: the score axis's label."""
    return f"validation {model.metric_} ({diagnostics.direction(model)})"


def history_figure(model: Any) -> Any:
    """Every trial when it ended, coloured by family; failed and timed-out trials marked on
    the worse edge; the best score so far as a step line."""
    plt = pyplot()
    trials = diagnostics.history(model.leaderboard_, model)
    colours = family_colours(list(trials["model"].dropna().unique()))
    sign = diagnostics.sign(model)
    scored = trials["score"].notna()
    limits = _axis_limits(trials.loc[scored, "score"], sign)
    figure, axes = plt.subplots(figsize=(9, 4.5))
    shown = trials.assign(plotted=trials["score"].clip(*sorted(limits)))
    for family, group in shown[scored].groupby("model", sort=True):
        trial_rows = group[group["source"].ne(PREVIEW)]
        inside = trial_rows["score"].eq(trial_rows["plotted"])
        axes.scatter(trial_rows.loc[inside, "finished_at_seconds"],
                     trial_rows.loc[inside, "plotted"], s=22, color=colours[family],
                     label=family, zorder=3)
        axes.scatter(trial_rows.loc[~inside, "finished_at_seconds"],
                     trial_rows.loc[~inside, "plotted"], s=40, color=colours[family],
                     marker=_BEYOND, zorder=3)
        preview = group[group["source"].eq(PREVIEW)]
        axes.scatter(preview["finished_at_seconds"], preview["plotted"], s=40,
                     facecolors="none", edgecolors=colours[family], marker="D", zorder=3)
    edge = limits[1]  # the worse end
    for status, marker in _FAILED_MARKERS.items():
        failed = trials[trials["status"].eq(status)]
        if len(failed):
            axes.scatter(failed["finished_at_seconds"], np.full(len(failed), edge), s=40,
                         marker=marker, color=[colours[f] for f in failed["model"]],
                         zorder=4, clip_on=False)
            _key(axes, marker, f"{status} ({len(failed)}), on the edge")
    if (shown.loc[scored, "score"] != shown.loc[scored, "plotted"]).any():
        _key(axes, _BEYOND, "scored beyond the axis")
    if scored.any():
        best = trials["best_so_far"].ffill()
        axes.step([*trials["finished_at_seconds"], model.fit_seconds_], [*best, best.iloc[-1]],
                  where="post", color="black", linewidth=1.5, label="best so far (incumbent)",
                  zorder=2)
    if (trials["source"] == PREVIEW).any():
        _key(axes, "D", "preview (row sample, not ranked)", hollow=True)
    axes.set_ylim(*_padded(limits))
    if sign < 0:
        axes.invert_yaxis()  # better is up on every history, losses too
    n_bad = int(trials["status"].ne("ok").sum())
    axes.set(xlabel="seconds since fit started", ylabel=score_label(model),
             title=f"Optimisation history: {int(trials['source'].ne(PREVIEW).sum())} trials"
                   + (f", {n_bad} without a score" if n_bad else ""),
             xlim=(0, max(model.fit_seconds_, 1.0)))
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return figure


def family_figure(model: Any) -> Any | None:
    """Each family's trial scores as dots and its best as a large one, on an axis zoomed to
    the scores (not from zero), best family on top; None when no trial has a score."""
    plt = pyplot()
    trials = diagnostics.trials_only(model.leaderboard_)
    ok = trials[trials["status"].eq("ok") & trials["score"].notna()]
    if ok.empty:
        return None
    sign = diagnostics.sign(model)
    families = diagnostics.family_bests(model.leaderboard_, model)
    families = families.dropna(subset=["best_score"])
    colours = family_colours(list(trials["model"].unique()))
    limits = _axis_limits(ok["score"], sign)
    figure, axes = plt.subplots(figsize=(8, 0.45 * len(families) + 1.6))
    for position, row in enumerate(families[::-1].itertuples()):
        scores = ok.loc[ok["model"].eq(row.model), "score"].clip(*sorted(limits))
        axes.scatter(scores, np.full(len(scores), position), s=14, alpha=0.45,
                     color=colours[row.model], zorder=2)
        best = float(np.clip(row.best_score, *sorted(limits)))
        axes.scatter([best], [position], s=70, color=colours[row.model], zorder=3,
                     edgecolors="black")
        beyond = " (off the axis)" if best != row.best_score else ""
        axes.annotate(f"{row.best_score:.4g}{beyond}", (best, position),
                      textcoords="offset points", xytext=(0, 7), ha="center", fontsize="small")
    axes.set_yticks(range(len(families)), families["model"][::-1])
    axes.set_xlim(*_padded(limits))
    if sign < 0:
        axes.invert_xaxis()  # better is right, losses too
    axes.set_ylim(-0.7, len(families) - 0.3)
    axes.grid(axis="x", alpha=0.3)
    axes.set(xlabel=f"{score_label(model)}; better is to the right",
             title="Best score per family (large dot) and each trial's (small)")
    return figure


def ensemble_figure(model: Any) -> Any | None:
    """The final model's members by weight; None for fewer than two members."""
    members = model.ensemble_
    if len(members) < 2:
        return None
    plt = pyplot()
    colours = family_colours(list(members["model"].unique()))
    figure, axes = plt.subplots(figsize=(7, 0.35 * len(members) + 1.2))
    labels = [f"{row.model} (trial {row.trial})" for row in members.itertuples()]
    axes.barh(labels[::-1], members["weight"][::-1],
              color=[colours[family] for family in members["model"][::-1]])
    axes.set(xlabel="weight in the final model", title="Ensemble weights", xlim=(0, 1))
    return figure


def importance_figure(model: Any, importance: pd.DataFrame) -> Any:
    """Permutation importance: how much worse the held-out score gets when a column is
    shuffled, in the metric's units (a loss rises, a score drops)."""
    plt = pyplot()
    top = importance.head(IMPORTANCE_FEATURES)
    figure, axes = plt.subplots(figsize=(7, 0.3 * len(top) + 1.4))
    axes.barh(top["feature"][::-1], top["importance"][::-1], xerr=top["std"][::-1], color="C1")
    axes.axvline(0, color="grey", linewidth=0.8)
    change = "rise" if diagnostics.sign(model) < 0 else "drop"
    axes.set(xlabel=f"{change} in {model.metric_} when the column is shuffled "
                    f"(larger: more important)",
             title="Permutation feature importance (held-out rows)")
    return figure


def confusion_figure(model: Any, held_out: HeldOut) -> Any:
    from sklearn.metrics import ConfusionMatrixDisplay
    plt = pyplot()
    labels = [str(label) for label in model.classes_]
    size = min(4 + 0.4 * len(labels), 12)
    figure, axes = plt.subplots(figsize=(size, size))
    ConfusionMatrixDisplay.from_predictions(held_out.y_true,
                                            np.argmax(held_out.predictions, axis=1),
                                            labels=np.arange(len(labels)),
                                            display_labels=labels, ax=axes, colorbar=False,
                                            xticks_rotation="vertical")
    axes.set_title("Confusion matrix (held-out rows)")
    return figure


def roc_figure(model: Any, held_out: HeldOut) -> Any:
    """One ROC curve for a binary target (its second class as the positive one), one per
    class against the rest (at most ``ROC_CLASSES``) otherwise."""
    from sklearn.metrics import RocCurveDisplay
    plt = pyplot()
    labels = [str(label) for label in model.classes_]
    binary = len(labels) == 2
    figure, axes = plt.subplots(figsize=(6, 5))
    for code in range(1, 2) if binary else range(min(len(labels), ROC_CLASSES)):
        positives = held_out.y_true == code
        if 0 < positives.sum() < len(positives):
            RocCurveDisplay.from_predictions(positives, held_out.predictions[:, code], ax=axes,
                                             name=labels[code] if binary
                                             else f"{labels[code]} vs rest")
    axes.plot([0, 1], [0, 1], linestyle=":", color="grey")
    # scikit-learn names a boolean target's positive label on the axes ("Positive label:
    # True"); here the curves' names say it.
    axes.set(xlabel="false positive rate", ylabel="true positive rate",
             title=f"ROC curve, {labels[1]} as positive (held-out rows)" if binary
             else "ROC curves, each class against the rest (held-out rows)")
    return figure


def residual_figure(held_out: HeldOut) -> Any:
    from sklearn.metrics import PredictionErrorDisplay
    plt = pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    PredictionErrorDisplay.from_predictions(held_out.y_true, held_out.predictions, ax=left,
                                            kind="residual_vs_predicted")
    left.set_title("Residuals (held-out rows)")
    PredictionErrorDisplay.from_predictions(held_out.y_true, held_out.predictions, ax=right,
                                            kind="actual_vs_predicted")
    right.set_title("Actual against predicted (held-out rows)")
    return figure


def _key(axes: Any, marker: str, label: str, hollow: bool = False) -> None:
    """A grey legend entry for a marker shape drawn in the families' colours."""
    axes.scatter([], [], marker=marker, label=label, s=40,
                 **({"facecolors": "none", "edgecolors": "grey"} if hollow else {"color": "grey"}))


def _axis_limits(scores: pd.Series, sign: float) -> tuple[float, float]:
    """(best end, worse end) of a score axis: the worse end stops where scores turn into
    outliers (see ``OUTLIER_FACTOR``)."""
    values = sign * scores.dropna().to_numpy(dtype=float)  # larger is better here
    if values.size == 0:
        return (1.0, 0.0) if sign > 0 else (0.0, 1.0)
    best = values.max()
    typical = best - np.median(values)
    worst = max(values.min(), best - OUTLIER_FACTOR * typical) if typical > 0 else values.min()
    if worst == best:
        worst = best - max(abs(best) * 0.01, 1e-6)
    return sign * best, sign * worst


def _padded(limits: tuple[float, float], share: float = 0.06) -> tuple[float, float]:
    low, high = sorted(limits)
    pad = (high - low) * share
    return low - pad, high + pad
