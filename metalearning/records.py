"""The build's records on disk, and the candidate configs derived from them.

Records are JSON, one file per dataset and stage, written atomically so that a killed build
never leaves half a file; a stage reads what is there to know what is left to do.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from automl.space.compiled import Config, config_key, task_space


def candidate_key(config: Config) -> str:
    """A short stable name for a config: the digest of its canonical JSON."""
    return hashlib.sha256(config_key(config).encode()).hexdigest()[:16]


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write atomically (temporary file, then rename): a killed build leaves no half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False,
                                     encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, sort_keys=True, default=_plain)
    os.chmod(handle.name, 0o644)  # a temporary file is private; these are data to share
    os.replace(handle.name, path)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable: {value!r}")


def read_records(folder: Path) -> dict[str, dict[str, Any]]:
    """Every finished record of a stage, by dataset name."""
    return {path.stem: json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(Path(folder).glob("*.json"))}


def family_defaults(task: str) -> dict[str, Config]:
    """Each model family's defaults in ``task``'s full space, by family: configs every search
    runs (``fitting.initial_configs`` queues them all)."""
    space = task_space(task)
    return {model: space.default_config(model) for model in space.model_names}


def task_candidates(task: str, searches: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Stage 2's candidates for ``task``: each search's best config and each family's defaults,
    by key, with where each came from."""
    candidates: dict[str, dict[str, Any]] = {}
    for model, config in family_defaults(task).items():
        candidates.setdefault(candidate_key(config), {"config": config, "origin": f"default:{model}"})
    for name, record in sorted(searches.items()):
        if record["task"] == task and record["configs"]:
            config = record["configs"][0]["config"]
            candidates.setdefault(candidate_key(config), {"config": config,
                                                         "origin": f"dataset:{name}"})
    return candidates


def scored_for_all(row: dict[str, Any], keys: Iterable[str]) -> bool:
    """Whether a matrix row holds a result (a score, or None for a failure) for every key.

    A matrix stage stopped halfway leaves rows with some candidates not yet scored; reading
    those as failures, or taking the best of the ones there, would favour whichever
    candidates happened to be scored first.
    """
    return all(key in row["scores"] for key in keys)
