"""Warm against cold pooled over sessions: each CSV holds both modes' runs of one session,
paired within it, and every pair counts, the same split run in two sessions included.

One session's splits move a 60 s test score about as much as the warm start does, and a
machine's speed moves the trials a search gets, so runs are only paired within a session
(``pair_runs.py`` pairs across files and keeps one run per split). Pooling the sessions'
pairs gives each dataset as many runs as were ever made of the code under test: each mode's
test score averaged over them decides the dataset (as ``run_warmstart.compare`` does over
splits), and the share of its runs warm won, with a two-sided sign test, says whether warm
wins or loses there consistently or by the luck of a split.

    python benchmarks/pool_sessions.py --runs A.csv B.csv C.csv --md POOLED.md
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
from scipy.stats import binomtest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pair_runs import ModeMissing, checked_runs, rows_of, write_summary  # noqa: E402
from run_core import relative_improvement  # noqa: E402
from run_warmstart import MODES, compare, win_interval  # noqa: E402

# A dataset's runs count as consistent when a sign test on them rejects a coin flip at this.
CONSISTENT_P = 0.05


def pooled_runs(paths: list[Path]) -> pd.DataFrame:
    """Every (dataset, budget, split) both modes ran in each file, one row per pair, with
    ``session`` (the file's name) and ``warm_vs_cold`` (positive when warm is better)."""
    frames = []
    for path in paths:
        try:
            both = pd.concat([rows_of(mode, [path]) for mode in MODES], ignore_index=True)
        except ModeMissing as error:
            raise ValueError(f"{path} holds {error.held} runs only: each file must hold the "
                             f"warm and the cold runs of one session.") from error
        frames.append(compare(both, by_split=True).assign(session=path.name))
    return pd.concat(frames, ignore_index=True)


def by_dataset(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per (dataset, budget): each mode's mean test score over the pooled runs, the
    relative change of those means, the runs, the share warm won and the sign test's p-value
    (ties left out of it)."""
    rows = []
    for (name, task, budget), group in runs.groupby(["dataset", "task", "budget"]):
        change = group["warm_vs_cold"]
        wins, losses = int((change > 0).sum()), int((change < 0).sum())
        p = binomtest(wins, wins + losses).pvalue if wins + losses else 1.0
        rows.append({"dataset": name, "task": task, "budget": budget,
                     "warm": group["warm"].mean(), "cold": group["cold"].mean(),
                     "warm_vs_cold": relative_improvement(task, group["warm"].mean(),
                                                          group["cold"].mean()),
                     "runs": len(group), "runs_won": wins / len(group), "sign_test_p": p})
    return pd.DataFrame(rows)


def summary(runs: pd.DataFrame) -> str:
    """The per-dataset table and, per budget, the win rate with its interval, the single
    runs' record, and the datasets won or lost consistently."""
    table = by_dataset(runs)
    lines = [table.to_markdown(index=False, floatfmt=".4f"), ""]
    for budget, group in table.groupby("budget"):
        change = group["warm_vs_cold"]
        wins = int((change > 0).sum())
        low, high = win_interval(wins, len(group))
        single = runs[runs["budget"] == budget]["warm_vs_cold"]
        sessions = runs[runs["budget"] == budget]["session"].nunique()
        lines.append(f"{budget:g} s: {len(group)} datasets, {len(single)} runs from {sessions} "
                     f"sessions; warm start wins {wins / len(group):.1%} (95 % interval "
                     f"{low:.1%} to {high:.1%}), median change {change.median():+.3%}; single "
                     f"runs: wins {(single > 0).mean():.1%}, ties {(single == 0).mean():.1%}, "
                     f"losses {(single < 0).mean():.1%}")
        consistent = group[group["sign_test_p"] < CONSISTENT_P]
        for label, side in (("won", consistent["runs_won"] > 0.5),
                            ("lost", consistent["runs_won"] < 0.5)):
            named = ", ".join(f"{row.dataset} ({row.runs_won:.0%} of {row.runs})"
                              for row in consistent[side].itertuples()) or "none"
            lines.append(f"  consistently {label} (sign test p < {CONSISTENT_P:g}): {named}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, nargs="+", required=True,
                        help="run_warmstart.py CSVs, each holding both modes of one session")
    parser.add_argument("--md", type=Path, required=True, help="where the summary goes")
    args = parser.parse_args(argv)
    runs = checked_runs(parser, args.runs, lambda: pooled_runs(args.runs),
                        "no file holds a (dataset, budget, split) that both modes ran")
    write_summary(summary(runs), args.md)


if __name__ == "__main__":
    main()
