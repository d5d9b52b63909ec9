"""How much of the class shares to mix into a multiclass model's probabilities: the test log
loss of the same fitted models with the least weight of the shares at several levels.

    python benchmarks/prior_floor.py --budget 30 --splits 0 1 --keep /tmp/prior-floor \\
        --csv benchmarks/results/prior-floor-30s.csv

Each fit (a cold search: the floor is about the final model, not the warm start; one core
per fit, ``--jobs`` at once) keeps its unmixed test probabilities and the weight its
out-of-fold predictions alone chose (``PriorBlend.fitted``) in ``--keep``, one file per
dataset and split; a rerun fits only what is missing there. Every level is then applied
to those same probabilities, so the levels are compared without any rerun noise: the
weight is the out-of-fold one, at least ``level / (n + 2)`` for n validated rows (level 1
is the shipped rule of succession, level 0 the out-of-fold weight alone), and "unmixed"
is the model as it was before ``automl.prior_blend``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import log_loss

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import automl  # noqa: E402
from automl.data import validate_input  # noqa: E402
from automl.evaluate import make_resampling, predict_raw, prior_prediction  # noqa: E402
from automl.metrics import get_metric  # noqa: E402
from automl.prior_blend import PriorBlend  # noqa: E402
from metalearning.corpus import load_split, read_manifest  # noqa: E402

LEVELS = (0.0, 0.1, 0.25, 0.5, 1.0)


def fit_one(entry: dict, budget: float, split: int, path: Path) -> None:
    """One cold fit; its unmixed test probabilities and weights saved to ``path``."""
    X_train, X_test, y_train, y_test = load_split(entry, seed=split)
    model = automl.fit(X_train, y_train, time_budget=budget, task="multiclass", random_state=0,
                       warm_start=False)
    blend = model.model_
    inner = blend.model if isinstance(blend, PriorBlend) else blend
    dataset = validate_input(X_train, y_train, task="multiclass")
    codes = {label: code for code, label in enumerate(model.classes_)}
    np.savez(path, proba=predict_raw(inner, model._prepare(X_test), len(model.classes_)),
             y=np.array([codes[label] for label in y_test]),
             shares=prior_prediction(dataset, get_metric("log_loss", dataset.task)),
             weight=model.prior_weight_,
             fitted=np.nan if getattr(blend, "fitted", None) is None else blend.fitted,
             rows=len(make_resampling(dataset.y, dataset.task).validated))


def scores(path: Path) -> dict:
    """Test log loss of one kept fit, unmixed and at each level."""
    kept = np.load(path)
    proba, y, shares = kept["proba"], kept["y"], kept["shares"]
    fitted, rows = float(kept["fitted"]), int(kept["rows"])
    labels = np.arange(len(shares))
    row = {"unmixed": log_loss(y, proba, labels=labels), "fitted_weight": fitted,
           "rows": rows, "shipped_weight": float(kept["weight"])}
    for level in LEVELS:
        weight = max(0.0 if np.isnan(fitted) else fitted, level / (rows + 2))
        row[f"level {level:g}"] = log_loss(y, (1 - weight) * proba + weight * shares,
                                           labels=labels)
    return row


def summarise(frame: pd.DataFrame) -> str:
    """One line per variant: mean test log loss; against the unmixed model the runs better,
    equal and worse, the median relative change and the largest gain and loss in log loss
    (absolute: a relative change is meaningless where the unmixed loss is 0, as on collins);
    and the runs better and worse than the shipped level 1."""
    lines = ["| variant | mean test log loss | better / equal / worse than unmixed | median "
             "change | largest gain | largest loss | better / worse than level 1 |",
             "| --- | --- | --- | --- | --- | --- | --- |",
             f"| unmixed | {frame['unmixed'].mean():.5f} | | | | | |"]
    for level in LEVELS:
        column = frame[f"level {level:g}"]
        gain = frame["unmixed"] - column
        change = gain / frame["unmixed"].clip(lower=1e-12)
        shipped = frame["level 1"] - column
        lines.append(f"| at least {level:g} / (n + 2) | {column.mean():.5f} | "
                     f"{int((gain > 1e-12).sum())} / {int((gain.abs() <= 1e-12).sum())} / "
                     f"{int((gain < -1e-12).sum())} | {change.median():+.2%} | "
                     f"{gain.max():+.4f} ({frame.loc[gain.idxmax(), 'dataset']}) | "
                     f"{gain.min():+.4f} ({frame.loc[gain.idxmin(), 'dataset']}) | "
                     f"{int((shipped > 1e-12).sum())} / {int((shipped < -1e-12).sum())} |")
    binding = (frame["fitted_weight"].fillna(0) < 1 / (frame["rows"] + 2)).mean()
    lines += ["", f"{len(frame)} fits; the floor 1 / (n + 2) is above the out-of-fold weight on "
              f"{binding:.0%} of them"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=30.0)
    parser.add_argument("--splits", nargs="+", type=int, default=[0])
    parser.add_argument("--datasets", nargs="*")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keep", type=Path, required=True,
                        help="folder for each fit's unmixed test probabilities")
    parser.add_argument("--csv", type=Path, default=None)
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)  # dataset split: a child
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    if not args.one and not 1 <= args.jobs <= cores:  # a child runs pinned to one core
        parser.error(f"--jobs must be from 1 to the {cores} cores this process may use, got "
                     f"{args.jobs}")
    if not args.budget > 0:
        parser.error(f"--budget must be a positive number of seconds, got {args.budget}")
    entries = read_manifest()
    unknown = sorted(set(args.datasets or ()) - set(entries))
    if unknown:
        parser.error(f"--datasets: {', '.join(unknown)} not in the corpus's manifest.json")
    args.keep.mkdir(parents=True, exist_ok=True)
    if args.one:
        name, split = args.one[0], int(args.one[1])
        fit_one(entries[name], args.budget, split, args.keep / f"{name}-{split}.npz")
        return
    names = args.datasets or sorted(n for n, e in entries.items() if e["task"] == "multiclass")
    todo = [(name, split) for split in args.splits for name in names
            if not (args.keep / f"{name}-{split}.npz").exists()]
    run_pinned(todo, args)
    rows = [{"dataset": name, "split": split, **scores(args.keep / f"{name}-{split}.npz")}
            for split in args.splits for name in names
            if (args.keep / f"{name}-{split}.npz").exists()]
    if not rows:
        sys.exit(f"no fit finished: nothing kept in {args.keep} (see the errors above)")
    frame = pd.DataFrame(rows)
    text = summarise(frame)
    if args.csv:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(args.csv, index=False)
        args.csv.with_suffix(".md").write_text(text + "\n")
    print(text)


def run_pinned(todo: list[tuple[str, int]], args: argparse.Namespace) -> None:
    """Each fit in a child run of this script, pinned to a core of its own."""
    cores = sorted(os.sched_getaffinity(0))[:args.jobs]
    running: dict[int, subprocess.Popen] = {}
    while todo or running:
        for core in [core for core in cores if core not in running][:len(todo)]:
            name, split = todo.pop(0)
            command = [sys.executable, __file__, "--budget", str(args.budget), "--keep",
                       str(args.keep), "--one", name, str(split)]
            running[core] = subprocess.Popen(
                command, stdout=subprocess.DEVNULL,
                preexec_fn=lambda core=core: os.sched_setaffinity(0, {core}))
        time.sleep(1.0)
        for core, process in list(running.items()):
            if process.poll() is not None:
                del running[core]
                print(f"{process.args[-2]} split {process.args[-1]}: exit {process.returncode}",
                      flush=True)


if __name__ == "__main__":
    main()
