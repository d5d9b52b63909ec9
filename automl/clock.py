"""The wall-clock budget of one ``fit``: one monotonic clock read by every stage."""

from __future__ import annotations

import time
from typing import Callable


class Clock:
    """Seconds elapsed since ``fit`` began and seconds left of the budget.

    ``now`` is injectable so that tests can drive time by hand.
    """

    def __init__(self, budget_seconds: float, now: Callable[[], float] = time.monotonic) -> None:
        self.budget_seconds = float(budget_seconds)
        self._now = now
        self._start = now()

    def elapsed(self) -> float:
        return self._now() - self._start

    def remaining(self) -> float:
        return self.budget_seconds - self.elapsed()
