"""The trial log: every finished trial, appended to a JSON-lines file as it ends.

The file is the record of a run that survives a crash of the process that ran it; the
in-memory list is what the final model and ``automl.leaderboard`` are built from. Trials
hold the search's higher-is-better scores; the file and the leaderboard, which people read,
hold the metric's own units (a log loss of 0.3 is 0.3 there).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from automl.trials.evaluate import TrialResult

# The source of a preview (``automl.trials.preview``): scored on a row sample, so never ranked
# against the trials, but a usable model seconds into the search.
PREVIEW = "preview"


@dataclass(frozen=True)
class Trial:
    """One evaluated config: its number, where it came from, and its result."""

    trial: int
    config: dict[str, Any]
    source: str
    result: TrialResult
    started_at_seconds: float
    finished_at_seconds: float

    @property
    def ok(self) -> bool:
        return self.result.status == "ok"

    @property
    def preview(self) -> bool:
        return self.source == PREVIEW

    def record(self, sign: float = 1.0) -> dict[str, Any]:
        """A JSON-ready row (no predictions); ``sign`` (the metric's, -1 for losses) puts the
        score in the metric's own units."""
        score = None if self.result.score is None else sign * self.result.score
        return {"trial": self.trial, "model": self.config.get("model"),
                "score": score, "status": self.result.status,
                "error": self.result.error, "fit_seconds": round(self.result.fit_seconds, 4),
                "started_at_seconds": round(self.started_at_seconds, 4),
                "finished_at_seconds": round(self.finished_at_seconds, 4),
                "source": self.source, "config": self.config}


class TrialLog:
    """Append-only list of trials, mirrored line by line to ``path``; ``sign`` is the
    metric's (+1 when larger is better, -1 for losses)."""

    def __init__(self, path: Path, sign: float = 1.0) -> None:
        self.path = Path(path)
        self.sign = sign
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch()
        self.trials: list[Trial] = []

    def append(self, trial: Trial) -> None:
        self.trials.append(trial)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(trial.record(self.sign), default=_plain) + "\n")
            handle.flush()

    def ranked(self) -> list[Trial]:
        """Successful trials, best score first (ties: earlier trial first); no preview."""
        return sorted((t for t in self.trials if t.ok and not t.preview),
                      key=lambda t: (-t.result.score, t.trial))

    def best(self) -> Trial | None:
        ranked = self.ranked()
        return ranked[0] if ranked else None


def read_log(path: Path) -> list[dict[str, Any]]:
    """The records of a trial log file, in the order they were written."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    raise TypeError(f"cannot write {value!r} to the trial log")
