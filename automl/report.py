"""One self-contained HTML page about a fitted model: what the data was, what the search
tried, what won, and how the final model does on rows it never saw.

The figures come from ``automl.plots`` and are embedded as PNG data URIs, so the page is one
file that opens anywhere, offline, with no scripts.
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

from automl import diagnostics, plots
from automl.base.clock import budget_limit
from automl.diagnostics import HeldOut
from automl.leaderboard import ENSEMBLE
from automl.persistence import SavedModel

LEADERBOARD_ROWS = 20
LEADERBOARD_COLUMNS = ["trial", "model", "score", "status", "error", "fit_seconds",
                       "predict_ms_per_1000_rows", "size_mb", "source", "ensemble_weight"]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0; }
th, td { border: 1px solid #ddd; padding: 0.2rem 0.5rem; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child, td.text { text-align: left; }
img { max-width: 100%; } .note { color: #555; } .plots { display: flex; flex-wrap: wrap; gap: 1rem; }
.warn { color: #b00; font-weight: bold; } td.error { max-width: 24rem; color: #b00; text-align: left; }
dt { font-weight: bold; } dd { margin: 0 0 0.5rem 1.5rem; }
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
    model = saved.model
    if held_out is None and saved.holdout is not None:
        X, y = saved.holdout
        held_out = diagnostics.held_out_evaluation(model, X, y, saved.data_summary.get("prior"),
                                                   seed=model.random_state_)
    sections = [_overview(saved, held_out), _data_section(saved.data_summary),
                _leaderboard_section(model), _warm_start_section(model),
                _history_section(model), _family_section(model), _ensemble_section(model),
                _held_out_section(model, held_out), _GLOSSARY]
    title = f"automl report: {saved.data_summary.get('source') or 'model'}"
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{html.escape(title)}</h1>" + "".join(sections) + "</body></html>\n")


def _overview(saved: SavedModel, held_out: HeldOut | None) -> str:
    model, summary = saved.model, saved.data_summary
    board = diagnostics.trials_only(model.leaderboard_)
    members = len(model.ensemble_)
    fit_time, over_budget = _fit_time(model)
    facts = {
        "task": model.task_, "metric": f"{model.metric_} ({diagnostics.direction(model)})",
        "training rows": summary.get("rows"), "features": summary.get("features"),
        "target": saved.target, "id column": saved.id_column,
        "fit time": fit_time,
        "trials": f"{len(board)} ({int(board['status'].eq('ok').sum())} succeeded)",
        "final model": (f"ensemble of {members} pipelines" if members > 1 else
                        f"one pipeline ({model.ensemble_['model'].iloc[0]})" if members else
                        diagnostics.prior_final_model(model)),
        "best validation score": _fmt(model.best_score_),
        "ensemble validation score": _fmt(model.ensemble_score_),
        "training prior's validation score": _fmt(getattr(model, "prior_score_", None)),
        "saved with": ", ".join(f"{k} {v}" for k, v in saved.versions.items()),
        "report written": time.strftime("%Y-%m-%d %H:%M"),
    }
    if held_out is not None:
        facts["held-out score"] = (f"{_fmt(held_out.score)} on {held_out.n_rows} rows "
                                   f"(dummy: {_fmt(held_out.dummy_score)})")
    flagged = {"fit time"} if over_budget else set()
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td class=\"text\">"
                   f"{_cell(v, warn=k in flagged)}</td></tr>"
                   for k, v in facts.items() if v not in (None, ""))
    return f"<h2>Summary</h2><table>{rows}</table>"


def _fit_time(model: Any) -> tuple[str, bool]:
    """The fit's seconds against its budget, and whether it ran over what ``fit`` promises
    (then the text says by how much)."""
    text = f"{model.fit_seconds_:.1f} s of a {model.time_budget:g} s budget"
    over = model.fit_seconds_ > budget_limit(model.time_budget)
    if over:
        text += f" (OVER BUDGET by {model.fit_seconds_ - model.time_budget:.1f} s)"
    return text, over


def _cell(value: Any, warn: bool = False) -> str:
    text = html.escape(str(value))
    return f"<span class=\"warn\">{text}</span>" if warn else text


def _data_section(summary: dict[str, Any]) -> str:
    if not summary:
        return ""
    kinds = ", ".join(f"{count} {kind}" for kind, count in summary["column_kinds"].items())
    parts = [f"<h2>Data</h2><p>{summary['rows']} rows, {summary['features']} features "
             f"({html.escape(kinds)}); {summary['missing_share']:.1%} of cells missing.</p>"]
    regression = summary["task"] == "regression"
    target = pd.Series(summary["target_summary"], name="value" if regression else "rows")
    target = target.rename_axis("statistic" if regression else "class").reset_index()
    name = summary.get("target")
    what = "summary" if regression else "rows per class"
    parts.append(f"<p>Target column{f' <code>{html.escape(str(name))}</code>' if name else ''}"
                 f", {what}:</p>" + _table(target))
    if summary["columns_with_missing"]:
        missing = pd.Series(summary["columns_with_missing"], name="share missing")
        missing = missing.sort_values(ascending=False).head(20).rename_axis("column")
        parts.append("<p>Columns with missing values:</p>" + _table(missing.reset_index()))
    return "".join(parts)


def _leaderboard_section(model: Any) -> str:
    board = model.leaderboard_
    trials = diagnostics.trials_only(board)
    shown = board.head(LEADERBOARD_ROWS + int((board["source"] == ENSEMBLE).any()))
    blend = " and the ensemble that is the final model" if (shown["source"] == ENSEMBLE).any() \
        else ""
    return (f"<h2>Leaderboard</h2><p class=\"note\">The {len(diagnostics.trials_only(shown))} "
            f"best of {len(trials)} trials{blend}, by validation {html.escape(model.metric_)} "
            f"({diagnostics.direction(model)}; out-of-fold or holdout, as the search scored "
            f"them). Predict time is per 1,000 rows, as the trial's fold models took on the "
            f"validation rows; size is the model's estimated pickled size.</p>"
            + _table(shown[LEADERBOARD_COLUMNS].assign(error=shown["error"].fillna(""))))


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


def _history_section(model: Any) -> str:
    return ("<h2>Optimisation history</h2><p class=\"note\">Better is up. Failed and "
            "timed-out trials have no score: they are marked on the lower edge, with scores "
            "far worse than most (arrows).</p>"
            + _image(plots.history_figure(model), "optimisation history"))


def _family_section(model: Any) -> str:
    families = diagnostics.family_bests(model.leaderboard_, model)
    parts = ["<h2>Best score per model family</h2>", _table(families)]
    figure = plots.family_figure(model)
    if figure is not None:
        parts.append(_image(figure, "best score per model family"))
    return "".join(parts)


def _ensemble_section(model: Any) -> str:
    members = model.ensemble_
    if members.empty:
        return (f"<h2>Final model</h2><p>The final model predicts the "
                f"{html.escape(diagnostics.prior_final_model(model))}.</p>")
    parts = ["<h2>Final model: members and weights</h2>",
             _table(members[["trial", "model", "weight", "score", "source", "fitted_on"]])]
    figure = plots.ensemble_figure(model)
    if figure is not None:
        parts.append(_image(figure, "ensemble weights"))
    configs = "".join(f"<li>trial {row.trial}: <code>{html.escape(repr(row.config))}</code></li>"
                      for row in members.itertuples())
    parts.append(f"<details><summary>Configs</summary><ul>{configs}</ul></details>")
    return "".join(parts)


def _held_out_section(model: Any, held_out: HeldOut | None) -> str:
    if held_out is None:
        return ("<h2>Held-out evaluation</h2><p class=\"note\">No held-out rows: every row "
                "went into the fit. Fit with <code>--holdout 0.2</code>, or pass labelled rows "
                "the model has not seen with <code>automl report MODEL --data FILE</code>, to "
                "get feature importance and diagnostic plots.</p>")
    top = held_out.importance.head(plots.IMPORTANCE_FEATURES)
    parts = [f"<h2>Held-out evaluation</h2><p>{html.escape(held_out.metric)} on "
             f"{held_out.n_rows} held-out rows: <b>{_fmt(held_out.score)}</b> "
             f"({diagnostics.direction(model)}); the dummy model (the training prior) scores "
             f"{_fmt(held_out.dummy_score)}.</p>",
             "<h3>Permutation feature importance</h3>",
             _image(plots.importance_figure(model, held_out.importance),
                    "permutation feature importance"), _table(top)]
    if model.task_ == "regression":
        parts += ["<h3>Residuals</h3>", _image(plots.residual_figure(held_out), "residual plot")]
    else:
        parts += ["<h3>Confusion matrix and ROC curve</h3><div class=\"plots\">",
                  _image(plots.confusion_figure(model, held_out), "confusion matrix"),
                  _image(plots.roc_figure(model, held_out), "ROC curve"), "</div>"]
    return "".join(parts)


_GLOSSARY = """<h2>Glossary</h2><dl>
<dt>trial</dt><dd>One pipeline (preprocessing and a model with its hyperparameters) scored by
cross-validation or on a holdout split of the training rows.</dd>
<dt>validation score</dt><dd>A trial's score on training rows its models were not fitted on
(out-of-fold predictions); the held-out score is on rows the whole fit never saw.</dd>
<dt>default, portfolio, warm start (warmstart), tpe, random</dt><dd>Where a trial's config came
from: a model family's default; the portfolio, a few configs that did well across past
datasets; the best configs of the past datasets nearest to this one (the warm start, from the
knowledge base shipped with the library); or the search itself (TPE, or random).</dd>
<dt>preview</dt><dd>The first config fitted on a sample of rows, on large data: a usable model
within seconds. It is scored on other rows than the trials, so it is never ranked against
them.</dd>
<dt>training prior</dt><dd>Predicting the training rows' class shares (or their mean, or median)
for every row: the dummy model that any model must beat to have learnt anything.</dd>
<dt>ensemble</dt><dd>The final model when it blends several trials: greedy ensemble selection
(Caruana et al. 2004) on their out-of-fold predictions, members weighted by how often it chose
them.</dd>
<dt>fold models</dt><dd>The models a trial fitted on each validation split's training rows; when
a member's refit on all rows did not fit in the budget, they stand in for it, averaged.</dd>
<dt>timeout, failed, memout</dt><dd>A trial stopped at its time limit, one that raised an error
(the leaderboard's error column says which), one stopped at its memory limit.</dd>
</dl>"""


def _image(figure: Any, alt: str) -> str:
    plt = plots.pyplot()
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
