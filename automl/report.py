"""One self-contained HTML page about a fitted model: what the data was, what the search
tried, what won, and how the final model does on rows it never saw.

Plots are drawn with matplotlib (the ``automl[report]`` extra) and embedded as PNG data
URIs, so the page is one file that opens anywhere, offline, with no scripts.
"""

from __future__ import annotations

import base64
import html
import io
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from automl import diagnostics
from automl.diagnostics import HeldOut
from automl.exceptions import MissingDependencyError
from automl.persistence import SavedModel

LEADERBOARD_ROWS = 20
IMPORTANCE_FEATURES = 20
ROC_CLASSES = 10

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0; }
th, td { border: 1px solid #ddd; padding: 0.2rem 0.5rem; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child, td.text { text-align: left; }
img { max-width: 100%; } .note { color: #555; } .plots { display: flex; flex-wrap: wrap; gap: 1rem; }
"""


def write_report(saved: SavedModel, path: str | os.PathLike,
                 held_out: HeldOut | None = None) -> Path:
    """Write the report of ``saved`` to ``path``; ``held_out`` defaults to the saved rows."""
    path = Path(path)
    page = build_report(saved, held_out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def build_report(saved: SavedModel, held_out: HeldOut | None = None) -> str:
    """The report as one HTML string."""
    plt = pyplot()
    model = saved.model
    if held_out is None and saved.holdout is not None:
        X, y = saved.holdout
        held_out = diagnostics.held_out_evaluation(model, X, y, saved.data_summary.get("prior"),
                                                   seed=model.random_state_)
    sections = [_overview(saved, held_out), _data_section(saved.data_summary),
                _leaderboard_section(model), _warm_start_section(model),
                _history_section(plt, model),
                _family_section(plt, model), _ensemble_section(plt, model),
                _held_out_section(plt, model, held_out)]
    title = f"automl report: {saved.data_summary.get('source') or 'model'}"
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{html.escape(title)}</h1>" + "".join(sections) + "</body></html>\n")


def pyplot() -> Any:
    """matplotlib's pyplot on the Agg backend, or a clear error naming the extra to install."""
    try:
        import matplotlib
    except ImportError as error:
        raise MissingDependencyError("the report draws its plots with matplotlib, which is not "
                                     "installed: pip install 'automl[report]' (or matplotlib)."
                                     ) from error
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def _overview(saved: SavedModel, held_out: HeldOut | None) -> str:
    model, summary = saved.model, saved.data_summary
    board = diagnostics.trials_only(model.leaderboard_)
    members = len(model.ensemble_)
    facts = {
        "task": model.task_, "metric": model.metric_,
        "training rows": summary.get("rows"), "features": summary.get("features"),
        "target": saved.target, "id column": saved.id_column,
        "fit time": f"{model.fit_seconds_:.1f} s of a {model.time_budget:g} s budget",
        "trials": f"{len(board)} ({int(board['status'].eq('ok').sum())} succeeded)",
        "final model": (f"ensemble of {members} pipelines" if members > 1 else
                        f"one pipeline ({model.ensemble_['model'].iloc[0]})" if members else
                        diagnostics.prior_final_model(model)),
        "best validation score": _fmt(diagnostics.natural(model, model.best_score_)),
        "ensemble validation score": _fmt(diagnostics.natural(model, model.ensemble_score_)),
        "training prior's validation score": _fmt(diagnostics.natural(
            model, getattr(model, "prior_score_", None))),
        "saved with": ", ".join(f"{k} {v}" for k, v in saved.versions.items()),
        "report written": time.strftime("%Y-%m-%d %H:%M"),
    }
    if held_out is not None:
        facts["held-out score"] = (f"{_fmt(held_out.score)} on {held_out.n_rows} rows "
                                   f"(dummy: {_fmt(held_out.dummy_score)})")
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td class=\"text\">{html.escape(str(v))}</td></tr>"
                   for k, v in facts.items() if v not in (None, ""))
    return f"<h2>Summary</h2><table>{rows}</table>"


def _data_section(summary: dict[str, Any]) -> str:
    if not summary:
        return ""
    kinds = ", ".join(f"{count} {kind}" for kind, count in summary["column_kinds"].items())
    parts = [f"<h2>Data</h2><p>{summary['rows']} rows, {summary['features']} features "
             f"({html.escape(kinds)}); {summary['missing_share']:.1%} of cells missing.</p>"]
    target = pd.Series(summary["target_summary"], name="value").rename_axis(
        "class" if summary["task"] != "regression" else "statistic").reset_index()
    parts.append(f"<p>Target {html.escape(str(summary.get('target') or ''))}:</p>"
                 + _table(target))
    if summary["columns_with_missing"]:
        missing = pd.Series(summary["columns_with_missing"], name="share missing")
        missing = missing.sort_values(ascending=False).head(20).rename_axis("column")
        parts.append("<p>Columns with missing values:</p>" + _table(missing.reset_index()))
    return "".join(parts)


def _leaderboard_section(model: Any) -> str:
    trials = diagnostics.trials_only(model.leaderboard_)
    board = trials.head(LEADERBOARD_ROWS).copy()
    board["score"] = [diagnostics.natural(model, s) for s in board["score"]]
    columns = ["trial", "model", "score", "status", "fit_seconds", "finished_at_seconds",
               "source", "ensemble_weight"]
    return (f"<h2>Leaderboard</h2><p class=\"note\">The {len(board)} best of "
            f"{len(trials)} trials by validation {html.escape(model.metric_)} "
            f"(out-of-fold or holdout, as the search scored them).</p>"
            + _table(board[columns]))


def _warm_start_section(model: Any) -> str:
    """Where the search started and why: the configs it took from the knowledge base, how
    many of them the final model kept, and the past datasets it found nearest."""
    warm = diagnostics.warm_start_summary(model)
    text = warm.described()
    parts = [f"<h2>Warm start</h2><p>{html.escape(text[0].upper() + text[1:])}.</p>"]
    if not warm.neighbours.empty:
        parts.append("<p>The past datasets nearest to this one by meta-features (the best "
                     "config of each was queued, unless already queued, outside this search's "
                     "models or too slow for the budget):</p>" + _table(warm.neighbours))
    return "".join(parts)


def _history_section(plt: Any, model: Any) -> str:
    trials = diagnostics.history(model.leaderboard_, model)
    figure, axes = plt.subplots(figsize=(8, 4))
    ok = trials["score"].notna()
    axes.scatter(trials.loc[ok, "finished_at_seconds"], trials.loc[ok, "score"], s=14,
                 alpha=0.6, label="trial")
    axes.step(trials["finished_at_seconds"], trials["best_so_far"], where="post",
              color="C3", label="best so far")
    axes.set(xlabel="seconds since fit started", ylabel=f"validation {model.metric_}",
             title="Optimisation history", xlim=(0, max(model.fit_seconds_, 1.0)))
    axes.legend()
    return "<h2>Optimisation history</h2>" + _image(plt, figure, "optimisation history")


def _family_section(plt: Any, model: Any) -> str:
    families = diagnostics.family_bests(model.leaderboard_, model)
    scored = families.dropna(subset=["best_score"])
    parts = ["<h2>Best score per model family</h2>", _table(families)]
    if len(scored):
        figure, axes = plt.subplots(figsize=(7, 0.35 * len(scored) + 1.2))
        axes.barh(scored["model"][::-1], scored["best_score"][::-1], color="C0")
        axes.set(xlabel=f"best validation {model.metric_}", title="Best score per family")
        parts.append(_image(plt, figure, "best score per model family"))
    return "".join(parts)


def _ensemble_section(plt: Any, model: Any) -> str:
    members = model.ensemble_
    if members.empty:
        return "<h2>Final model</h2><p>Every trial failed: the model predicts the prior.</p>"
    table = members.assign(score=[diagnostics.natural(model, s) for s in members["score"]])
    parts = ["<h2>Final model: members and weights</h2>",
             _table(table[["trial", "model", "weight", "score", "source"]])]
    if len(members) > 1:
        figure, axes = plt.subplots(figsize=(7, 0.35 * len(members) + 1.2))
        labels = [f"{row.model} (trial {row.trial})" for row in members.itertuples()]
        axes.barh(labels[::-1], members["weight"][::-1], color="C2")
        axes.set(xlabel="weight", title="Ensemble weights")
        parts.append(_image(plt, figure, "ensemble weights"))
    configs = "".join(f"<li>trial {row.trial}: <code>{html.escape(repr(row.config))}</code></li>"
                      for row in members.itertuples())
    parts.append(f"<details><summary>Configs</summary><ul>{configs}</ul></details>")
    return "".join(parts)


def _held_out_section(plt: Any, model: Any, held_out: HeldOut | None) -> str:
    if held_out is None:
        return ("<h2>Held-out evaluation</h2><p class=\"note\">No held-out rows: every row "
                "went into the fit. Fit with <code>--holdout 0.2</code>, or pass labelled rows "
                "the model has not seen with <code>automl report MODEL --data FILE</code>, to "
                "get feature importance and diagnostic plots.</p>")
    parts = [f"<h2>Held-out evaluation</h2><p>{html.escape(held_out.metric)} on "
             f"{held_out.n_rows} held-out rows: <b>{_fmt(held_out.score)}</b>; the dummy "
             f"model (the training prior) scores {_fmt(held_out.dummy_score)}.</p>",
             _importance(plt, held_out.importance, held_out.metric)]
    if model.task_ == "regression":
        parts.append(_residuals(plt, held_out))
    else:
        parts.append(_classification_plots(plt, model, held_out))
    return "".join(parts)


def _importance(plt: Any, importance: pd.DataFrame, metric: str) -> str:
    top = importance.head(IMPORTANCE_FEATURES)
    figure, axes = plt.subplots(figsize=(7, 0.3 * len(top) + 1.2))
    axes.barh(top["feature"][::-1], top["importance"][::-1], xerr=top["std"][::-1], color="C1")
    axes.set(xlabel=f"drop in {metric} when shuffled", title="Permutation feature importance")
    return ("<h3>Permutation feature importance</h3>"
            + _image(plt, figure, "permutation feature importance") + _table(top))


def _classification_plots(plt: Any, model: Any, held_out: HeldOut) -> str:
    from sklearn.metrics import ConfusionMatrixDisplay, RocCurveDisplay
    labels = [str(label) for label in model.classes_]
    predicted = np.argmax(held_out.predictions, axis=1)
    size = min(4 + 0.4 * len(labels), 12)
    figure, axes = plt.subplots(figsize=(size, size))
    ConfusionMatrixDisplay.from_predictions(held_out.y_true, predicted,
                                            labels=np.arange(len(labels)),
                                            display_labels=labels, ax=axes, colorbar=False,
                                            xticks_rotation="vertical")
    axes.set_title("Confusion matrix (held-out rows)")
    plots = [_image(plt, figure, "confusion matrix")]
    figure, axes = plt.subplots(figsize=(6, 5))
    shown = range(1, 2) if len(labels) == 2 else range(min(len(labels), ROC_CLASSES))
    for code in shown:
        if 0 < (held_out.y_true == code).sum() < len(held_out.y_true):
            RocCurveDisplay.from_predictions(held_out.y_true == code, held_out.predictions[:, code],
                                             name=f"{labels[code]} vs rest", ax=axes)
    axes.plot([0, 1], [0, 1], linestyle=":", color="grey")
    axes.set_title("ROC curve (held-out rows)")
    plots.append(_image(plt, figure, "ROC curve"))
    return "<h3>Confusion matrix and ROC curve</h3><div class=\"plots\">" + "".join(plots) + "</div>"


def _residuals(plt: Any, held_out: HeldOut) -> str:
    from sklearn.metrics import PredictionErrorDisplay
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    PredictionErrorDisplay.from_predictions(held_out.y_true, held_out.predictions, ax=left,
                                            kind="residual_vs_predicted")
    left.set_title("Residuals (held-out rows)")
    PredictionErrorDisplay.from_predictions(held_out.y_true, held_out.predictions, ax=right,
                                            kind="actual_vs_predicted")
    right.set_title("Actual against predicted")
    return "<h3>Residuals</h3>" + _image(plt, figure, "residual plot")


def _image(plt: Any, figure: Any, alt: str) -> str:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=90)
    plt.close(figure)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"<img alt=\"{html.escape(alt)}\" src=\"data:image/png;base64,{data}\">"


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, escape=True, float_format=_fmt, na_rep="",
                         border=0)


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
