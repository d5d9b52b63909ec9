"""Worker processes: spares parked by one pool are taken by the next, with its own context;
workers that were killed are never parked."""

from __future__ import annotations

import pytest

from automl.trials import runner
from automl.trials.jobs import EvaluateJob
from automl.trials.runner import WorkerPool, discard_spares

from conftest import context_of


def _context(X, y):
    return context_of(X, y, include_models=["lightgbm"])[0]


def _run(pool, request, time_limit=60.0):
    while not pool.n_idle:
        pool.poll()
    pool.submit("job", request, time_limit)
    while not (finished := pool.poll()):
        pass
    return finished[0][1]


def _pids(pool):
    return [worker.process.pid for worker in pool._workers]


@pytest.fixture()
def no_spares():
    discard_spares()
    yield
    discard_spares()


def test_a_closed_pools_idle_worker_serves_the_next_pool_with_its_context(penguins, no_spares):
    frame = penguins.dropna(subset=["species", "sex"])
    species = _context(frame.drop(columns="species"), frame["species"])
    sex = _context(frame.drop(columns="sex"), frame["sex"])
    with WorkerPool(species, 1, 1, 4000) as pool:
        first = _run(pool, EvaluateJob(species.space.default_config()))
        pids = _pids(pool)
    assert first.status == "done" and first.value[0].predictions.shape[1] == 3
    assert [worker.process.pid for worker in runner._spares] == pids
    with WorkerPool(None, 1, 1, 4000) as pool:
        assert _pids(pool) == pids and not runner._spares  # taken, not started
        pool.load(sex)
        second = _run(pool, EvaluateJob(sex.space.default_config()))
    assert second.status == "done" and second.value[0].predictions.shape[1] == 2
    with WorkerPool(species, 1, 2, 4000) as pool:  # other threads: a new worker
        assert _pids(pool) != pids
        while not pool.n_idle:  # a worker still starting is killed, not parked
            pool.poll()
    assert len(runner._spares) == 2
    discard_spares()
    assert not runner._spares


def test_a_worker_started_beside_another_automl_imports_this_one(penguins, no_spares, tmp_path,
                                                                 monkeypatch):
    # A folder with a package of the same name (another checkout, a notebook's folder) is
    # the working folder: the worker must still import what this process imported.
    (tmp_path / "automl").mkdir()
    (tmp_path / "automl" / "__init__.py").write_text("raise ImportError('the other automl')")
    monkeypatch.chdir(tmp_path)
    frame = penguins.dropna(subset=["species"])
    context = _context(frame.drop(columns="species"), frame["species"])
    with WorkerPool(context, 1, 1, 4000) as pool:
        outcome = _run(pool, EvaluateJob(context.space.default_config()))
    assert outcome.status == "done", outcome.error


def test_a_worker_killed_at_its_time_limit_is_never_parked(penguins, no_spares):
    frame = penguins.dropna(subset=["species"])
    context = _context(frame.drop(columns="species"), frame["species"])
    with WorkerPool(context, 1, 1, 4000) as pool:
        outcome = _run(pool, EvaluateJob(context.space.default_config()), 0.01)
        killed = _pids(pool)
    assert outcome.status == "timeout"
    assert not runner._spares  # the killed one is gone; its replacement was still starting
    assert killed


def test_input_refused_after_the_workers_started_leaves_no_worker_behind(no_spares):
    import numpy as np
    import psutil

    import automl
    from automl.base.exceptions import InputError

    before = {child.pid for child in psutil.Process().children()}
    with pytest.raises(InputError, match="y"):
        automl.fit(np.zeros((5, 2)), [1.0, np.nan, 2.0, 3.0, 4.0], time_budget=10)
    after = {child.pid for child in psutil.Process().children() if child.is_running()
             and child.status() != psutil.STATUS_ZOMBIE}
    assert after <= before  # started before the check, killed when it failed (not ready)
    assert not runner._spares


_ORPHANING_PARENT = """
import sys
import numpy as np
import automl
sys.path.insert(0, sys.argv[1])
X, y = np.random.default_rng(0).normal(size=(100, 3)), [0, 1] * 50
automl.fit(X, y, time_budget=300, include_models=["sleeper"], extra_components=[sys.argv[2]],
           per_trial_time_limit=200)
"""


def test_a_worker_in_the_middle_of_a_trial_ends_within_a_second_of_its_parents_death():
    import os
    import signal
    import subprocess
    import sys
    import time

    import psutil

    from conftest import FAULTY_COMPONENTS

    tests = os.path.dirname(os.path.abspath(__file__))
    parent = subprocess.Popen([sys.executable, "-c", _ORPHANING_PARENT, tests,
                               str(FAULTY_COMPONENTS)])
    time.sleep(8)  # the worker starts and takes the sleeper's trial, which never ends
    workers = psutil.Process(parent.pid).children(recursive=True)
    assert workers
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    killed = time.monotonic()
    while (alive := [w for w in workers if _running(w)]) and time.monotonic() - killed < 10:
        time.sleep(0.05)
    ended = time.monotonic() - killed
    for worker in alive:
        worker.kill()
    assert not alive and ended < 1.5


def _running(process) -> bool:
    """Whether ``process`` still runs (a zombie has ended; its new parent reaps it later)."""
    import psutil

    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
