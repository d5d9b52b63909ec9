"""Study: how good are the warm start's first configs, judged on the build's own matrix?

No search runs. For each built dataset, leave it and its near-duplicates out (as
``run_warmstart.py`` does), then ask which of the matrix's candidates a warm start would
queue, and read their scores on the left-out dataset's matrix row (normalised as the
portfolio builder does: 1 for the row's best candidate, 0 for its median and below). A
queue's value is the best normalised score among the family defaults (every search runs
them) and its first q configs. Two queues are compared:

- ``shipped``: the global portfolio (chosen greedily on all other datasets, given the
  defaults) alternating with the best config of each of the 5 nearest datasets, as
  ``automl.warmstart.warm_start_configs`` queues them;
- ``local``: a portfolio chosen the same way on the ``--near`` nearest datasets only.

A queue that already reaches about 1 leaves little for a better queue to win; what the
matrix cannot show is how the configs fare at full fidelity and on the test split.

    python benchmarks/warm_queue_offline.py
    python benchmarks/warm_queue_offline.py --near 10 20 40

Prints a table and writes benchmarks/results/warm-queue-offline.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from automl.space import task_space  # noqa: E402
from automl.warmstart import (KnowledgeBase, PastDataset, nearest_datasets,  # noqa: E402
                              warm_start_configs)
from datasets import CORE_SELECTION  # noqa: E402
from metalearning.build import WORK_DIR  # noqa: E402
from metalearning.corpus import near_duplicates  # noqa: E402
from metalearning.knowledge import PORTFOLIO_SIZE, queued_anyway  # noqa: E402
from metalearning.portfolio import greedy_portfolio, normalise  # noqa: E402
from metalearning.records import candidate_key, read_records, task_candidates  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
QUEUE_LENGTHS = (4, 8, 13)


def study(name: str, searches: dict, matrix: dict, near: list[int]) -> dict:
    """One left-out dataset: the value of each queue at each length."""
    task = searches[name]["task"]
    columns = {other: (record["target"], set(record["features"]))
               for other, record in searches.items()}
    left_out = near_duplicates(name, columns)
    kept = {other: record for other, record in searches.items()
            if record["task"] == task and other not in left_out and other in matrix}
    candidates = task_candidates(task, kept)
    keys = sorted(key for key in candidates
                  if all(key in matrix[other]["scores"] for other in kept))
    rows = sorted(kept)

    def scores(names: list[str]) -> np.ndarray:
        return np.array([[np.nan if matrix[n]["scores"].get(k) is None
                          else matrix[n]["scores"][k] for k in keys] for n in names])

    target = normalise(scores([name]))[0]
    given = [i for i, key in enumerate(keys) if key in queued_anyway(task)]
    base = target[given].max() if given else 0.0
    everything = scores(rows)
    portfolio = [i for i, _ in greedy_portfolio(everything, PORTFOLIO_SIZE, given)]
    knowledge = KnowledgeBase(task, {}, tuple(
        PastDataset(n, kept[n]["metafeatures"], tuple(c["config"] for c in kept[n]["configs"]))
        for n in rows), tuple(candidates[keys[i]]["config"] for i in portfolio))
    metafeatures = searches[name]["metafeatures"]
    # The queue fit would build (the defaults it queues anyway are counted in ``base``). It
    # holds each config as today's space reads it (a hyperparameter added since the build
    # filled in with its default), so candidates are looked up the same way; their matrix
    # scores stand in for those readings.
    space = task_space(task)
    positions = {candidate_key(space.validate(candidates[key]["config"])): i
                 for i, key in enumerate(keys)}
    shipped = warm_start_configs(knowledge, space, metafeatures)
    queues = {"shipped": [positions[candidate_key(config)] for config, _ in shipped
                          if candidate_key(config) in positions]}
    for k in near:
        closest = [rows.index(d.name) for d in nearest_datasets(knowledge, metafeatures, k)]
        queues[f"local {k}"] = [i for i, _ in greedy_portfolio(everything[closest],
                                                               max(QUEUE_LENGTHS), given)]
    result = {"dataset": name, "task": task, "defaults": base}
    for label, queue in queues.items():
        for q in QUEUE_LENGTHS:
            result[f"{label}, {q}"] = max(base, target[queue[:q]].max() if queue[:q] else 0.0)
    return result


def summarise(frame: pd.DataFrame) -> str:
    """Mean values, and each local queue against the shipped one at the same length."""
    values = [c for c in frame.columns if c not in ("dataset", "task")]
    lines = []
    for label, part in (("all built datasets", frame),
                        ("the 24 core datasets", frame[frame["dataset"].isin(
                            [n for names in CORE_SELECTION.values() for n in names])])):
        means = part[values].mean()
        lines += [f"### {label} ({len(part)})", "", "| queue | mean normalised best | against "
                  "shipped at the same length: better / equal / worse |", "| --- | --- | --- |"]
        for column in values:
            q = column.split(", ")[-1]
            versus = "" if column == "defaults" or column.startswith("shipped") else (
                lambda d: f"{(d > 1e-9).sum()} / {(d.abs() <= 1e-9).sum()} / {(d < -1e-9).sum()}"
            )(part[column] - part[f"shipped, {q}"])
            lines.append(f"| {column} | {means[column]:.3f} | {versus} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--near", nargs="*", type=int, default=[10, 20],
                        help="local portfolios chosen on this many nearest datasets")
    args = parser.parse_args()
    if any(k < 1 for k in args.near):
        parser.error(f"--near takes positive numbers of datasets, got {min(args.near)}")
    searches, matrix = read_records(WORK_DIR / "searches"), read_records(WORK_DIR / "matrix")
    frame = pd.DataFrame([study(name, searches, matrix, args.near)
                          for name in sorted(searches) if name in matrix])
    summary = summarise(frame)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "warm-queue-offline.md").write_text(
        f"# The warm queue judged on the matrix: `{' '.join(sys.argv[1:])}`\n\n{summary}\n")
    print(summary)


if __name__ == "__main__":
    main()
