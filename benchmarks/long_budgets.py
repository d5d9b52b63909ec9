"""Benchmark of long budgets: does five times the time buy a better model, and a steadier one?

On the 12 tables of LONG_BUDGET_SELECTION (1,000 to 5,000 rows, four per task), each on
seeded 75/25 splits: ``automl.fit`` at 60 s and at 300 s (``n_jobs=2``, ``random_state=0``,
warm-started from a knowledge base without the table and its near-duplicates, as
``run_warmstart.loo_knowledge`` builds it), run twice with the same seed on the first split
(the spread of two same-seed runs), and FLAML at 300 s in its own virtual environment
(``--flaml-python``; FLAML is never a dependency). Test metrics as in ``run_core``: ROC AUC,
log loss, RMSE.

Every fit appends one line to ``results/long-budgets.jsonl`` as it ends, tagged with
``--label`` (the code it measured, e.g. ``after-<commit>``); a fit already there is skipped,
so a run killed part-way (or spread over sessions) goes on where it stopped.

    python -m benchmarks long --label after-abc1234                  # ours, 60 s and 300 s
    python -m benchmarks long --label flaml --flaml-python /path/to/flaml-venv/bin/python
    python -m benchmarks long --summary after-abc1234 --against flaml  # the table

The summary prints, per table: the mean test score over splits at 60 s and 300 s, the
relative change (positive: better), the spread of the two same-seed runs at each budget
(relative to the score), and the change against the other label at 300 s; then the
targets' counts and a sign test. Writes results/long-budgets-<label>.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from core_pairs import sign_test  # noqa: E402
from datasets import LONG_BUDGET_SELECTION, load_split, manifest  # noqa: E402
from run_core import score_predictions, test_score  # noqa: E402
from run_warmstart import loo_knowledge  # noqa: E402

import automl  # noqa: E402
from metalearning.build import WORK_DIR  # noqa: E402
from metalearning.records import read_records  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
RECORDS = RESULTS / "long-budgets.jsonl"
HERE = Path(__file__).resolve().parent


def plan(budgets: list[float], splits: int, runs: int, flaml: bool,
         only: list[str] | None = None) -> list[dict]:
    """The fits, in the order that makes a partial run most useful: every table's first
    split at every budget, then the other splits, then the same-seed repeats."""
    names = [name for names in LONG_BUDGET_SELECTION.values() for name in names
             if not only or name in only]
    fits = []
    for split, run in [(0, 0)] + [(s, 0) for s in range(1, splits)] + \
            [(0, r) for r in range(1, runs)]:
        for name in names:
            for budget in budgets:
                fits.append({"dataset": name, "split": split, "run": run, "budget": budget,
                             "tool": "flaml" if flaml else "ours"})
    return fits


def key(fit: dict) -> tuple:
    return (fit["label"], fit["dataset"], fit["split"], fit["run"], fit["budget"])


def read(records: Path) -> list[dict]:
    if not records.exists():
        return []
    return [json.loads(line) for line in records.read_text().splitlines() if line.strip()]


def fit_ours(entry: dict, split: int, budget: float, knowledge: Path) -> dict:
    X_train, X_test, y_train, y_test = load_split(entry, seed=split)
    started = time.monotonic()
    model = automl.fit(X_train, y_train, time_budget=budget, task=entry["task"],
                       random_state=0, n_jobs=2, warm_start=knowledge)
    board = model.leaderboard_
    trials = board[board["source"].ne("ensemble") & board["status"].eq("ok")]
    return {"test_score": test_score(entry["task"], y_test, model, X_test),
            "fit_seconds": time.monotonic() - started, "n_trials": int(len(trials)),
            # a run of code from before the leaders' draws has no such column
            "n_redrawn": int((trials["draws"] > 1).sum()) if "draws" in trials else 0,
            "members": len(model.ensemble_)}


def fit_flaml(entry: dict, split: int, budget: float, python: str) -> dict:
    X_train, X_test, y_train, y_test = load_split(entry, seed=split)
    task = entry["task"]
    classes = np.unique(y_train) if task != "regression" else None
    codes = (lambda y: np.searchsorted(classes, y)) if classes is not None else np.asarray
    folder = Path(tempfile.mkdtemp(prefix="flaml-"))
    try:
        X_train.to_csv(folder / "X_train.csv", index=False)
        X_test.to_csv(folder / "X_test.csv", index=False)
        pd.Series(codes(np.asarray(y_train)), name="y").to_csv(folder / "y_train.csv",
                                                               index=False)
        subprocess.run([python, str(HERE / "flaml_fit.py"), str(folder), task, str(budget), "0"],
                       check=True)
        predictions = pd.read_csv(folder / "predictions.csv")
        seconds = float((folder / "seconds.txt").read_text())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if task == "regression":
        values = predictions.iloc[:, 0].to_numpy()
    else:
        values = np.zeros((len(X_test), len(classes)))
        for column in predictions.columns:
            values[:, int(float(column))] = predictions[column].to_numpy()
    score = score_predictions(task, codes(np.asarray(y_test)), values,
                              np.arange(len(classes)) if classes is not None else None)
    return {"test_score": score, "fit_seconds": seconds}


def run(args: argparse.Namespace) -> None:
    entries, finished = manifest(), {key(fit) for fit in read(args.records)}
    searches = read_records(WORK_DIR / "searches")
    matrix = read_records(WORK_DIR / "matrix")
    args.records.parent.mkdir(parents=True, exist_ok=True)
    for fit in plan(args.budgets, args.splits, args.runs, args.flaml_python is not None,
                    args.datasets):
        fit["label"] = args.label
        if key(fit) in finished:
            continue
        entry = entries[fit["dataset"]]
        if args.flaml_python:
            outcome = fit_flaml(entry, fit["split"], fit["budget"], args.flaml_python)
        else:
            with tempfile.TemporaryDirectory() as folder:
                loo_knowledge(fit["dataset"], searches, matrix, Path(folder))
                outcome = fit_ours(entry, fit["split"], fit["budget"], Path(folder))
        record = {**fit, "task": entry["task"], **outcome}
        with args.records.open("a") as handle:
            handle.write(json.dumps(record) + "\n")
        print(f"{fit['dataset']:28s} split {fit['split']} run {fit['run']} {fit['budget']:5.0f} s"
              f"  test {outcome['test_score']:.5g}  ({outcome['fit_seconds']:.0f} s)", flush=True)


def relative(task: str, new: float, old: float) -> float:
    """The relative improvement of ``new`` over ``old`` (positive: better); AUC in points
    of AUC, as the issue's bounds are."""
    if task == "binary":
        return new - old
    return (old - new) / abs(old)


def summarise(records: pd.DataFrame, label: str, against: str | None,
              budgets: tuple[float, float] = (60.0, 300.0)) -> pd.DataFrame:
    """One row per table of ``label``'s fits (see the module docstring); the budgets
    compared are ``budgets`` (short, long)."""
    short, long = budgets
    ours = records[(records["label"] == label)]
    rows = []
    for name, group in ours.groupby("dataset", sort=False):
        task = group["task"].iloc[0]
        first = group[group["run"] == 0]
        # only the splits fitted at both budgets, so that the change is paired
        both = first.groupby("split")["budget"].agg(lambda b: {short, long} <= set(b))
        first = first[first["split"].isin(both.index[both])]
        means = first.groupby("budget")["test_score"].mean()
        row = {"dataset": name, "task": task, "splits": first["split"].nunique(),
               "short": means.get(short, np.nan), "long": means.get(long, np.nan)}
        row["long vs short"] = relative(task, row["long"], row["short"])
        for budget, column in ((short, "spread short"), (long, "spread long")):
            same = group[(group["split"] == 0) & (group["budget"] == budget)]["test_score"]
            row[column] = (abs(relative(task, same.iloc[0], same.iloc[1]))
                           if len(same) >= 2 else np.nan)
        if against is not None:
            other = records[(records["label"] == against) & (records["dataset"] == name)
                            & (records["budget"] == long)]
            paired = first[first["budget"] == long].merge(other, on="split")
            row["vs other long"] = (np.mean([relative(task, a, b) for a, b in zip(
                paired["test_score_x"], paired["test_score_y"])]) if len(paired) else np.nan)
        rows.append(row)
    return pd.DataFrame(rows)


def report(records: Path, label: str, against: str | None,
           budgets: tuple[float, float] = (60.0, 300.0)) -> str:
    table = summarise(pd.DataFrame(read(records)), label, against, budgets)
    short, long = (f"{budget:g} s" for budget in budgets)
    change = table["long vs short"].dropna()
    lines = [table.to_markdown(index=False, floatfmt=".4g"), ""]
    better, worse = int((change > 0).sum()), int((change < 0).sum())
    lines.append(f"{long} better than {short} on {better} of {len(change)} tables, worse on "
                 f"{worse} "
                 f"(sign test p = {sign_test(better, worse):.2g}); median change "
                 f"{change.median():+.4g}.")
    spreads = table[["spread short", "spread long"]].dropna()
    if len(spreads):
        lines.append(f"Median same-seed spread: {spreads['spread short'].median():.4g} at "
                     f"{short}, {spreads['spread long'].median():.4g} at {long} "
                     f"({len(spreads)} tables).")
    if against is not None and table["vs other long"].notna().any():
        other = table["vs other long"].dropna()
        lines.append(f"At {long} ahead of {against} on {int((other > 0).sum())} of {len(other)} "
                     f"tables.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", help="what these fits measure (the code, or 'flaml')")
    parser.add_argument("--budgets", nargs="+", type=float, default=[60.0, 300.0])
    parser.add_argument("--splits", type=int, default=2)
    parser.add_argument("--runs", type=int, default=2, help="same-seed runs of the first split")
    parser.add_argument("--flaml-python", help="FLAML's virtual environment's python: fit FLAML")
    parser.add_argument("--summary", metavar="LABEL", help="print the table of LABEL's fits")
    parser.add_argument("--against", metavar="LABEL", help="compare at 300 s with LABEL's")
    parser.add_argument("--datasets", nargs="*", help="only these of the selection")
    parser.add_argument("--records", type=Path, default=RECORDS, help="the fits' file")
    args = parser.parse_args()
    if args.summary:
        text = report(args.records, args.summary, args.against,
                      (args.budgets[0], args.budgets[-1]))
        (args.records.parent / f"long-budgets-{args.summary}.md").write_text(text + "\n")
        print(text)
        return
    if not args.label:
        parser.error("--label is required to run fits")
    run(args)


if __name__ == "__main__":
    main()
