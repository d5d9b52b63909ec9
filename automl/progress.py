"""Progress of a running ``fit``: seconds against the budget, trials done, the best score.

``fit`` hands its trial log to a :class:`FitProgress` as soon as it opens it; a thread reads
the trials appended since the last look, so the search itself knows nothing about terminals
or notebooks. Where a person watches (a terminal, a Jupyter notebook) it is tqdm's bar,
redrawn in place; where stderr goes to a file or a CI log it is a plain line every
``LINE_SECONDS``, since a redrawn bar would leave carriage returns there.
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import Literal

from tqdm.auto import tqdm

from automl.base.metrics import Metric
from automl.trials.trial_log import TrialLog

Mode = Literal["bar", "lines", "off"]
POLL_SECONDS = 0.5
LINE_SECONDS = 10.0


def display_mode(progress: bool | None) -> Mode:
    """``progress`` as the estimator takes it: None shows a bar only where someone watches,
    True always shows progress (plain lines where nobody can watch a bar), False never."""
    if progress is False:
        return "off"
    if _watched():
        return "bar"
    return "lines" if progress else "off"


def _watched() -> bool:
    """Whether stderr is a terminal or ``fit`` runs in a notebook's kernel (Jupyter, VS Code,
    Colab), whose stderr is no terminal but shows tqdm's widget."""
    if getattr(sys.stderr, "isatty", lambda: False)():
        return True
    if "google.colab" in sys.modules:
        return True
    shell = sys.modules.get("IPython")
    ipython = getattr(shell, "get_ipython", lambda: None)() if shell else None
    return type(ipython).__name__ == "ZMQInteractiveShell"


class FitProgress:
    """Shows a fit's progress while used as a context manager around it, once :meth:`watch`
    has given it the run's trial log and metric."""

    def __init__(self, budget: float, mode: Mode = "bar") -> None:
        self.budget, self.mode = budget, mode
        self.trials = 0
        self.best: float | None = None  # in the metric's units
        self._log: TrialLog | None = None
        self._metric: Metric | None = None
        self._seen = 0
        self._bar = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, log: TrialLog, metric: Metric) -> None:
        """Start counting ``log``'s trials, scored by ``metric``."""
        self._log, self._metric = log, metric

    def __enter__(self) -> "FitProgress":
        self._start = time.monotonic()
        self._shown = self._start
        if self.mode != "off":
            self._thread = threading.Thread(target=self._run, name="automl-progress",
                                            daemon=True)
            self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is None:
            return
        self._thread.join()
        self._count()
        if self._metric is None:
            return  # fit stopped before its log was open: its error says why
        if self.mode == "bar":
            self._draw(final=True)
            self._bar.close()
        else:
            self._line()

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            self._count()
            if self._metric is None:
                continue  # nothing to show before fit has checked its input and opened its log
            if self.mode == "bar":
                self._draw()
            elif time.monotonic() - self._shown >= LINE_SECONDS:
                self._line()

    def _count(self) -> None:
        if self._log is None or self._metric is None:
            return
        new = self._log.trials[self._seen:]
        self._seen += len(new)
        sign = self._metric.sign
        for trial in new:
            if trial.preview:
                continue  # scored on a row sample: not a trial, never ranked against them
            self.trials += 1
            if trial.ok and trial.result.score is not None:
                score = sign * trial.result.score  # the metric's units
                if self.best is None or sign * score > sign * self.best:
                    self.best = score

    def _elapsed(self) -> float:
        return min(time.monotonic() - self._start, self.budget)

    def _status(self) -> str:
        best = "-" if self.best is None else f"{self.best:.4g}"
        left = max(self.budget - self._elapsed(), 0.0)
        return (f"trials {self.trials}, best {self._metric.name} {best}, "
                f"{left:.0f} s left")

    def _draw(self, final: bool = False) -> None:
        if self._bar is None:
            self._bar = tqdm(total=max(round(self.budget), 1), unit="s", file=sys.stderr,
                             leave=True, bar_format="{n:>4.0f}/{total:.0f} s |{bar:24}| {desc}",
                             desc=f"{self._metric.name}, {self._metric.direction}")
        self._bar.n = self._elapsed()
        self._bar.set_description_str(self._status() if not final else
                                      f"trials {self.trials}, best {self._metric.name} "
                                      f"{'-' if self.best is None else f'{self.best:.4g}'} "
                                      f"({self._metric.direction})", refresh=False)
        self._bar.refresh()

    def _line(self) -> None:
        self._shown = time.monotonic()
        print(f"automl: {self._elapsed():.0f}/{self.budget:g} s, {self._status()} "
              f"({self._metric.direction})", file=sys.stderr, flush=True)
