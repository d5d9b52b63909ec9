"""The threads a job gets: measured against real busy processes on this machine's cores."""

import subprocess
import sys
import time

import pytest

from automl.trials.threads import ThreadPolicy, free_threads, usable_cores

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


_LIGHTGBM_NEIGHBOUR = """
import sys, time
import numpy as np, lightgbm
rng = np.random.default_rng(0)
X = rng.normal(size=(20000, 40)); y = (X[:, 0] + rng.normal(size=20000) > 0).astype(int)
end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    lightgbm.LGBMClassifier(n_estimators=50, n_jobs=2, verbose=-1).fit(X, y)
"""


@pytest.mark.slow
def test_a_fit_beside_two_multi_threaded_neighbours_keeps_its_promises(penguins):
    # Two LightGBM processes with two threads each, on the same cores: before the thread
    # policy, the first LightGBM trial ran into its limit and fit returned the prior. The
    # promise is the budget and a real model; how many trials fit is benchmarks/busy_machine.py's.
    import warnings

    import automl

    from conftest import budget_limit

    frame = penguins.dropna(subset=["species"])
    X, y = frame.drop(columns="species"), frame["species"]
    budget = 20
    neighbours = [subprocess.Popen([sys.executable, "-c", _LIGHTGBM_NEIGHBOUR, "90"])
                  for _ in range(2)]
    try:
        time.sleep(3)  # both are fitting before the fit starts
        started = time.monotonic()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = automl.fit(X, y, time_budget=budget, random_state=0)
        elapsed = time.monotonic() - started
    finally:
        for neighbour in neighbours:
            neighbour.kill()
            neighbour.wait()
    assert elapsed <= budget_limit(budget)
    assert not model.prior_only_ and (model.leaderboard_["status"] == "ok").any()
    assert (model.predict(X) == y.to_numpy()).mean() > 0.9
