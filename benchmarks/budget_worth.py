"""What more search time is worth on the test split, set beside what the warm start is worth.

A warm start is a head start: at best it gives a search what the same search would have found
with more time. So the share of datasets on which a search given k times the budget beats the
same search at the budget bounds what a warm start worth that much time can reach, and tells
whether a target for the warm start (70 % wins at 60 s) asks for more than time itself gives.

Each comparison names two settings, ``MODE@BUDGET``, the first set against the second (its
relative test change positive when the first is better): ``cold@120:cold@60`` is a cold search
given twice the time against a cold 60 s search; ``warm@60:cold@60`` is the warm start.
``--session`` takes the run_warmstart.py CSVs of one session (a later file's row replaces an
earlier one's); runs are paired only within a session, because the machine's speed moves what
a search gets done in its budget. Pooled over sessions, each dataset is decided by each
setting's test score averaged over all its pairs (as ``pool_sessions.py`` does).

    python benchmarks/budget_worth.py --session SPLIT5.csv SPLIT6.csv \\
        --compare cold@120:cold@60 --md BUDGET.md
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from functools import partial
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pair_runs import KEYS, checked_runs, read_runs, write_summary  # noqa: E402
from run_core import relative_improvement  # noqa: E402
from run_warmstart import MODES, win_interval  # noqa: E402

SETTING = re.compile(r"^(?P<mode>[a-z]+)@(?P<budget>[0-9]+(\.[0-9]+)?)$")
Setting = tuple[str, float]
# Shares of the second setting's budget at which the summary asks whether the first setting's
# best validation score had reached the second's final one: by a sixth, a search is worth six
# times its budget there.
CATCH_UP_SHARES = (1 / 6, 1 / 3, 1 / 2, 1.0)


def parse_comparison(text: str) -> tuple[Setting, Setting]:
    """``"cold@120:cold@60"`` as ``(("cold", 120.0), ("cold", 60.0))``; ValueError naming
    the text and the form it should take otherwise."""
    parts = text.split(":")
    settings = [SETTING.match(part) for part in parts]
    if len(parts) != 2 or not all(settings) or \
            any(found["mode"] not in MODES for found in settings):
        raise ValueError(f"--compare {text!r} is not two settings MODE@BUDGET joined by ':' "
                         f"(MODE one of {', '.join(MODES)}), as in cold@120:cold@60.")
    first, second = ((found["mode"], float(found["budget"])) for found in settings)
    return first, second


def session_runs(sessions: list[list[Path]]) -> pd.DataFrame:
    """The rows of every session's CSVs, read once, with a ``session`` column (its number,
    from 1, in ``sessions``); within a session a later file's row replaces an earlier
    file's."""
    frames = []
    for number, paths in enumerate(sessions, start=1):
        rows = pd.concat([read_runs(path) for path in paths], ignore_index=True)
        frames.append(rows.drop_duplicates(KEYS, keep="last").assign(session=number))
    return pd.concat(frames, ignore_index=True)


def paired(runs: pd.DataFrame, first: Setting, second: Setting) -> pd.DataFrame:
    """One row per (session, dataset, split) both settings ran in ``runs``: their test and
    best validation scores, the first's relative test change over the second, and
    ``catch_up_seconds``: when the first's best validation score reached the second's final
    one (``inf``: never, within its budget)."""
    keys = ["session", "dataset", "task", "split"]
    sides = []
    for name, (mode, budget) in (("first", first), ("second", second)):
        rows = runs[(runs["mode"] == mode) & (runs["budget"] == budget)]
        sides.append(rows[keys + ["test_score", "validation_score", "curve"]]
                     .rename(columns={"test_score": name, "validation_score": f"{name}_validation",
                                      "curve": f"{name}_curve"}))
    both = _with_change(sides[0].merge(sides[1], on=keys))
    both["catch_up_seconds"] = [catch_up(_steps(mine), _steps(theirs))
                                for mine, theirs in zip(both["first_curve"], both["second_curve"])]
    return both.drop(columns=["first_curve", "second_curve"])


def _with_change(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``change``: the relative test change of ``first`` over ``second``."""
    frame["change"] = [relative_improvement(task, a, b) for task, a, b
                       in zip(frame["task"], frame["first"], frame["second"])]
    return frame


def _steps(curve: object) -> list[list[float]]:
    """A row's anytime curve; none where the run recorded none (it found no model)."""
    return json.loads(curve) if isinstance(curve, str) else []


def catch_up(curve: list[list[float]], other: list[list[float]]) -> float:
    """The first time in ``curve`` (``[seconds, best validation score so far]`` steps) at which
    it reached ``other``'s final score; ``inf`` if it never did, or ``other`` has no score."""
    if not other:
        return math.inf
    target = other[-1][1]
    return next((seconds for seconds, score in curve if score >= target), math.inf)


def pooled(runs: pd.DataFrame, first: Setting, second: Setting) -> pd.DataFrame:
    """Every session's pairs of ``first`` and ``second`` in ``runs`` (see
    :func:`session_runs`); ValueError naming the setting that no session ran (what they did
    run is named too)."""
    held = set(zip(runs["mode"], runs["budget"]))
    for mode, budget in (first, second):
        if (mode, budget) not in held:
            ran = ", ".join(f"{m}@{b:g}" for m, b in sorted(held))
            raise ValueError(f"no session ran {mode}@{budget:g} (they ran {ran}).")
    return paired(runs, first, second)


def by_dataset(pairs: pd.DataFrame) -> pd.DataFrame:
    """Each setting's test score averaged over a dataset's pairs, and the change of those
    means."""
    means = pairs.groupby(["dataset", "task"]).agg(first=("first", "mean"),
                                                   second=("second", "mean"),
                                                   runs=("first", "size")).reset_index()
    return _with_change(means)


def _shares(change: pd.Series) -> str:
    return f"{(change > 0).mean():.1%} / {(change == 0).mean():.1%} / {(change < 0).mean():.1%}"


def summary_row(label: str, pairs: pd.DataFrame, budget: float) -> dict[str, object]:
    """One line of the summary table for the pairs of one comparison, whose second setting
    has ``budget`` seconds."""
    table = by_dataset(pairs)
    wins = int((table["change"] > 0).sum())
    low, high = win_interval(wins, len(table))
    gap = pairs["first_validation"] - pairs["second_validation"]
    ahead = pairs.loc[gap > 0, "change"]
    return {"comparison": label, "sessions": pairs["session"].nunique(),
            "datasets": len(table), "runs": len(pairs),
            "datasets won": f"{wins / len(table):.1%} ({low:.1%} to {high:.1%})",
            "datasets W / T / L": _shares(table["change"]),
            "median change": f"{table['change'].median():+.3%}",
            "runs W / T / L": _shares(pairs["change"]),
            "validation higher / equal / lower": f"{(gap > 0).sum()} / {(gap == 0).sum()} / "
                                                 f"{(gap < 0).sum()}",
            "test wins where validation higher": f"{(ahead > 0).mean():.0%}" if len(ahead)
            else "-",
            "reached the second's final validation by 1/6, 1/3, 1/2, all of its budget":
                " / ".join(f"{(pairs['catch_up_seconds'] <= share * budget).mean():.0%}"
                           for share in CATCH_UP_SHARES)}


def summary(comparisons: dict[str, pd.DataFrame]) -> str:
    """The table of every comparison, then each one's datasets."""
    rows = [summary_row(label, pairs, parse_comparison(label)[1][1])
            for label, pairs in comparisons.items()]
    lines = [pd.DataFrame(rows).to_markdown(index=False), ""]
    for label, pairs in comparisons.items():
        lines += [f"{label}, by dataset (first and second: mean test scores over the runs):",
                  by_dataset(pairs).to_markdown(index=False, floatfmt=".4f"), ""]
    return "\n".join(lines).rstrip()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--session", type=Path, nargs="+", action="append", required=True,
                        help="run_warmstart.py CSVs of one session; give it once per session")
    parser.add_argument("--compare", nargs="+", required=True,
                        help="MODE@BUDGET:MODE@BUDGET, the first against the second")
    parser.add_argument("--md", type=Path, required=True, help="where the summary goes")
    args = parser.parse_args(argv)
    try:
        wanted = [(text, parse_comparison(text)) for text in args.compare]
    except ValueError as error:
        parser.error(str(error))
    paths = [path for session in args.session for path in session]
    runs = checked_runs(parser, paths, partial(session_runs, args.session),
                        "the sessions' CSVs hold no runs")
    comparisons = {}
    for text, (first, second) in wanted:
        comparisons[text] = checked_runs(
            parser, [], partial(pooled, runs, first, second),
            f"no session ran {text.replace(':', ' and ')} on the same (dataset, split)")
    write_summary(summary(comparisons), args.md)


if __name__ == "__main__":
    main()
