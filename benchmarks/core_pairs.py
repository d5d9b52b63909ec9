"""Two ``run_core.py`` result files of the same datasets and splits, paired: did B change A?

For each dataset: the final model's test score in both (relative change, signed so that
positive means B is better: AUC up, log loss and RMSE down), the trials each ran and the fit
seconds. Then B's wins, ties (equal to 4 decimals) and losses with a two-sided sign test, the
median relative change and the median ratio of trials.

    python benchmarks/core_pairs.py results/idle-threads-before.csv results/idle-threads-after.csv

Prints a table and writes the markdown next to B (``<B stem>-vs-<A stem>.md``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

HIGHER_IS_BETTER = {"auc"}
COLUMNS = ("dataset", "seed", "metric", "ensemble", "n_trials", "fit_seconds")


def paired(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """One row per dataset in both files: scores, relative change (B better > 0), trials."""
    merged = a.merge(b, on=["dataset", "seed"], suffixes=("_a", "_b"))
    sign = np.where(merged["metric_a"].isin(HIGHER_IS_BETTER), 1.0, -1.0)
    change = sign * (merged["ensemble_b"] - merged["ensemble_a"]) / merged["ensemble_a"].abs()
    return pd.DataFrame({
        "dataset": merged["dataset"], "metric": merged["metric_a"],
        "a": merged["ensemble_a"], "b": merged["ensemble_b"], "b_better_by": change,
        "trials_a": merged["n_trials_a"], "trials_b": merged["n_trials_b"],
        "seconds_a": merged["fit_seconds_a"], "seconds_b": merged["fit_seconds_b"]})


def sign_test(wins: int, losses: int) -> float:
    """The two-sided sign test's p-value of ``wins`` against ``losses`` (ties left out)."""
    return stats.binomtest(wins, wins + losses).pvalue if wins + losses else 1.0


def summary(pairs: pd.DataFrame) -> str:
    """Wins, ties, losses of B with the sign test's p, median change and trials ratio."""
    rounded = pairs["b_better_by"].round(4)
    wins, losses = int((rounded > 0).sum()), int((rounded < 0).sum())
    ties = len(pairs) - wins - losses
    p = sign_test(wins, losses)
    ratio = (pairs["trials_b"] / pairs["trials_a"]).median()
    return (f"{len(pairs)} datasets: B better on {wins}, equal on {ties}, worse on {losses} "
            f"(sign test p = {p:.2f}); median change {pairs['b_better_by'].median():+.2%}; "
            f"median trials B / A {ratio:.2f}; largest fit seconds A {pairs['seconds_a'].max():.1f}, "
            f"B {pairs['seconds_b'].max():.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    args = parser.parse_args()
    frames = []
    for path in (args.a, args.b):
        if not path.is_file():
            parser.error(f"no such CSV: {path}")
        frame = pd.read_csv(path)
        missing = sorted(set(COLUMNS) - set(frame.columns))
        if missing:
            parser.error(f"{path} is not a run_core.py result file: it lacks {missing}")
        frames.append(frame)
    pairs = paired(*frames)
    table = pairs.to_markdown(index=False, floatfmt=".4f")
    text = f"A: {args.a.name}, B: {args.b.name}\n\n{table}\n\n{summary(pairs)}\n"
    print(text, end="")
    (args.b.parent / f"{args.b.stem}-vs-{args.a.stem}.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
