"""The report's figures: titles, axis labels, directions and what each one plots."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from automl import diagnostics, plots

LOSSES = [0.10, 0.12, 0.20, 5.0]  # the last learnt little: far worse than the others


def _model(metric="log_loss", higher_is_better=False, scores=LOSSES):
    """A fitted model's attributes the figures read, with failed and timed-out trials."""
    board = pd.DataFrame({
        "trial": pd.array([0, 1, 2, 3, 4, 5, 6], dtype="Int64"),
        "model": ["lightgbm", "lightgbm", "svc", "mlp", "svc", "mlp", "lightgbm"],
        "score": [*scores, np.nan, np.nan, 0.05 if not higher_is_better else 0.999],
        "status": ["ok", "ok", "ok", "ok", "failed", "timeout", "ok"],
        "source": ["default", "tpe", "default", "tpe", "tpe", "tpe", "preview"],
        "finished_at_seconds": [2.0, 3.0, 4.0, 5.0, 6.0, 9.0, 1.0],
        "ensemble_weight": [1.0, 0, 0, 0, 0, 0, 0]})
    return SimpleNamespace(leaderboard_=board, metric_=metric, fit_seconds_=10.0,
                           higher_is_better_=higher_is_better,
                           ensemble_=pd.DataFrame({"trial": [0], "model": ["lightgbm"],
                                                   "weight": [1.0]}))


def _points(axes) -> int:
    return sum(len(collection.get_offsets()) for collection in axes.collections)


def test_history_marks_failures_colours_families_and_draws_the_incumbent():
    figure = plots.history_figure(_model())
    axes = figure.axes[0]
    assert axes.get_title() == "Optimisation history: 6 trials, 2 without a score"
    assert axes.get_ylabel() == "validation log_loss (lower is better)"
    assert axes.get_xlabel() == "seconds since fit started"
    assert _points(axes) == 7  # six trials and the preview, failures included
    assert axes.yaxis_inverted()  # better is up, for a loss too
    low, high = sorted(axes.get_ylim())
    assert high < 1.0  # the 5.0 is drawn on the edge, not widening the axis to it
    labels = axes.get_legend_handles_labels()[1]
    assert {"lightgbm", "svc", "mlp"} <= set(labels)
    assert "failed (1), on the edge" in labels and "timeout (1), on the edge" in labels
    assert "best so far (incumbent)" in labels and "preview (row sample, not ranked)" in labels
    incumbent = next(line for line in axes.lines if line.get_label().startswith("best so far"))
    assert np.nanmin(incumbent.get_ydata()) == pytest.approx(0.10)  # the preview does not set it
    assert "scored beyond the axis" in labels
    marked = [c for c in axes.collections if c.get_paths() and len(c.get_offsets())
              and c.get_offsets()[0][0] in (5.0, 6.0, 9.0)]  # the 5.0 loss, failed, timeout
    edges = {round(float(c.get_offsets()[0][1]), 6) for c in marked}
    assert len(marked) == 3 and len(edges) == 1 and edges.pop() > 0.2  # on the worse edge


def test_history_of_a_higher_is_better_metric_is_not_inverted():
    model = _model("roc_auc", True, [0.97, 0.98, 0.96, 0.50])
    axes = plots.history_figure(model).axes[0]
    assert not axes.yaxis_inverted()
    assert axes.get_ylabel() == "validation roc_auc (higher is better)"
    assert min(axes.get_ylim()) > 0.8  # zoomed to the scores: 0.50 sits on the edge


def test_family_dot_plot_is_zoomed_and_says_which_way_is_better():
    model = _model("roc_auc", True, [0.97, 0.98, 0.96, 0.99])
    axes = plots.family_figure(model).axes[0]
    assert axes.get_xlabel() == "validation roc_auc (higher is better); better is to the right"
    assert axes.get_title() == "Best score per family (large dot) and each trial's (small)"
    assert min(axes.get_xlim()) > 0.9  # not from zero: 0.96 to 0.99 must look different
    assert _points(axes) == 4 + 3  # each scored trial, and each family's best
    assert [label.get_text() for label in axes.get_yticklabels()] == ["svc", "lightgbm", "mlp"]
    loss = plots.family_figure(_model()).axes[0]
    assert loss.xaxis_inverted() and "(lower is better)" in loss.get_xlabel()


def test_no_scored_trial_gives_no_family_figure():
    model = _model()
    model.leaderboard_ = model.leaderboard_.assign(status="failed", score=np.nan)
    assert plots.family_figure(model) is None
    assert _points(plots.history_figure(model).axes[0]) == 7


def test_importance_is_labelled_as_the_metric_getting_worse():
    importance = pd.DataFrame({"feature": ["a", "b"], "importance": [0.3, 0.01],
                               "std": [0.02, 0.01]})
    loss = plots.importance_figure(_model(), importance).axes[0]
    assert loss.get_xlabel() == ("rise in log_loss when the column is shuffled "
                                 "(larger: more important)")
    auc = plots.importance_figure(_model("roc_auc", True), importance).axes[0]
    assert auc.get_xlabel().startswith("drop in roc_auc when the column is shuffled")
    assert len(auc.patches) == 2


def test_roc_curves_name_their_classes_not_a_boolean_positive_label(saved_classifier):
    model = saved_classifier.model
    held_out = diagnostics.held_out_evaluation(model, *saved_classifier.holdout,
                                               saved_classifier.data_summary["prior"])
    axes = plots.roc_figure(model, held_out).axes[0]
    assert axes.get_xlabel() == "false positive rate"
    assert axes.get_ylabel() == "true positive rate"
    assert axes.get_title() == "ROC curves, each class against the rest (held-out rows)"
    curves = [line.get_label() for line in axes.lines if "vs rest" in line.get_label()]
    assert len(curves) == len(model.classes_)
    assert not any("Positive label" in text for text in
                   (axes.get_xlabel(), axes.get_ylabel(), *curves))
