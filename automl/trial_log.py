"""The trial log: every finished trial, appended to a JSON-lines file as it ends.

The file is the record of a run that survives a crash of the process that ran it; the
in-memory list is what the leaderboard and the final model are built from.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from automl.evaluate import TrialResult

# The source of a preview (``automl.evaluate``): scored on a row sample, so never ranked
# against the trials, but a usable model seconds into the search.
PREVIEW = "preview"

LEADERBOARD_COLUMNS = ["trial", "model", "score", "status", "error", "fit_seconds",
                       "finished_at_seconds", "source", "ensemble_weight", "config"]


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

    def record(self) -> dict[str, Any]:
        """A JSON-ready row (no predictions)."""
        return {"trial": self.trial, "model": self.config.get("model"),
                "score": self.result.score, "status": self.result.status,
                "error": self.result.error, "fit_seconds": round(self.result.fit_seconds, 4),
                "started_at_seconds": round(self.started_at_seconds, 4),
                "finished_at_seconds": round(self.finished_at_seconds, 4),
                "source": self.source, "config": self.config}


class TrialLog:
    """Append-only list of trials, mirrored line by line to ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch()
        self.trials: list[Trial] = []

    def append(self, trial: Trial) -> None:
        self.trials.append(trial)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(trial.record(), default=_plain) + "\n")
            handle.flush()

    def ranked(self) -> list[Trial]:
        """Successful trials, best score first (ties: earlier trial first); no preview."""
        return sorted((t for t in self.trials if t.ok and not t.preview),
                      key=lambda t: (-t.result.score, t.trial))

    def best(self) -> Trial | None:
        ranked = self.ranked()
        return ranked[0] if ranked else None

    def leaderboard(self, weights: dict[int, float] | None = None) -> pd.DataFrame:
        """One row per trial, best first, then the preview, failed trials last.

        ``weights`` are the final model's member weights by trial (0 for the others).
        """
        weights = weights or {}
        rows = [dict(trial.record(), ensemble_weight=weights.get(trial.trial, 0.0))
                for trial in self.trials]
        frame = pd.DataFrame(rows, columns=LEADERBOARD_COLUMNS + ["started_at_seconds"])
        frame = frame[LEADERBOARD_COLUMNS]
        frame["score"] = frame["score"].astype(float)
        order = pd.DataFrame({"failed": frame["score"].isna(),
                              "preview": frame["source"].eq(PREVIEW),
                              "score": -frame["score"], "trial": frame["trial"]})
        frame = frame.loc[order.sort_values(["failed", "preview", "score", "trial"]).index]
        return frame.reset_index(drop=True)


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
