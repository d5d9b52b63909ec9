"""The ensemble against its own best member, from a core run's results (no new fits).

``run_core.py`` fits each dataset once and scores both final models of that one search: the
ensemble ``fit`` returns and its best single member, refit on all rows. This reads its
results file and says, per task and in all, how often the ensemble wins, a sign test's
p-value, the median change with a 95 % bootstrap interval, and how many datasets stay within
the bound (1 % log loss or RMSE, 0.005 AUC). With a ``-splits.csv`` beside it, the single
splits' record is given too.

    python -m benchmarks ensemble                                   # the newest core run
    python -m benchmarks ensemble --results benchmarks/results/core-60s-splits-dec07.csv

Prints one table and writes ``<results stem>-ensemble.md``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from core_pairs import sign_test
from run_core import ensemble_is_not_much_worse

RESULTS = Path(__file__).resolve().parent / "results"
BOOTSTRAP_DRAWS = 10_000


def median_interval(changes: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """A 95 % percentile bootstrap interval of the median change."""
    rng = np.random.default_rng(seed)
    draws = rng.choice(changes, size=(BOOTSTRAP_DRAWS, len(changes)), replace=True)
    low, high = np.percentile(np.median(draws, axis=1), [2.5, 97.5])
    return float(low), float(high)


def summary_row(name: str, group: pd.DataFrame) -> dict:
    changes = group["ensemble_vs_single"].to_numpy(dtype=float)
    wins, losses = int((changes > 0).sum()), int((changes < 0).sum())
    low, high = median_interval(changes)
    p = sign_test(wins, losses)
    return {"datasets": name, "n": len(group), "wins / ties / losses":
            f"{wins} / {len(group) - wins - losses} / {losses}", "sign test p": p,
            "median change": f"{np.median(changes):+.2%}", "95 % interval": f"{low:+.2%} to {high:+.2%}",
            "within the bound": f"{int(group.apply(ensemble_is_not_much_worse, axis=1).sum())} "
                                f"of {len(group)}"}


def summarise(frame: pd.DataFrame, splits: pd.DataFrame | None) -> str:
    rows = [summary_row(task, group) for task, group in frame.groupby("task")]
    rows.append(summary_row("all", frame))
    table = pd.DataFrame(rows).to_markdown(index=False, floatfmt=".3g")
    needed = next(k for k in range(len(frame) + 1)
                  if sign_test(k, len(frame) - k) < 0.05 and k > len(frame) / 2)
    lines = [table, "", f"A sign test over {len(frame)} datasets needs {needed} or more wins of "
             f"{len(frame)} to show a difference at p < 0.05."]
    if splits is not None:
        changes = splits["ensemble_vs_single"]
        lines.append(f"Single splits ({len(splits)}): wins {(changes > 0).sum()}, ties "
                     f"{(changes == 0).sum()}, losses {(changes < 0).sum()}.")
    return "\n".join(lines)


def newest_core_results() -> Path:
    found = [path for path in RESULTS.glob("core-*.csv") if not path.stem.endswith("-splits")]
    if not found:
        raise SystemExit("no core results in benchmarks/results/: run `python -m benchmarks "
                         "core` first, or give --results.")
    return max(found, key=lambda path: path.stat().st_mtime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, help="a core results CSV (default: the newest)")
    args = parser.parse_args()
    path = args.results or newest_core_results()
    if not path.is_file():
        raise SystemExit(f"--results {str(path)!r} is not a file: give a core results CSV "
                         f"from benchmarks/results/.")
    frame = pd.read_csv(path)
    missing = {"task", "ensemble_vs_single", "ensemble_minus_single"} - set(frame.columns)
    if missing:
        raise SystemExit(f"--results {str(path)!r} is not a core results file: it lacks "
                         f"{sorted(missing)}.")
    splits_path = path.with_name(f"{path.stem}-splits.csv")
    splits = pd.read_csv(splits_path) if splits_path.is_file() else None
    text = f"# The ensemble against its best member: {path.name}\n\n" + summarise(frame, splits)
    path.with_name(f"{path.stem}-ensemble.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
