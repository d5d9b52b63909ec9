"""Study: refit on all rows, or keep the fold models averaged? Member by member, on test.

An ensemble is selected on out-of-fold predictions, made by fold models trained on four
fifths of the rows; ``fit`` then ships each member refit on all rows, and its fold models
averaged only when the refit does not fit in the time left. For families whose refit
behaves unlike the fold models (an MLP draws a new start and a new early-stopping split;
the SVCs gain more from the last fifth of the rows than logistic regression does, see
RESULTS.md on vehicle), the fold models, which are what was validated, could be the better
member. This fits each family's defaults and a few random configs on each split with the
library's own pipelines and resampling, and scores both on the test split.

    python benchmarks/refit_vs_folds.py                       # MLPs on 13 small datasets
    python benchmarks/refit_vs_folds.py --families svc logistic_regression --datasets vehicle

Prints a table and writes benchmarks/results/refit-vs-folds-<families>.{csv,md}.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from automl.components import load_components  # noqa: E402
from automl.data import validate_input  # noqa: E402
from automl.ensemble import fold_average  # noqa: E402
from automl.evaluate import (EvaluationContext, fit_final, make_resampling,  # noqa: E402
                             predict_raw, score_and_keep_folds)
from automl.metrics import get_metric  # noqa: E402
from automl.search import Proposer  # noqa: E402
from automl.space import compile_space  # noqa: E402
from datasets import CORE_SELECTION, load_split, manifest  # noqa: E402
from run_core import relative_improvement, score_predictions  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
# The default datasets: the core selection's under this many rows (``run_core.py``'s
# ``--splits-below``), where fold models train on the fewest rows.
SMALL_ROWS = 2_000


def configs_for(family: str, task: str, n_rows: int, n_random: int, seed: int) -> list[dict]:
    """The family's defaults and ``n_random`` configs drawn at random from its space."""
    space = compile_space(load_components(), task, n_rows, include_models=[family])
    proposer = Proposer(space, "random", seed, 0)
    return [space.default_config(family)] + [proposer.ask()[1] for _ in range(n_random)]


def study_split(entry: dict, split: int, families: list[str], n_random: int) -> list[dict]:
    """One dataset's split: every config's out-of-fold score and both members' test scores."""
    X_train, X_test, y_train, y_test = load_split(entry, split)
    dataset = validate_input(X_train, y_train)
    task = dataset.task
    space = compile_space(load_components(), task, dataset.n_rows)
    resampling = make_resampling(dataset.y, task, "auto", None, split)
    context = EvaluationContext(dataset, space, resampling, get_metric("auto", task), split)
    X_test = dataset.schema.transform(X_test)
    y_true = np.asarray(y_test, dtype=float) if task == "regression" else np.asarray(y_test)
    classes = dataset.classes if task != "regression" else None
    rows = []
    for family in families:
        if family not in space.model_names:
            continue
        for index, config in enumerate(configs_for(family, task, dataset.n_rows, n_random,
                                                   split)):
            result, folds = score_and_keep_folds(config, context)
            if result.status != "ok":
                continue
            refit = predict_raw(fit_final(config, context), X_test, dataset.n_classes)
            averaged = predict_raw(fold_average(folds, dataset.n_classes), X_test,
                                   dataset.n_classes)
            refit_score = score_predictions(task, y_true, refit, classes)
            folds_score = score_predictions(task, y_true, averaged, classes)
            rows.append({"dataset": entry["name"], "task": task, "split": split,
                         "family": family, "config": "defaults" if index == 0 else index,
                         "validation": result.score, "test_refit": refit_score,
                         "test_folds": folds_score,
                         "folds_vs_refit": relative_improvement(task, folds_score,
                                                                refit_score)})
    return rows


def summary(frame: pd.DataFrame) -> str:
    """Per family: how often the fold models beat the refit on test, and by how much."""
    table = frame.groupby("family").agg(
        configs=("folds_vs_refit", "size"),
        folds_better=("folds_vs_refit", lambda change: f"{(change > 0).mean():.0%}"),
        median_change=("folds_vs_refit", lambda change: f"{change.median():+.2%}"),
        mean_change=("folds_vs_refit", lambda change: f"{change.mean():+.2%}"))
    return table.reset_index().to_markdown(index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", nargs="+", default=["mlp"])
    parser.add_argument("--datasets", nargs="+",
                        help=f"default: the core selection's under {SMALL_ROWS:,} rows")
    parser.add_argument("--splits", type=int, default=3, help="75/25 splits (seeds 0..N-1)")
    parser.add_argument("--random-configs", type=int, default=3,
                        help="random configs per family, beside its defaults")
    args = parser.parse_args()
    if args.splits < 1:
        parser.error(f"--splits must be at least 1, got {args.splits}")
    if args.random_configs < 0:
        parser.error(f"--random-configs must be 0 or more, got {args.random_configs}")
    entries = manifest()
    args.datasets = args.datasets or [name for names in CORE_SELECTION.values()
                                      for name in names if entries[name]["n_rows"] < SMALL_ROWS]
    unknown = [name for name in args.datasets if name not in entries]
    if unknown:
        parser.error(f"--datasets: {', '.join(unknown)} not in the corpus's manifest")
    rows = [row for name in args.datasets for split in range(args.splits)
            for row in study_split(entries[name], split, args.families, args.random_configs)]
    if not rows:
        raise SystemExit(f"no config of {args.families} succeeded on {args.datasets}.")
    frame = pd.DataFrame(rows)
    stem = RESULTS / f"refit-vs-folds-{'-'.join(args.families)}"
    RESULTS.mkdir(exist_ok=True)
    frame.to_csv(stem.with_suffix(".csv"), index=False)
    text = "\n".join([
        f"Fold models averaged against the refit on all rows, on the test split: "
        f"{len(args.datasets)} datasets, {args.splits} splits, defaults and "
        f"{args.random_configs} random configs per family (positive: the fold models "
        f"better).", "", summary(frame), ""])
    print(text)
    stem.with_suffix(".md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
