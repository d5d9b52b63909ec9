"""How far apart two cold searches land by chance, beside the warm start's gap.

A warm-against-cold win rate on one split per dataset counts every difference, however
small. Two cold searches that differ only in ``random_state`` also differ: their gap is the
chance a win rate has to beat. This reads a ``run_warmstart`` CSV with both modes at seed 0
and one with the cold mode at another seed, on the same split and budget, and prints, on the
test split, the warm-against-cold record next to the cold-against-cold one and the median
size of each gap (best validation scores too, though the seed also draws the folds, so two
seeds' validation scores are not comparable).

    python benchmarks/run_warmstart.py --budgets 60 --modes cold --seed 1 --csv SEED1.csv ...
    python benchmarks/seed_noise.py benchmarks/results/warmstart-order-60s.csv SEED1.csv

The table goes to SEED1.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_core import relative_improvement  # noqa: E402
from run_warmstart import with_splits  # noqa: E402


def gaps(seed0: pd.DataFrame, other: pd.DataFrame) -> pd.DataFrame:
    """One row per dataset, budget and split: the warm and the other-seed cold run against
    cold on the same split (CSVs from before ``--splits`` hold split 0)."""
    seed0, other = with_splits(seed0), with_splits(other)
    columns = ["dataset", "task", "budget", "split", "test_score", "validation_score"]
    cold = seed0[seed0["mode"] == "cold"][columns]
    warm = seed0[seed0["mode"] == "warm"][columns]
    again = other[other["mode"] == "cold"][columns]
    keys = ["dataset", "task", "budget", "split"]
    table = cold.merge(warm, on=keys, suffixes=("", "_warm")).merge(again, on=keys,
                                                                      suffixes=("", "_seed"))
    for side in ("warm", "seed"):
        table[f"test_{side}_vs_cold"] = [
            relative_improvement(task, new, old) for task, new, old
            in zip(table["task"], table[f"test_score_{side}"], table["test_score"])]
        table[f"validation_{side}_minus_cold"] = (table[f"validation_score_{side}"]
                                                  - table["validation_score"])
    return table


def record(change: pd.Series) -> str:
    return (f"wins {(change > 0).mean():.1%}, ties {(change == 0).mean():.1%}, losses "
            f"{(change < 0).mean():.1%}; median {change.median():+.3%}, median size "
            f"{change.abs().median():.3%}")


def summarise(table: pd.DataFrame) -> str:
    shown = ["dataset", "task", "budget", "split", "test_score", "test_score_warm",
             "test_score_seed", "test_warm_vs_cold", "test_seed_vs_cold"]
    lines = [table[shown].to_markdown(index=False, floatfmt=".4f"), ""]
    for budget, group in table.groupby("budget"):
        lines.append(f"{budget:g} s, {len(group)} datasets, test split:")
        lines.append(f"  warm (seed 0) against cold (seed 0): {record(group['test_warm_vs_cold'])}")
        lines.append(f"  cold (other seed) against cold (seed 0): "
                     f"{record(group['test_seed_vs_cold'])}")
        bigger = (group["test_warm_vs_cold"].abs() > group["test_seed_vs_cold"].abs()).mean()
        lines.append(f"  the warm gap is larger than the seed gap on {bigger:.0%}")
        for side, label in (("warm", "warm"), ("seed", "cold, other seed (other folds, so "
                                                      "not comparable)")):
            gap = group[f"validation_{side}_minus_cold"]
            lines.append(f"  best validation score, {label} against cold: higher on "
                         f"{(gap > 0).sum()}, equal on {(gap == 0).sum()}, lower on "
                         f"{(gap < 0).sum()}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seed0", type=Path, help="run_warmstart CSV with warm and cold, seed 0")
    parser.add_argument("other", type=Path, help="run_warmstart CSV with cold at another seed")
    args = parser.parse_args()
    table = gaps(pd.read_csv(args.seed0), pd.read_csv(args.other))
    if table.empty:
        raise SystemExit(f"no dataset and budget is in both {args.seed0} and {args.other} "
                         "with the modes needed: warm and cold in the first, cold in the second")
    text = summarise(table)
    args.other.with_suffix(".md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
