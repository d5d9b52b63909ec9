"""Reading data files into frames, and splitting a frame into features, target and ids.

The command line and the examples read CSV (compressed too) and Parquet files through
these two functions, so a missing file, an unreadable format or a missing column is one
``InputError`` that names the file or column, whichever way the data arrives.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pandas as pd

from automl.base.exceptions import InputError, existing_file

_PARQUET = (".parquet", ".pq")
_CSV = (".csv", ".tsv", ".txt")
_COMPRESSION = (".gz", ".bz2", ".zip", ".xz", ".zst")
SUPPORTED = "CSV (.csv, .tsv, optionally .gz/.bz2/.zip/.xz/.zst) or Parquet (.parquet, .pq)"


@dataclass(frozen=True)
class Table:
    """A data file split into what a model sees and what it must not."""

    X: pd.DataFrame
    y: pd.Series | None
    ids: pd.Series | None


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """The rows of a CSV or Parquet file, the format told by the file's extension."""
    path = existing_file(path, "data file", f"give a CSV or Parquet file ({SUPPORTED})")
    suffixes = [suffix.lower() for suffix in path.suffixes]
    fmt = _format(suffixes)
    if fmt is None:
        raise InputError(f"data file {str(path)!r}: unknown format {''.join(path.suffixes)!r}; "
                         f"use {SUPPORTED}.")
    try:
        if fmt == "parquet":
            frame = pd.read_parquet(path)
        else:
            tab = ".tsv" in suffixes
            frame = pd.read_csv(path, sep="\t" if tab else ",", low_memory=False)
    except ImportError as error:
        raise InputError(f"data file {str(path)!r}: reading Parquet needs pyarrow "
                         f"(pip install pyarrow), or convert the file to CSV ({error}).") from error
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(f"data file {str(path)!r} could not be read as {fmt}: {reason}") \
            from error
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise InputError(f"data file {str(path)!r} has no rows or no columns "
                         f"(shape {frame.shape}).")
    return frame


def split_table(frame: pd.DataFrame, target: str | None = None,
                id_column: str | None = None, source: str = "data") -> Table:
    """Features, target and ids of ``frame``; ``source`` names the data in errors."""
    for role, name in (("target", target), ("id", id_column)):
        if name is not None and name not in frame.columns:
            raise InputError(f"{source} has no {role} column {name!r}; its columns are "
                             f"{_preview(frame.columns)}.{_separator_hint(frame.columns)}")
    if target is not None and target == id_column:
        raise InputError(f"the target and the id column are both {target!r}; the id column "
                         f"must be another column.")
    dropped = [name for name in (target, id_column) if name is not None]
    X = frame.drop(columns=dropped)
    if X.shape[1] == 0:
        raise InputError(f"{source} has no feature columns besides {dropped}.")
    return Table(X=X, y=frame[target] if target is not None else None,
                 ids=frame[id_column] if id_column is not None else None)


def _separator_hint(columns: pd.Index) -> str:
    """A hint when a CSV read as one column holds another separator in its header."""
    if len(columns) != 1:
        return ""
    for separator, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
        if separator in str(columns[0]):
            return (f" It was read as a single column whose name holds {name}: the file seems "
                    f"to be separated by {separator!r}, not commas. Save it with commas, or "
                    f"read it with pandas.read_csv(path, sep={separator!r}) and call "
                    f"automl.workflow.fit_table.")
    return ""


def _format(suffixes: list[str]) -> str | None:
    if suffixes and suffixes[-1] in _PARQUET:
        return "parquet"
    if suffixes and suffixes[-1] in _COMPRESSION:
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in _CSV:
        return "csv"
    return None


def _preview(columns: pd.Index, limit: int = 12) -> str:
    names = [str(name) for name in columns[:limit]]
    more = f", ... ({len(columns)} in all)" if len(columns) > limit else ""
    return ", ".join(repr(name) for name in names) + more
