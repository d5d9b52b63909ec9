"""A progress bar for a running ``fit``, fed by the trial log it appends to.

``fit`` writes every finished trial to ``trials*.jsonl`` in its log folder as it ends; a
thread that reads new lines from that file is all a progress display needs, so the search
itself knows nothing about terminals.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

from tqdm import tqdm

from automl.trial_log import PREVIEW

POLL_SECONDS = 0.5


class TrialLogProgress:
    """Elapsed seconds against the budget, trials done and the best score so far, on stderr.

    ``sign`` turns the log's higher-is-better scores back into the metric's units (-1 for
    losses). Use as a context manager around ``fit``.
    """

    def __init__(self, log_dir: str | os.PathLike, budget: float, metric: str,
                 sign: float = 1.0, disable: bool = False) -> None:
        self.log_dir, self.budget, self.metric, self.sign = Path(log_dir), budget, metric, sign
        self.disable = disable
        self.trials, self.best = 0, None
        self._stop = threading.Event()
        self._offset, self._path = 0, None

    def __enter__(self) -> "TrialLogProgress":
        self._start = time.monotonic()
        self._since = time.time() - 1.0
        # A terminal redraws one line; a log file (CI, `2> log`) gets a line every 10 s.
        self._interval = POLL_SECONDS if sys.stderr.isatty() else 10.0
        self._shown = -float("inf")
        self._bar = None
        self._thread = threading.Thread(target=self._run, name="automl-progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()
        self._update()
        if self._bar is not None:
            self._bar.close()

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            self._update()

    def _update(self) -> None:
        records = self._new_records()
        if self._path is None or self.disable:
            return  # no bar before fit has checked its input and opened its log
        if self._bar is None:
            self._bar = tqdm(total=max(round(self.budget), 1), unit="s", file=sys.stderr,
                             bar_format="{n:>4.0f}/{total:.0f} s |{bar:24}| {desc}")
        for record in records:
            if record.get("source") == PREVIEW:
                continue  # scored on a row sample: not a trial, never ranked against them
            self.trials += 1
            score = record.get("score")
            if record.get("status") == "ok" and score is not None:
                self.best = score if self.best is None else max(self.best, score)
        self._bar.n = min(time.monotonic() - self._start, self.budget)
        best = "-" if self.best is None else f"{self.sign * self.best:.4g}"
        self._bar.set_description_str(f"trials {self.trials}, best {self.metric} {best}",
                                      refresh=False)
        now = time.monotonic()
        if now - self._shown >= self._interval or self._stop.is_set():
            self._bar.refresh()
            self._shown = now

    def _new_records(self) -> list[dict]:
        if self._path is None:
            logs = [path for path in self.log_dir.glob("trials*.jsonl")
                    if path.stat().st_mtime >= self._since]
            if not logs:
                return []
            self._path = max(logs, key=lambda path: path.stat().st_mtime)
        with self._path.open("r", encoding="utf-8") as handle:
            handle.seek(self._offset)
            chunk = handle.read()
        complete = chunk[:chunk.rfind("\n") + 1]  # a line still being written waits
        self._offset += len(complete.encode("utf-8"))
        return [json.loads(line) for line in complete.splitlines() if line.strip()]
