"""The dataset corpus the knowledge base is learned from: a folder of ``.csv.gz`` files
described by ``manifest.json`` (name, file, target, task, id column, source, licence).

Near-duplicates matter for honest leave-one-dataset-out evaluation: two datasets that share
most of their columns and their target (red and white wine quality) would otherwise teach
each other their answers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.model_selection import train_test_split

from automl.input.data import TASKS

# ../shared/datasets beside a checkout of the repository.
DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
# Datasets with the same target whose column names overlap this much are near-duplicates.
_NEAR_DUPLICATE_OVERLAP = 0.8


class CorpusError(ValueError):
    """A corpus the builder cannot use: a manifest it cannot read, or dataset names it lacks."""


def read_manifest(corpus: Path = DEFAULT_CORPUS) -> dict[str, dict[str, Any]]:
    """The corpus description, by dataset name."""
    path = Path(corpus) / "manifest.json"
    if not path.is_file():
        raise FileNotFoundError(f"no manifest.json in the corpus folder {str(corpus)!r}; pass "
                                "--corpus with a folder holding manifest.json and the data.")
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise CorpusError(f"{str(path)!r} is not valid JSON: {error}.") from error
    if not isinstance(entries, list):
        raise CorpusError(f"{str(path)!r} must hold a list of datasets, got "
                          f"{type(entries).__name__}.")
    manifest: dict[str, dict[str, Any]] = {}
    for index, entry in enumerate(entries):
        entry = _checked_entry(entry, index)
        if entry["name"] in manifest:
            raise CorpusError(f"manifest entry {index}: the name {entry['name']!r} is taken by "
                              "an earlier entry; each dataset needs a name of its own.")
        manifest[entry["name"]] = entry
    return manifest


def _checked_entry(entry: Any, index: int) -> dict[str, Any]:
    """A manifest entry with what the builder reads from it, or an error naming what is
    missing or wrong (a corpus of one's own is written by hand)."""
    if not isinstance(entry, dict):
        raise CorpusError(f"manifest entry {index} ({entry!r}): expected an object with name, "
                          "file, target and task.")
    where = f"manifest entry {index} ({entry.get('name', 'no name')!r})"
    missing = [key for key in ("name", "file", "target", "task") if not entry.get(key)]
    if missing:
        raise CorpusError(f"{where}: missing {missing}; each entry needs name, file, target "
                          "and task (id_column is optional).")
    if entry["task"] not in TASKS:
        raise CorpusError(f"{where}: task must be one of {TASKS}, got {entry['task']!r}.")
    return entry


def load_dataset(entry: dict[str, Any], corpus: Path = DEFAULT_CORPUS
                 ) -> tuple[pd.DataFrame, pd.Series]:
    """X (id column dropped) and y of one manifest entry."""
    frame = pd.read_csv(Path(corpus) / entry["file"])
    y = frame.pop(entry["target"])
    if entry.get("id_column"):
        frame = frame.drop(columns=[entry["id_column"]])
    return frame, y


def load_split(entry: dict[str, Any], seed: int = 0, corpus: Path = DEFAULT_CORPUS):
    """X_train, X_test, y_train, y_test: 75/25, stratified for classification."""
    X, y = load_dataset(entry, corpus)
    stratify = y if entry["task"] != "regression" else None
    return train_test_split(X, y, test_size=0.25, random_state=seed, stratify=stratify)


def near_duplicates(name: str, columns: dict[str, tuple[str, set[str]]]) -> set[str]:
    """The datasets (``name`` included) that share ``name``'s target and most of its columns.

    ``columns`` maps each dataset to (target, its feature names).
    """
    target, features = columns[name]
    found = {name}
    for other, (other_target, other_features) in columns.items():
        union = features | other_features
        if other_target == target and union and \
                len(features & other_features) / len(union) >= _NEAR_DUPLICATE_OVERLAP:
            found.add(other)
    return found
