"""Warm runs from some ``run_warmstart`` CSVs paired with cold runs from others, summarised.

A change that only touches the warm start leaves the cold searches as they were, so only the
warm mode is rerun (``--modes warm``) and its rows are paired with the cold rows of an earlier
run on the same splits; a run over several sessions (one split now, more later) is put
together the same way. Each mode's rows come from its own files; where two files hold the same
(dataset, budget, mode, split), the later file on the command line wins. Only the (dataset,
budget, split) that both modes ran are kept. Writes the paired rows to ``--csv``, the summary
of ``run_warmstart.summarise`` beside it (``.md``) and the anytime plot (``-anytime.png``).

    python benchmarks/pair_runs.py --warm NEW-WARM.csv --cold OLD.csv --csv PAIRED.csv
    python benchmarks/pair_runs.py --warm split0.csv split1-warm.csv \\
        --cold split0.csv split1-cold.csv --csv two-splits.csv
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_warmstart import MODES, plot, summarise, with_splits  # noqa: E402

KEYS = ["dataset", "budget", "mode", "split"]
# What the pairing and the summary read (``split`` may be absent: older CSVs hold split 0).
RUN_COLUMNS = ["dataset", "task", "budget", "mode", "test_score", "validation_score",
               "first_model_seconds", "curve"]


class ModeMissing(ValueError):
    """A run CSV (``path``) that holds no row of the mode asked for; ``held`` names the modes
    it holds."""

    def __init__(self, message: str, path: Path, held: str) -> None:
        super().__init__(message)
        self.path = path
        self.held = held


def read_runs(path: Path) -> pd.DataFrame:
    """Every row of one run CSV, with a ``split`` column. Raises ValueError naming a file
    that is unreadable or not a run CSV."""
    try:
        frame = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not a CSV that pandas can read ({error}).") from error
    lacking = [column for column in RUN_COLUMNS if column not in frame.columns]
    if lacking:
        raise ValueError(f"{path} lacks the column(s) {', '.join(lacking)} of a "
                         f"run_warmstart.py CSV; give the --csv files that script wrote.")
    return with_splits(frame)


def rows_of(mode: str, paths: list[Path]) -> pd.DataFrame:
    """``mode``'s rows of ``paths``, a later file's row replacing an earlier file's.

    Raises ValueError naming a file that is unreadable or not a run CSV, and
    :class:`ModeMissing` naming one that holds no row of ``mode``: pairing with it would
    silently leave every dataset out.
    """
    frames = []
    for path in paths:
        frame = read_runs(path)
        mine = frame[frame["mode"] == mode]
        if mine.empty:
            held = ", ".join(sorted(set(frame["mode"]))) or "no rows"
            raise ModeMissing(f"{path} holds no {mode} runs (it holds {held}); give it to "
                              f"--{'cold' if mode == 'warm' else 'warm'} or leave it out.", path, held)
        frames.append(mine)
    return pd.concat(frames, ignore_index=True).drop_duplicates(KEYS, keep="last")


def pair(warm: pd.DataFrame, cold: pd.DataFrame) -> pd.DataFrame:
    """The rows of both modes for each (dataset, budget, split) that both ran, sorted."""
    both = pd.concat([warm, cold], ignore_index=True)
    runs = both.groupby(["dataset", "budget", "split"])["mode"].transform("nunique")
    return both[runs == len(MODES)].sort_values(KEYS).reset_index(drop=True)


def checked_runs(parser: argparse.ArgumentParser, paths: list[Path],
                 read: Callable[[], pd.DataFrame], nothing: str) -> pd.DataFrame:
    """``read()``'s rows, or a usage error (exit 2) naming the problem: a file in ``paths``
    that does not exist, one ``read`` refuses (its ValueError), or no rows (``nothing``)."""
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        parser.error(f"no such CSV: {', '.join(missing)}")
    try:
        rows = read()
    except ValueError as error:
        parser.error(str(error))
    if rows.empty:
        parser.error(nothing)
    return rows


def write_summary(text: str, path: Path) -> None:
    """Write ``text`` to ``path`` (its folder made if need be) and print it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")
    print(text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=Path, nargs="+", required=True)
    parser.add_argument("--cold", type=Path, nargs="+", required=True)
    parser.add_argument("--csv", type=Path, required=True, help="where the paired rows go")
    args = parser.parse_args(argv)
    paired = checked_runs(parser, args.warm + args.cold,
                          lambda: pair(rows_of("warm", args.warm), rows_of("cold", args.cold)),
                          "the warm and the cold files share no (dataset, budget, split)")
    args.csv.parent.mkdir(parents=True, exist_ok=True)
    paired.to_csv(args.csv, index=False)
    plot(paired, args.csv.with_name(f"{args.csv.stem}-anytime.png"))
    write_summary(summarise(paired), args.csv.with_suffix(".md"))


if __name__ == "__main__":
    main()
