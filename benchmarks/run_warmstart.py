"""Benchmark of the warm start: leave-one-dataset-out, warm against cold.

For each dataset the knowledge base was built from (``<work>/searches``; ``--work`` defaults
to the shipped build's folder, ``metalearning.build.WORK_DIR``), a
knowledge base is compiled without it and without its near-duplicates (same target, most
columns shared), and two seeded ``automl.fit`` runs on its 75/25 split (seed 0, or those of
``--splits``) are compared: ``warm_start=<that knowledge base>`` and ``warm_start=False``.
Test scores use the metrics of ``run_core`` (AUC, log loss, RMSE), and so does ``members``
(each member of the final model: weight, validation and test score). Each run's anytime curve
(best validation score so far against seconds since the start of ``fit``) is kept, and so is
``trials``: each trial's model, source, status, seconds and score, in the order they finished.

    python benchmarks/run_warmstart.py --budgets 10 60            # every built dataset
    python benchmarks/run_warmstart.py --budgets 300 --selection long

``--jobs N`` runs N fits at once, each in its own process pinned to one core (so each fit sees
one core and uses one thread, whatever the machine), for many-core machines; ``--stop-after S``
starts no fit after S seconds, for a run that must end by a deadline (a rerun does the rest).

Rows are appended to benchmarks/results/warmstart.csv as they finish (a rerun skips what is
there); the summary goes to warmstart.md and the anytime curves to warmstart-anytime.png.
``--csv OTHER.csv`` writes OTHER.csv, OTHER.md and OTHER-anytime.png instead, and ``--modes
warm`` runs only the warm side: to try another knowledge-base compiler against cold runs
copied from an earlier CSV (the cold side does not read the knowledge base). Copy only cold
runs made on the same machine in the same session: one session's machine ran 1.6 times as
many trials in 60 s as another's, and its warm runs against the other's cold runs read
62.5 % wins where the same session's cold runs gave 50 %. ``--seed S``
gives every fit ``random_state=S`` on the same split: ``--modes cold --seed 1`` against a
seed-0 run shows how far apart two cold searches land by chance (``seed_noise.py`` at tag
studies-2026-12-07 paired them).
``--splits 0 1 2`` runs each dataset on three seeded 75/25 splits (the fits keep ``--seed``);
the summary then compares each mode's test score averaged over the splits both modes ran,
and gives the single splits' record beside it: on one split, the test score of a 60 s search
moves by about as much with the seed as with the warm start.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import automl  # noqa: E402
from automl.leaderboard import ENSEMBLE  # noqa: E402
from automl.search.warmstart import WARM_SOURCES  # noqa: E402
from automl.trials.trial_log import PREVIEW  # noqa: E402
from datasets import LONG_SELECTION  # noqa: E402
from metalearning.build import WORK_DIR  # noqa: E402
from metalearning.corpus import load_split, near_duplicates, read_manifest  # noqa: E402
from metalearning.knowledge import compile_knowledge  # noqa: E402
from metalearning.records import read_records  # noqa: E402
from run_core import member_scores, search_form, test_score, unblended  # noqa: E402
from warmstart_summary import MODES, plot, summarise, with_splits  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def loo_knowledge(name: str, searches: dict, matrix: dict, folder: Path) -> set[str]:
    """Write into ``folder`` a knowledge base without ``name`` and its near-duplicates;
    return what was left out."""
    columns = {other: (record["target"], set(record["features"]))
               for other, record in searches.items()}
    left_out = near_duplicates(name, columns)
    max_rows = next(iter(matrix.values()))["max_rows"] if matrix else 0
    compile_knowledge(searches, matrix, folder, corpus=f"leave-one-out: {name}",
                      max_rows=max_rows, exclude=left_out)
    return left_out


def searched(board: pd.DataFrame) -> pd.DataFrame:
    """The successful trials of ``board`` whose scores compare: the preview is scored on other
    rows than the trials (on obesity_levels it scored -0.500 against LightGBM's default at
    -0.559 in cross-validation, above every trial of either mode), so it sets neither the
    best validation score nor the anytime curve, as in ``automl.diagnostics.history``."""
    return board[(board["status"] == "ok") & (board["source"] != PREVIEW)]


def anytime_curve(board: pd.DataFrame) -> list[tuple[float, float]]:
    """(seconds since the start of fit, best validation score so far) at each improvement."""
    finished = searched(board).sort_values("finished_at_seconds")
    curve, best = [], -np.inf
    for seconds, score in zip(finished["finished_at_seconds"], finished["score"]):
        if score > best:
            best = float(score)
            curve.append((float(seconds), best))
    return curve


def run_one(entry: dict, budget: float, mode: str, knowledge: Path | bool, seed: int = 0,
            split: int = 0) -> dict:
    X_train, X_test, y_train, y_test = load_split(entry, seed=split)
    started = time.monotonic()
    model = automl.fit(X_train, y_train, time_budget=budget, task=entry["task"],
                       random_state=seed, warm_start=knowledge if mode == "warm" else False)
    wall = time.monotonic() - started
    board = search_form(model.leaderboard_[model.leaderboard_["source"] != ENSEMBLE], model)
    ok = board[board["status"] == "ok"]
    trials = searched(board)
    return {"dataset": entry["name"], "task": entry["task"], "budget": budget, "mode": mode,
            "split": split, "test_score": test_score(entry["task"], y_test, model, X_test),
            "test_score_unblended": test_score(entry["task"], y_test, unblended(model), X_test),
            "prior_weight": model.prior_weight_,
            "validation_score": trials["score"].max() if len(trials) else np.nan,
            "first_model_seconds": ok["finished_at_seconds"].min() if len(ok) else np.nan,
            "n_trials": len(board),
            "n_warm_trials": int(board["source"].isin(WARM_SOURCES).sum()),
            "fit_seconds": wall, "curve": json.dumps(anytime_curve(board)),
            "members": member_scores(entry["task"], model, X_test, y_test),
            "trials": trial_record(board)}


def trial_record(board: pd.DataFrame) -> str:
    """Every trial in the order it finished, as JSON ``[model, source, status, seconds,
    score]``: where a search's time went (a config cut off at its limit, a queue of slow
    warm configs), which the summary figures cannot show."""
    ordered = board.sort_values("finished_at_seconds")
    return json.dumps([[row.model, row.source, row.status, round(float(row.fit_seconds), 2),
                        None if pd.isna(row.score) else round(float(row.score), 6)]
                       for row in ordered.itertuples()])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", nargs="+", type=float, default=[10.0, 60.0])
    parser.add_argument("--selection", choices=["built", "long"], default="built",
                        help="built: every dataset of the knowledge base; long: the 12 of "
                             "LONG_SELECTION among them")
    parser.add_argument("--datasets", nargs="*")
    parser.add_argument("--work", type=Path, default=WORK_DIR)
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--csv", type=Path, default=RESULTS / "warmstart.csv")
    parser.add_argument("--jobs", type=int, default=1,
                        help="fits at once, each pinned to one core (1: one at a time, unpinned)")
    parser.add_argument("--stop-after", type=float, default=None,
                        help="start no fit after this many seconds")
    parser.add_argument("--seed", type=int, default=0,
                        help="random_state of every fit (the split is --splits')")
    parser.add_argument("--splits", nargs="+", type=int, default=[0],
                        help="seeds of the 75/25 split: each dataset runs once per split, and "
                             "the summary averages each mode's test score over them")
    parser.add_argument("--no-summary", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    if not 1 <= args.jobs <= cores:
        parser.error(f"--jobs must be from 1 to the {cores} cores this process may use, got "
                     f"{args.jobs}")
    if args.stop_after is not None and not args.stop_after > 0:
        parser.error(f"--stop-after must be a positive number of seconds, got {args.stop_after}")
    if min(args.splits) < 0:
        parser.error(f"--splits takes seeds from 0 up (a split's random_state), got "
                     f"{min(args.splits)}")
    args.splits = list(dict.fromkeys(args.splits))  # a split named twice runs once
    logging.basicConfig(level=logging.WARNING)
    searches, matrix = read_records(args.work / "searches"), read_records(args.work / "matrix")
    names = args.datasets or sorted(searches)
    if args.selection == "long":
        names = [name for names in LONG_SELECTION.values() for name in names if name in searches]
    csv = args.csv
    csv.parent.mkdir(parents=True, exist_ok=True)
    done = with_splits(pd.read_csv(csv)) if csv.exists() else \
        pd.DataFrame(columns=["dataset", "budget", "mode", "split"])
    finished = set(zip(done["dataset"], done["budget"].astype(float), done["mode"],
                       done["split"]))
    todo = [(name, budget, mode, split) for split in args.splits for name in names
            for budget in args.budgets for mode in args.modes
            if (name, budget, mode, split) not in finished]
    deadline = time.monotonic() + args.stop_after if args.stop_after else float("inf")
    if args.jobs > 1:
        run_pinned(todo, args, deadline)
    else:
        run_here(todo, searches, matrix, csv, deadline, args.seed)
    if args.no_summary or not csv.exists():
        return
    frame = pd.read_csv(csv)
    if set(frame["mode"]) != set(MODES):
        print(f"{csv} holds {' and '.join(sorted(set(frame['mode'])))} runs only: no warm "
              "against cold summary")
        return
    text = summarise(frame)
    csv.with_suffix(".md").write_text(text + "\n")
    plot(frame, csv.with_name(f"{csv.stem}-anytime.png"))
    print(text)


def run_here(todo: list[tuple[str, float, str, int]], searches: dict, matrix: dict, csv: Path,
             deadline: float, seed: int = 0) -> None:
    """The fits one after another in this process, one leave-one-out knowledge base each."""
    entries = read_manifest()
    for name in dict.fromkeys(name for name, *_ in todo):
        with tempfile.TemporaryDirectory() as folder:
            knowledge = Path(folder)
            left_out = loo_knowledge(name, searches, matrix, knowledge)
            for budget, mode, split in [job[1:] for job in todo if job[0] == name]:
                if time.monotonic() > deadline:
                    return
                row = run_one(entries[name], budget, mode, knowledge, seed, split)
                row["left_out"] = " ".join(sorted(left_out))
                append_row(row, csv)


def run_pinned(todo: list[tuple[str, float, str, int]], args: argparse.Namespace,
               deadline: float) -> None:
    """Each fit in a child run of this script, pinned to a core of its own; a child's row
    is appended to the CSV when it ends. Longest budgets start first; a dataset's modes
    start side by side, so that a deadline leaves few datasets with one mode only."""
    cores = sorted(os.sched_getaffinity(0))[:args.jobs]
    queue = sorted(todo, key=lambda job: -job[1])
    running: dict[int, tuple[subprocess.Popen, Path]] = {}  # by core
    with tempfile.TemporaryDirectory() as folder:
        while queue or running:
            if time.monotonic() > deadline:
                queue.clear()
            for core in [core for core in cores if core not in running][:len(queue)]:
                name, budget, mode, split = queue.pop(0)
                part = Path(folder) / f"{name}-{budget:g}-{mode}-{split}.csv"
                command = [sys.executable, __file__, "--datasets", name, "--budgets", str(budget),
                           "--modes", mode, "--work", str(args.work), "--csv", str(part),
                           "--seed", str(args.seed), "--splits", str(split), "--no-summary"]
                running[core] = (subprocess.Popen(
                    command, stdout=subprocess.DEVNULL,
                    preexec_fn=lambda core=core: os.sched_setaffinity(0, {core})), part)
            time.sleep(1.0)
            for core, (process, part) in list(running.items()):
                if process.poll() is None:
                    continue
                del running[core]
                if not part.exists():  # its traceback went to stderr
                    print(f"{part.stem}: no result (exit code {process.returncode})", flush=True)
                    continue
                for row in pd.read_csv(part).to_dict("records"):
                    append_row(row, args.csv)


def append_row(row: dict, csv: Path) -> None:
    """Add ``row`` to ``csv`` under the file's own header; a column the file lacks (one added
    since it was started) is added to it, empty in its earlier rows, rather than shifting the
    fields of the new row."""
    new = pd.DataFrame([row])
    header = list(pd.read_csv(csv, nrows=0).columns) if csv.exists() else None
    if header is None:
        new.to_csv(csv, index=False)
    elif set(new.columns) <= set(header):
        new.reindex(columns=header).to_csv(csv, mode="a", header=False, index=False)
    else:
        pd.concat([pd.read_csv(csv), new], ignore_index=True).to_csv(csv, index=False)
    print(f"{row['dataset']:28s} {row['budget']:5g}s {row['mode']} split {row['split']}: "
          f"test={row['test_score']:.4f} "
          f"warm trials={row['n_warm_trials']} first model at "
          f"{row['first_model_seconds']:.2f}s", flush=True)


if __name__ == "__main__":
    main()
