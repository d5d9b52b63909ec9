"""Benchmark: fold models in place of the refits that do not fit in the budget.

When the time left after the search is too short to refit every selected ensemble member on
all rows, a member not refit used to be dropped; now it is its fold models averaged, kept by
the workers for the best trials (``automl.assemble``). This compares the two on large
datasets at short budgets, where that happens: for each dataset and 75/25 split, one seeded
``automl.fit`` as shipped and one with fold models off (the workers are not asked to keep
them, so the old path runs). Both searches run the same code until the final model, but
they are separate runs, so their trials can differ a little on a busy machine.

    python benchmarks/fold_fallback.py --budget 30 --splits 0 1
    python benchmarks/fold_fallback.py --budget 20 --datasets fars sleep

Prints a table and writes benchmarks/results/fold-fallback-<budget>s.csv and .md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import automl  # noqa: E402
from automl.prediction_store import PredictionStore  # noqa: E402
from datasets import load_split, manifest  # noqa: E402
from run_core import relative_improvement, test_score  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
LARGE = ["fars", "sleep", "bng_breasttumor", "cardio_disease", "connect_4", "diamonds",
         "electricity", "bank_marketing"]
MODES = ("folds", "no-folds")


def run_one(entry: dict, budget: float, split: int, mode: str) -> dict:
    """One fit; ``no-folds`` stops the workers from keeping fold models."""
    X_train, X_test, y_train, y_test = load_split(entry, seed=split)
    original = PredictionStore.fold_models_request
    if mode == "no-folds":
        PredictionStore.fold_models_request = lambda self, trial, seconds, least: None
    try:
        started = time.monotonic()
        model = automl.fit(X_train, y_train, time_budget=budget, task=entry["task"],
                           random_state=split)
        wall = time.monotonic() - started
    finally:
        PredictionStore.fold_models_request = original
    members = model.ensemble_
    return {"dataset": entry["name"], "task": entry["task"], "split": split, "mode": mode,
            "budget": budget, "test_score": test_score(entry["task"], y_test, model, X_test),
            "n_trials": int((model.leaderboard_["source"] != "ensemble").sum()), "n_members": len(members),
            "n_on_folds": int((members["fitted_on"] == "folds").sum()) if len(members) else 0,
            "fit_seconds": round(wall, 2),
            "members": json.dumps([[int(t), m, round(float(w), 3), f] for t, m, w, f in zip(
                members["trial"], members["model"], members["weight"], members["fitted_on"])])}


def summarise(frame: pd.DataFrame) -> str:
    """Per dataset, scores averaged over the splits: fold models against none."""
    rows = []
    for (name, task), group in frame.groupby(["dataset", "task"], sort=False):
        score = group.groupby("mode")["test_score"].mean()
        on = group[group["mode"] == "folds"]
        off = group[group["mode"] == "no-folds"]
        rows.append({"dataset": name, "task": task, "splits": group["split"].nunique(),
                     "test, fold models": score.get("folds", np.nan),
                     "test, without": score.get("no-folds", np.nan),
                     "change": relative_improvement(task, score.get("folds", np.nan),
                                                    score.get("no-folds", np.nan)),
                     "members (on folds), fold models": f"{on['n_members'].sum()} "
                                                         f"({on['n_on_folds'].sum()})",
                     "members, without": int(off["n_members"].sum()),
                     "trials, fold models / without": f"{on['n_trials'].sum()} / "
                                                      f"{off['n_trials'].sum()}",
                     "largest fit / budget": (group["fit_seconds"] / group["budget"]).max()})
    table = pd.DataFrame(rows)
    shipped = frame[frame["mode"] == "folds"]
    changed = table[table["change"].abs() > 0]
    lines = [table.to_markdown(index=False, floatfmt=".4f"), "",
             f"fold models better on {int((changed['change'] > 0).sum())}, worse on "
             f"{int((changed['change'] < 0).sum())}, equal on {len(table) - len(changed)} of "
             f"{len(table)} datasets; median change {table['change'].median():+.2%}; "
             f"members on fold models: {int(shipped['n_on_folds'].sum())} in "
             f"{int((shipped['n_on_folds'] > 0).sum())} of {len(shipped)} fits; largest fit / "
             f"budget {table['largest fit / budget'].max():.3f}"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=30.0)
    parser.add_argument("--datasets", nargs="*", default=LARGE)
    parser.add_argument("--splits", nargs="*", type=int, default=[0])
    parser.add_argument("--stem", default=None, help="results file name, without suffix")
    args = parser.parse_args()
    if not args.budget > 0:
        parser.error(f"--budget must be a positive number of seconds, got {args.budget}")
    if any(split < 0 for split in args.splits):
        parser.error(f"--splits takes seeds from 0 up, got {min(args.splits)}")
    entries, rows = manifest(), []
    unknown = [name for name in args.datasets if name not in entries]
    if unknown:
        parser.error(f"--datasets: {', '.join(unknown)} not in the manifest of "
                     f"../shared/datasets")
    stem = args.stem or f"fold-fallback-{args.budget:g}s"
    for name in args.datasets:
        for split in args.splits:
            for mode in MODES:
                rows.append(run_one(entries[name], args.budget, split, mode))
                print(json.dumps({k: v for k, v in rows[-1].items() if k != "members"}),
                      flush=True)
    frame = pd.DataFrame(rows)
    RESULTS.mkdir(exist_ok=True)
    frame.to_csv(RESULTS / f"{stem}.csv", index=False)
    summary = summarise(frame)
    (RESULTS / f"{stem}.md").write_text(
        f"# Fold models for members not refit: `{' '.join(sys.argv[1:])}`\n\n{summary}\n")
    print(summary)


if __name__ == "__main__":
    main()
