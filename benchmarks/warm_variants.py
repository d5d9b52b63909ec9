"""A variant of the warm start against the shipped one and both against cold, in one session.

A change to how warm configs are run (the gate on the warm queue, say) is measured by running
the shipped code in both modes and the variant in warm mode only, on the same splits, one
after the other in one session (``run_warmstart.py --modes cold warm`` from a checkout of the
shipped code, ``--modes warm`` from one of the variant). This script pairs the three runs of
each (dataset, budget, split), and says how often each warm start beats cold and the variant
beats the shipped warm start, per run and per dataset (each mode's test score averaged over
the splits, as ``run_warmstart.compare`` does), and how often the variant's best validation
score differs from the shipped one's: where it does not, their test scores differ by the
ensemble around the same best trial, which is the run-to-run noise of the session.

    python benchmarks/warm_variants.py --base MAIN-split5.csv MAIN-split6.csv \\
        --variant GATE-split5.csv GATE-split6.csv --md GATE-vs-MAIN.md
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pair_runs import ModeMissing, checked_runs, rows_of, write_summary  # noqa: E402
from run_core import relative_improvement  # noqa: E402
from run_warmstart import win_interval  # noqa: E402

RUN_KEYS = ["dataset", "task", "budget", "split"]
# The modes compared: ``A_vs_B`` is the relative test change of A over B, positive when A is
# better.
COMPARISONS = (("warm", "cold"), ("variant", "cold"), ("variant", "warm"))


def three_way(base: list[Path], variant: list[Path]) -> pd.DataFrame:
    """One row per (dataset, task, budget, split) run in all three modes: the test and best
    validation scores of ``cold``, ``warm`` (both from ``base``) and ``variant`` (the warm
    runs of ``variant``), and each comparison's relative test change."""
    modes = {"cold": _rows("cold", base, "--base"), "warm": _rows("warm", base, "--base"),
             "variant": _rows("warm", variant, "--variant")}
    runs = None
    for name, rows in modes.items():
        rows = rows[RUN_KEYS + ["test_score", "validation_score"]].rename(
            columns={"test_score": name, "validation_score": f"{name}_validation"})
        runs = rows if runs is None else runs.merge(rows, on=RUN_KEYS)
    return _with_changes(runs).sort_values(RUN_KEYS).reset_index(drop=True)


def _rows(mode: str, paths: list[Path], option: str) -> pd.DataFrame:
    """``mode``'s rows of ``paths`` (see ``pair_runs.rows_of``); a file without them is
    named with the option it was given to."""
    wanted = "the warm and cold runs of the shipped code" if option == "--base" else \
        "the variant's warm runs"
    try:
        return rows_of(mode, paths)
    except ModeMissing as error:
        raise ValueError(f"{error.path} holds {error.held} runs only: {option} takes "
                         f"{wanted}.") from error


def by_dataset(runs: pd.DataFrame) -> pd.DataFrame:
    """Each mode's test score averaged over a dataset's splits, and the comparisons of those
    means."""
    means = runs.groupby(["dataset", "task", "budget"])[["cold", "warm", "variant"]].mean()
    means = means.reset_index()
    means["splits"] = runs.groupby(["dataset", "task", "budget"]).size().to_numpy()
    return _with_changes(means)


def _with_changes(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the ``A_vs_B`` column of each comparison, from its modes' test scores."""
    for first, second in COMPARISONS:
        frame[f"{first}_vs_{second}"] = [relative_improvement(task, a, b) for task, a, b
                                         in zip(frame["task"], frame[first], frame[second])]
    return frame


def _record(change: pd.Series) -> str:
    return f"{(change > 0).sum()} / {(change == 0).sum()} / {(change < 0).sum()}"


def summary(runs: pd.DataFrame) -> str:
    """The per-dataset table and, per budget, each comparison's wins / ties / losses over
    runs and over datasets, with the datasets' win rate, its interval and median change."""
    table = by_dataset(runs)
    lines = [table.to_markdown(index=False, floatfmt=".4f"), ""]
    for budget, group in table.groupby("budget"):
        single = runs[runs["budget"] == budget]
        lines.append(f"{budget:g} s: {len(group)} datasets, {len(single)} runs of each mode "
                     "(wins / ties / losses):")
        for first, second in COMPARISONS:
            change = group[f"{first}_vs_{second}"]
            wins = int((change > 0).sum())
            low, high = win_interval(wins, len(group))
            lines.append(f"  {first} against {second}: runs "
                         f"{_record(single[f'{first}_vs_{second}'])}; "
                         f"datasets {_record(change)}, wins {wins / len(group):.1%} (95 % "
                         f"interval {low:.1%} to {high:.1%}), median change {change.median():+.3%}")
        same = single["variant_validation"] == single["warm_validation"]
        lines.append(f"  variant's best validation against warm's: higher "
                     f"{(single['variant_validation'] > single['warm_validation']).sum()}, equal "
                     f"{same.sum()}, lower "
                     f"{(single['variant_validation'] < single['warm_validation']).sum()}; on "
                     f"the runs where it is equal, variant against warm on test: "
                     f"{_record(single.loc[same, 'variant_vs_warm'])}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, nargs="+", required=True,
                        help="run_warmstart.py CSVs of the shipped code, both modes")
    parser.add_argument("--variant", type=Path, nargs="+", required=True,
                        help="run_warmstart.py CSVs of the variant's warm runs, same session")
    parser.add_argument("--md", type=Path, required=True, help="where the summary goes")
    args = parser.parse_args(argv)
    runs = checked_runs(parser, args.base + args.variant,
                        lambda: three_way(args.base, args.variant),
                        "no (dataset, budget, split) was run in all three modes")
    write_summary(summary(runs), args.md)


if __name__ == "__main__":
    main()
