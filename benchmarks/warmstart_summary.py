"""The warm-start benchmark's summary (``run_warmstart.py``): warm against cold per dataset,
averaged over the splits both modes ran, with a sign test's interval, the validation
record, and the anytime curves."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import binomtest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from automl.search.warmstart import WARM_SOURCES  # noqa: E402
from run_core import relative_improvement  # noqa: E402

MODES = ("warm", "cold")


def compare(frame: pd.DataFrame, by_split: bool = False) -> pd.DataFrame:
    """One row per (dataset, budget): warm against cold on the test split, each mode's
    score averaged over the splits where both modes ran (``by_split``: one row per split)."""
    frame = with_splits(frame)
    keys = ["dataset", "task", "budget", "split"]
    paired = frame.pivot_table(index=keys, columns="mode", values="test_score").dropna()
    pivot = paired.reset_index() if by_split else paired.groupby(keys[:3]).agg(
        warm=("warm", "mean"), cold=("cold", "mean"),
        splits=("warm", "size")).reset_index()
    pivot["warm_vs_cold"] = [relative_improvement(task, warm, cold) for task, warm, cold
                             in zip(pivot["task"], pivot["warm"], pivot["cold"])]
    return pivot


def with_splits(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a ``split`` column: CSVs written before ``--splits`` hold split 0."""
    if "split" not in frame.columns:
        frame = frame.assign(split=0)
    return frame.assign(split=frame["split"].fillna(0).astype(int))


def summarise(frame: pd.DataFrame) -> str:
    pairs = compare(frame)
    lines = [pairs.to_markdown(index=False, floatfmt=".4f"), ""]
    per_split = compare(frame, by_split=True)
    for budget, group in pairs.groupby("budget"):
        change = group["warm_vs_cold"]
        low, high = win_interval(int((change > 0).sum()), len(group))
        lines.append(f"{budget:g} s: {len(group)} datasets; warm start wins {(change > 0).mean():.1%} "
                     f"(95 % interval {low:.1%} to {high:.1%}), ties {(change == 0).mean():.1%}, "
                     f"loses {(change < 0).mean():.1%}; median change {change.median():+.3%}")
        if group["splits"].max() > 1:
            each = per_split[per_split["budget"] == budget]["warm_vs_cold"]
            lines.append(f"  (test scores averaged over up to {group['splits'].max()} splits "
                         f"per dataset; over the {len(each)} single splits: wins "
                         f"{(each > 0).mean():.1%}, ties {(each == 0).mean():.1%}, losses "
                         f"{(each < 0).mean():.1%})")
        for task, by_task in group.groupby("task"):
            lines.append(f"  {task}: wins {(by_task['warm_vs_cold'] > 0).mean():.1%}, median "
                         f"{by_task['warm_vs_cold'].median():+.3%}")
        lines.append("  " + validation_line(frame[frame["budget"] == budget]))
    if "trials" in frame.columns:
        lines.append(lost_line(frame))
    if "test_score_unblended" in frame.columns:
        lines += blend_lines(frame)
    first = frame.groupby("mode")["first_model_seconds"].max()
    lines.append("largest time to the first usable model: " + ", ".join(
        f"{mode} {seconds:.2f} s" for mode, seconds in first.items()))
    return "\n".join(lines)


def lost_line(frame: pd.DataFrame) -> str:
    """Seconds per run spent in trials that gave no score (cut off at their limit, failed),
    by mode, and the warm configs' share: what a slow borrowed config costs a search, beside
    what its own proposals cost it."""
    runs = frame.dropna(subset=["trials"])
    parts = []
    for mode, group in runs.groupby("mode"):
        lost = [[(source, seconds) for _, source, status, seconds, _ in json.loads(record)
                 if status != "ok"] for record in group["trials"]]
        totals = [sum(seconds for _, seconds in run) for run in lost]
        warm = sum(seconds for run in lost for source, seconds in run if source in WARM_SOURCES)
        parts.append(f"{mode} ({len(group)} runs) mean {np.mean(totals):.1f} s, most "
                     f"{max(totals):.1f} s, {sum(map(len, lost))} trials, warm configs' "
                     f"{warm:.1f} s in all")
    return "seconds per run in trials without a score (runs that kept their trials): " + \
        "; ".join(parts)


def blend_lines(frame: pd.DataFrame) -> list[str]:
    """What mixing the probabilities with the class shares (``automl.final.prior_blend``) did to
    the multiclass runs' test log loss, run by run, and the warm-against-cold wins without it."""
    runs = frame.dropna(subset=["test_score_unblended"])
    runs = runs[runs["task"] == "multiclass"]
    if runs.empty:
        return []
    change = (runs["test_score_unblended"] - runs["test_score"]) / runs["test_score_unblended"]
    worst = runs.loc[change.idxmin()]
    lines = [f"prior blend, {len(runs)} multiclass runs: test log loss better on "
             f"{int((change > 0).sum())}, equal on {int((change == 0).sum())}, worse on "
             f"{int((change < 0).sum())}; median change {change.median():+.3%}, mean "
             f"{runs['test_score'].mean() - runs['test_score_unblended'].mean():+.4f} "
             f"(largest gain {change.max():+.1%}, largest loss {change.min():+.1%} on "
             f"{worst['dataset']}); median weight {runs['prior_weight'].median():.2g}"]
    plain = frame.assign(test_score=frame["test_score_unblended"].fillna(frame["test_score"]))
    for budget, group in compare(plain).groupby("budget"):
        wins = (group["warm_vs_cold"] > 0).mean()
        tasks = group[group["task"] == "multiclass"]["warm_vs_cold"]
        lines.append(f"  without the blend, {budget:g} s: warm wins {wins:.1%} "
                     f"(multiclass {(tasks > 0).mean():.1%} of {len(tasks)})")
    return lines


def win_interval(wins: int, datasets: int) -> tuple[float, float]:
    """The 95 % Clopper-Pearson interval of the share of datasets warm wins on: whether a
    win rate on this many datasets can tell a target (70 %) from a coin flip."""
    interval = binomtest(wins, datasets).proportion_ci(confidence_level=0.95)
    return float(interval.low), float(interval.high)


def validation_line(frame: pd.DataFrame) -> str:
    """How often warm's best validation score beat cold's, and warm's test wins among those
    runs, among the equal ones and among the lower ones: what the warm start acts on, and how
    far the test split follows it (where warm validates higher on every run, the test win
    rate can reach only the first of those shares)."""
    pivot = with_splits(frame).pivot_table(index=["dataset", "split"], columns="mode",
                                           values="validation_score").dropna()
    if not set(MODES) <= set(pivot.columns):
        return "best validation score: no pairs"
    gap = pivot["warm"] - pivot["cold"]
    test = compare(frame, by_split=True).set_index(["dataset", "split"])["warm_vs_cold"]
    side = np.sign(gap).map({1.0: "higher", 0.0: "equal", -1.0: "lower"})
    parts = []
    for name in ("higher", "equal", "lower"):
        runs = test.reindex(side[side == name].index).dropna()
        share = f" (test: warm wins {(runs > 0).mean():.0%})" if len(runs) else ""
        parts.append(f"{name} on {int((side == name).sum())}{share}")
    return f"best validation score: warm {', '.join(parts)} of {len(gap)} runs"


def normalised_curves(frame: pd.DataFrame, budget: float, grid: np.ndarray) -> dict[str, np.ndarray]:
    """Mean over datasets of the best validation score so far, scaled per dataset to [0, 1]
    between the worst and best value either mode reached (0 before the first trial ends)."""
    sums = {mode: np.zeros_like(grid) for mode in MODES}
    runs = with_splits(frame[frame["budget"] == budget])
    pairs = [group for _, group in runs.groupby(["dataset", "split"])
             if set(group["mode"]) == set(MODES)]
    for group in pairs:
        curves = {row.mode: json.loads(row.curve) for row in group.itertuples()}
        values = [score for curve in curves.values() for _, score in curve]
        if not values:
            continue
        low, high = min(values), max(values)
        for mode, curve in curves.items():
            scaled = np.zeros_like(grid)
            for seconds, score in curve:
                scaled[grid >= seconds / budget] = (score - low) / (high - low) if high > low else 1.0
            sums[mode] += scaled
    return {mode: total / max(1, len(pairs)) for mode, total in sums.items()}


def plot(frame: pd.DataFrame, path: Path) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise SystemExit("plotting needs matplotlib: pip install -e '.[dev]'") from error
    budgets = sorted(frame["budget"].unique())
    figure, axes = plt.subplots(1, len(budgets), figsize=(4.5 * len(budgets), 3.6), squeeze=False)
    grid = np.linspace(0, 1, 201)
    for axis, budget in zip(axes[0], budgets):
        for mode, curve in normalised_curves(frame, budget, grid).items():
            axis.plot(grid * budget, curve, label=f"{mode} start")
        axis.set(title=f"{budget:g} s budget", xlabel="seconds since fit started",
                 ylabel="normalised best validation score", ylim=(0, 1.02))
        axis.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
