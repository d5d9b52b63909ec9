"""The wall-clock budget of one ``fit``: one monotonic clock read by every stage."""

from __future__ import annotations

import time
from typing import Callable

# The promise of ``fit``: it returns within the budget x 1.02, plus half a second for budgets
# under 25 s (a worker's start and the last handover are a larger share of a short budget).
BUDGET_SLACK_FACTOR = 1.02
SHORT_BUDGET_SECONDS, SHORT_BUDGET_SLACK_SECONDS = 25.0, 0.5


def budget_limit(budget_seconds: float) -> float:
    """The most seconds a ``fit`` of ``budget_seconds`` may take."""
    slack = SHORT_BUDGET_SLACK_SECONDS if budget_seconds < SHORT_BUDGET_SECONDS else 0.0
    return budget_seconds * BUDGET_SLACK_FACTOR + slack


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
