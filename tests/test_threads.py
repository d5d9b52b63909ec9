"""The threads a job gets: measured against real busy processes on this machine's cores."""

import subprocess
import sys
import time

import pytest

from automl.threads import ThreadPolicy, free_threads, usable_cores

_SPIN = "import time\nend = time.monotonic() + 30\nwhile time.monotonic() < end: pass"


@pytest.mark.parametrize("max_threads, others, expected", [
    (2, 0.0, 2), (2, 0.3, 2), (2, 0.6, 1), (2, 2.0, 1), (8, 3.0, 5), (8, 20.0, 1), (1, 0.0, 1),
])
def test_free_threads_leaves_the_cores_others_use(max_threads, others, expected):
    assert free_threads(max_threads, others) == expected


@pytest.fixture
def spinners():
    """One busy process per usable core, ended after the test."""
    processes = [subprocess.Popen([sys.executable, "-c", _SPIN]) for _ in range(usable_cores())]
    yield [process.pid for process in processes]
    for process in processes:
        process.kill()
        process.wait()


def _threads_after(policy: ThreadPolicy, seconds: float = 1.0) -> int:
    time.sleep(seconds)
    return policy.threads()


@pytest.mark.skipif(usable_cores() < 2, reason="one core: every job gets one thread anyway")
def test_other_processes_busy_on_our_cores_leave_one_thread(spinners):
    assert _threads_after(ThreadPolicy(usable_cores(), lambda: [])) == 1


@pytest.mark.skipif(usable_cores() < 2, reason="one core: every job gets one thread anyway")
def test_our_own_workers_busy_time_is_not_counted_against_us(spinners):
    # The same processes, as this pool's workers: their use of the cores is ours.
    assert _threads_after(ThreadPolicy(usable_cores(), lambda: spinners)) == usable_cores()


def test_fixed_threads_measure_nothing(spinners):
    assert _threads_after(ThreadPolicy(3, lambda: [], fixed=True), 0.3) == 3
