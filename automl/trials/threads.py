"""How many threads a job's model gets: the cores other processes leave free.

LightGBM and scikit-learn's histogram boosting run OpenMP threads that spin while they wait
for each other. On cores shared with other multi-threaded work (a notebook's kernel, a CI
runner's other jobs) a two-thread fit can take many times as long as a one-thread fit, while
one thread only slows down in proportion to its share of the cores (benchmarks/RESULTS.md,
"Threads on a busy machine"). So each job is given as many threads as
there were idle cores since the last job started, and at least one: all usable cores on a
machine of our own, one on a busy one.
"""

from __future__ import annotations

import logging
import math
import os
import time
from typing import Callable, Iterable

import psutil

logger = logging.getLogger(__name__)

# Shorter windows than this reuse the last decision: CPU times tick in hundredths of a second.
_MIN_WINDOW_SECONDS = 0.25
# Another process's use of a core counts from this share on: a core a tenth busy is free.
_BUSY_SHARE = 0.5


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, where the platform has one), not
    the machine's: under ``taskset`` or a pinned job, more threads than cores make LightGBM's
    spinning OpenMP threads run many times slower."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


class ThreadPolicy:
    """Threads per job, from the busy time of this process's cores that this process and its
    workers (``our_pids``) did not use.

    ``fixed`` gives ``max_threads`` every time, measuring nothing: the deterministic mode
    needs the same threads in every run, since the models' sums depend on them.
    """

    def __init__(self, max_threads: int, our_pids: Callable[[], Iterable[int]],
                 fixed: bool = False, now: Callable[[], float] = time.monotonic) -> None:
        self.max_threads = max(1, int(max_threads))
        self.fixed = fixed or self.max_threads == 1
        self._our_pids = our_pids
        self._now = now
        self._cpus = _affinity()
        self._last = self.max_threads
        self._ours: dict[int, tuple[float, float]] = {}  # pid -> (first seen, last seen)
        self._mark = (now(), 0.0, 0.0) if self.fixed else \
            (now(), self._busy_seconds(), self._our_seconds())

    def threads(self) -> int:
        """The threads for the job about to start (see the module docstring)."""
        if self.fixed:
            return self.max_threads
        now = self._now()
        then, busy_then, ours_then = self._mark
        if now - then < _MIN_WINDOW_SECONDS:
            return self._last
        busy, ours = self._busy_seconds(), self._our_seconds()
        self._mark = (now, busy, ours)
        others = max(0.0, (busy - busy_then) - (ours - ours_then)) / (now - then)
        threads = free_threads(self.max_threads, others)
        if threads != self._last:
            logger.info("other processes used %.1f of our cores: jobs get %d thread(s)",
                        others, threads)
        self._last = threads
        return threads

    def _busy_seconds(self) -> float:
        """Seconds our cores spent on anything but idling, since boot."""
        try:
            times = psutil.cpu_times(percpu=True)
        except (psutil.Error, OSError):
            return 0.0
        cpus = self._cpus if self._cpus and max(self._cpus) < len(times) else range(len(times))
        return sum(_busy(times[cpu]) for cpu in cpus)

    def last_look(self, pid: int) -> None:
        """Count a process of ours that is about to be killed up to now: once dead, its
        seconds since the last look could not be read, and would pass for another's."""
        if not self.fixed:
            self._our_seconds(extra=[pid])

    def _our_seconds(self, extra: Iterable[int] = ()) -> float:
        """CPU seconds of this process and the workers since each was first seen, or since
        it started when that was after the last window began (a replaced worker's start is
        ours); a killed worker's seconds stay counted."""
        window_start = time.time() - (self._now() - self._mark[0]) if self._ours else None
        for pid in [os.getpid(), *self._our_pids(), *extra]:
            try:
                process = psutil.Process(pid)
                times = process.cpu_times()
                seconds = times.user + times.system
                new = window_start is not None and process.create_time() >= window_start
            except (psutil.Error, OSError):
                continue
            first = self._ours.get(pid, (0.0 if new else seconds, seconds))[0]
            self._ours[pid] = (first, seconds)
        return sum(last - first for first, last in self._ours.values())


def free_threads(max_threads: int, others_cores: float) -> int:
    """Threads for a job when other processes use ``others_cores`` cores of ``max_threads``."""
    busy = math.floor(others_cores + (1 - _BUSY_SHARE))
    return max(1, min(max_threads, max_threads - busy))


def _busy(times: object) -> float:
    idle = getattr(times, "idle", 0.0) + getattr(times, "iowait", 0.0)
    return sum(times) - idle - getattr(times, "guest", 0.0) - getattr(times, "guest_nice", 0.0)


def _affinity() -> list[int]:
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return []
