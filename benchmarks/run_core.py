"""Benchmark of the core search against LightGBM with default parameters.

For each dataset: a 75/25 split (seed 0), ``automl.fit`` at the given budget, and
``LGBMClassifier``/``LGBMRegressor()`` with defaults (string columns as pandas categoricals)
on the same split. Test scores use the AutoML Benchmark metrics: ROC AUC (binary, higher is
better), log loss (multiclass) and RMSE (regression), both lower is better.

    python benchmarks/run_core.py --budget 60            # the 24 datasets of CORE_SELECTION
    python benchmarks/run_core.py --budget 10 --datasets iris tips

Prints a table and writes benchmarks/results/core-<budget>s.csv and .md.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import lightgbm
import numpy as np
import pandas as pd
from sklearn import metrics

sys.path.insert(0, str(Path(__file__).resolve().parent))
import automl  # noqa: E402
from datasets import CORE_SELECTION, load_split, manifest  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def test_score(task: str, y_true, model, X) -> float:
    """The task's metric on the test split (AUC: higher is better; others: lower)."""
    if task == "regression":
        return metrics.root_mean_squared_error(y_true, model.predict(X))
    proba = model.predict_proba(X)
    if task == "binary":
        return metrics.roc_auc_score(y_true, proba[:, 1])
    return metrics.log_loss(y_true, proba, labels=model.classes_)


def lightgbm_default(task: str, X_train: pd.DataFrame, y_train, X_test: pd.DataFrame) -> tuple:
    """LightGBM defaults; string columns become categoricals with the training levels."""
    X_train, X_test = X_train.copy(), X_test.copy()
    for column in X_train.columns:
        if not pd.api.types.is_numeric_dtype(X_train[column]):
            levels = pd.Categorical(X_train[column].astype(str)).categories
            X_train[column] = pd.Categorical(X_train[column].astype(str), categories=levels)
            test_values = X_test[column].astype(str).where(X_test[column].astype(str).isin(levels))
            X_test[column] = pd.Categorical(test_values, categories=levels)
    model = (lightgbm.LGBMRegressor if task == "regression" else lightgbm.LGBMClassifier)(verbose=-1)
    return model.fit(X_train, y_train), X_test


def run_one(entry: dict, budget: float) -> dict:
    X_train, X_test, y_train, y_test = load_split(entry)
    task = entry["task"]
    started = time.monotonic()
    model = automl.fit(X_train, y_train, time_budget=budget, task=task, random_state=0)
    wall = time.monotonic() - started
    ours = test_score(task, y_test, model, X_test)
    baseline_model, X_test_lgb = lightgbm_default(task, X_train, y_train, X_test)
    baseline = test_score(task, y_test, baseline_model, X_test_lgb)
    higher_better = task == "binary"
    improvement = (ours - baseline) / abs(baseline) if higher_better else (baseline - ours) / abs(baseline)
    board = model.leaderboard_
    return {"dataset": entry["name"], "task": task, "rows": entry["n_rows"],
            "metric": {"binary": "auc", "multiclass": "logloss", "regression": "rmse"}[task],
            "automl": ours, "lightgbm_default": baseline, "relative_improvement": improvement,
            "win": bool(improvement > 0), "fit_seconds": wall, "budget": budget,
            "overrun": wall / budget, "n_trials": len(board),
            "n_failed": int((board["status"] != "ok").sum()),
            "best_model": board.iloc[0]["model"]}


def summarise(frame: pd.DataFrame) -> str:
    lines = [frame.to_markdown(index=False, floatfmt=".4f"), "",
             f"datasets: {len(frame)}",
             f"win rate against LightGBM defaults: {frame['win'].mean():.1%}",
             f"median relative improvement: {frame['relative_improvement'].median():+.2%}",
             f"largest fit time / budget: {frame['overrun'].max():.4f}"]
    for task, group in frame.groupby("task"):
        lines.append(f"  {task}: win rate {group['win'].mean():.1%}, median improvement "
                     f"{group['relative_improvement'].median():+.2%}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--datasets", nargs="*", help="names from the manifest (default: 24)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    entries = manifest()
    names = args.datasets or [name for names in CORE_SELECTION.values() for name in names]
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / f"core-{args.budget:g}s"
    rows = []
    for name in names:
        row = run_one(entries[name], args.budget)
        rows.append(row)
        print(f"{name:28s} {row['task']:10s} ours={row['automl']:.4f} "
              f"lgb={row['lightgbm_default']:.4f} {row['relative_improvement']:+.2%} "
              f"t={row['fit_seconds']:.1f}s trials={row['n_trials']} best={row['best_model']}",
              flush=True)
        pd.DataFrame(rows).to_csv(stem.with_suffix(".csv"), index=False)
    frame = pd.DataFrame(rows)
    text = summarise(frame)
    stem.with_suffix(".md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
