"""Run evaluations in worker processes under hard time and memory limits.

Each worker is a fresh Python process (never a fork of the caller) that receives the
evaluation context once and then serves jobs over a pipe. The parent enforces the limits from
outside: a job that outlives its time limit, or whose worker's resident memory passes the
limit, gets its worker killed (not asked to stop) and replaced, and a worker that dies is
reported as crashed. Whatever happens, the caller receives one :class:`JobOutcome` per job.

Starting a worker costs about 2 s (the interpreter and scikit-learn's imports). So a pool
that closes parks its healthy, idle, small workers as spares (their context dropped) instead
of killing them, and the next pool in this process takes them: a second ``fit`` does not pay
for the start again. A worker that timed out, ran out of memory or crashed is never parked.
"""

from __future__ import annotations

import atexit
import gc
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import cloudpickle
import psutil

from automl.trials.run_dirs import context_prefix, remove_orphaned_contexts
from automl.trials.threads import ThreadPolicy

logger = logging.getLogger(__name__)

# How often the parent looks at running jobs' clocks and memory.
_POLL_SECONDS = 0.05
_MAX_FAILED_STARTS = 3
# How often a worker checks that its parent is alive.
_PARENT_CHECK_SECONDS = 0.25
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
# Parked spare workers (see the module docstring): at most this many, each under this size.
_MAX_SPARES = 4
_SPARE_MAX_BYTES = 768 * 2**20



class Job(Protocol):
    """What a worker runs: a picklable object that does its work given the context the
    worker holds (``jobs.EvaluateJob``, ``jobs.PreviewJob``, ``refit.RefitJob``)."""

    def run(self, context: Any, n_threads: int) -> Any: ...

@dataclass(frozen=True)
class JobOutcome:
    """The reply of a worker, or why there is none."""

    status: Literal["done", "timeout", "memout", "crashed"]
    value: Any = None
    error: str | None = None
    seconds: float = 0.0


@dataclass
class _Worker:
    process: Any
    connection: Any
    ready: bool = False
    job_id: Any = None
    started: float = 0.0
    deadline: float = 0.0
    key: tuple[int, str] = (1, "")  # what it was started with: threads, import path
    psutil_process: Any = field(default=None, repr=False)


def default_memory_limit_mb(n_workers: int) -> int:
    """Three quarters of the machine's memory, shared between the workers."""
    total_mb = psutil.virtual_memory().total / 2**20
    return int(max(1024, 0.75 * total_mb / max(1, n_workers)))


class WorkerPool:
    """A fixed number of worker processes, each running one job at a time."""

    def __init__(self, context: Any | None, n_workers: int, n_threads: int,
                 memory_limit_mb: int, fixed_threads: bool = False) -> None:
        """Start the workers; without ``context`` they import their libraries and wait for
        :meth:`load`, so that their start overlaps whatever the caller does meanwhile.

        Each job gets at most ``n_threads`` threads: as many as other processes leave cores
        free (``automl.trials.threads``), or always ``n_threads`` with ``fixed_threads``."""
        self._payload_path: str | None = None
        self._n_threads = n_threads
        self._memory_limit_bytes = memory_limit_mb * 2**20
        self._failed_starts = 0
        self._workers = [self._start_worker() for _ in range(n_workers)]
        self.threads = ThreadPolicy(n_threads, self._pids, fixed=fixed_threads)
        if context is not None:
            self.load(context)

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def load(self, context: Any) -> None:
        """Hand every worker, started or starting, the context its jobs run in."""
        # Workers read the context from a file: a pipe would block the parent until a new
        # worker has imported its libraries and read it.
        remove_orphaned_contexts()
        handle, path = tempfile.mkstemp(prefix=context_prefix(), suffix=".pkl")
        with os.fdopen(handle, "wb") as file:
            cloudpickle.dump(context, file)
        self._payload_path = path
        for worker in self._workers:
            self._send_context(worker)

    def _start_worker(self) -> _Worker:
        key = _worker_key(self._n_threads)
        worker = _take_spare(key) or self._spawn_worker(key)
        if self._payload_path is not None:
            self._send_context(worker)
        return worker

    def _spawn_worker(self, key: tuple[int, str]) -> _Worker:
        parent_end, child_end = socket.socketpair()
        # -P: no working folder in front of the import path, which is this process's.
        command = [sys.executable, "-P", "-c", "from automl.trials.runner import serve; "
                   f"serve({child_end.fileno()}, {self._n_threads})"]
        env = dict(os.environ, OMP_NUM_THREADS=str(self._n_threads), PYTHONPATH=key[1])
        # A fresh interpreter rather than multiprocessing's spawn: spawn re-imports the user's
        # main script, which breaks scripts without an ``if __name__ == "__main__"`` guard.
        process = subprocess.Popen(command, pass_fds=[child_end.fileno()], env=env,
                                   stdin=subprocess.DEVNULL, start_new_session=False)
        child_end.close()
        connection = multiprocessing.connection.Connection(parent_end.detach())
        return _Worker(process, connection, key=key, psutil_process=psutil.Process(process.pid))

    def _send_context(self, worker: _Worker) -> None:
        try:  # a few bytes: the socket's buffer takes them before the worker reads
            worker.connection.send(("context", self._payload_path))
        except OSError:
            pass  # the worker died already; poll() reports it

    def _pids(self) -> list[int]:
        """The workers' processes and their children (a model's own worker processes)."""
        pids = []
        for worker in self._workers:
            try:
                pids += [worker.process.pid] + [child.pid for child in
                                                worker.psutil_process.children(recursive=True)]
            except psutil.Error:
                continue
        return pids

    @property
    def n_idle(self) -> int:
        """Workers that are started and free to take a job."""
        return sum(1 for worker in self._workers if worker.ready and worker.job_id is None)

    @property
    def n_workers(self) -> int:
        return len(self._workers)

    @property
    def n_busy(self) -> int:
        return sum(1 for worker in self._workers if worker.job_id is not None)

    def submit(self, job_id: Any, request: Job, time_limit: float) -> None:
        """Hand a job to an idle worker; it is killed if still running after ``time_limit``."""
        worker = next(w for w in self._workers if w.ready and w.job_id is None)
        worker.connection.send(("job", (self.threads.threads(), request)))
        worker.job_id, worker.started = job_id, time.monotonic()
        worker.deadline = worker.started + max(0.0, time_limit)

    def poll(self, timeout: float = _POLL_SECONDS) -> list[tuple[Any, JobOutcome]]:
        """Wait up to ``timeout`` seconds; return the jobs that ended, whatever their end."""
        multiprocessing.connection.wait([w.connection for w in self._workers], timeout=timeout)
        finished = []
        for index, worker in enumerate(self._workers):
            outcome = self._check(worker)
            if outcome is None:
                continue
            if worker.job_id is not None:
                finished.append((worker.job_id, outcome))
            if outcome.status != "done":
                self._replace(index)
            else:
                worker.job_id = None
        return finished

    def _check(self, worker: _Worker) -> JobOutcome | None:
        now = time.monotonic()
        try:
            if worker.connection.poll():
                kind, value = worker.connection.recv()
                if kind == "ready":
                    worker.ready = True
                    return None
                return JobOutcome("done", value, seconds=now - worker.started)
        except (EOFError, OSError):
            pass  # the worker died; reported below
        if worker.process.poll() is not None:
            code = worker.process.returncode
            why = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            return JobOutcome("crashed", error=f"the worker process died ({why})",
                              seconds=now - worker.started)
        if worker.job_id is None:
            return None
        if now > worker.deadline:
            return JobOutcome("timeout", error=f"killed after {now - worker.started:.1f} s "
                              f"(limit {worker.deadline - worker.started:.1f} s)",
                              seconds=now - worker.started)
        rss = _resident_bytes(worker.psutil_process)
        if rss > self._memory_limit_bytes:
            return JobOutcome("memout", error=f"killed at {rss / 2**20:.0f} MB resident memory "
                              f"(limit {self._memory_limit_bytes / 2**20:.0f} MB)",
                              seconds=now - worker.started)
        return None

    def _replace(self, index: int) -> None:
        worker = self._workers[index]
        self.threads.last_look(worker.process.pid)
        _kill(worker)
        self._failed_starts = 0 if worker.ready else self._failed_starts + 1
        if self._failed_starts >= _MAX_FAILED_STARTS:
            raise RuntimeError(f"{_MAX_FAILED_STARTS} worker processes in a row died before "
                               "they were ready; their error output is above.")
        self._workers[index] = self._start_worker()

    def close(self) -> None:
        """Park the idle workers as spares, as far as there is room, and kill the others:
        nothing they hold is needed any more."""
        for worker in self._workers:
            if not _park(worker):
                _kill(worker)
        self._workers = []
        if self._payload_path is not None:
            Path(self._payload_path).unlink(missing_ok=True)


_spares: list[_Worker] = []
_spares_lock = threading.Lock()


def _park(worker: _Worker) -> bool:
    """Keep an idle, healthy, small worker for the next pool, its context dropped (the
    oldest spare makes room); False when it is not one."""
    if not worker.ready or worker.job_id is not None or worker.process.poll() is not None:
        return False
    if _resident_bytes(worker.psutil_process) > _SPARE_MAX_BYTES:
        return False
    try:
        worker.connection.send(("reset", None))
    except OSError:
        return False
    worker.ready = False
    with _spares_lock:
        _spares.append(worker)
        evicted = _spares[:-_MAX_SPARES]
        del _spares[:-_MAX_SPARES]
    for old in evicted:
        _kill(old)
    return True


def _worker_key(n_threads: int) -> tuple[int, str]:
    """What a worker is started with and a spare must match: its threads, and its import
    path: this library's folder, then this process's path, the working folder written out
    (so that a worker started from another folder imports this library, not one there)."""
    paths = [_PACKAGE_ROOT] + [path or os.getcwd() for path in sys.path]
    return n_threads, os.pathsep.join(paths)


def _take_spare(key: tuple[int, str]) -> _Worker | None:
    """A parked worker, still alive, that was started with ``key``, if any."""
    with _spares_lock:
        for worker in list(_spares):
            if worker.process.poll() is not None:
                _spares.remove(worker)
                worker.connection.close()
            elif worker.key == key:
                _spares.remove(worker)
                return worker
    return None


@atexit.register
def discard_spares() -> None:
    """Kill the parked workers (they would also end on their own when this process does)."""
    with _spares_lock:
        while _spares:
            _kill(_spares.pop())


def _kill(worker: _Worker) -> None:
    try:
        for child in worker.psutil_process.children(recursive=True):
            child.kill()
    except psutil.Error:
        pass
    worker.process.kill()
    try:
        worker.process.wait(timeout=2.0)
    except subprocess.TimeoutExpired:
        logger.warning("worker %d did not die within 2 s of SIGKILL", worker.process.pid)
    worker.connection.close()


def _resident_bytes(process: Any) -> int:
    try:
        total = process.memory_info().rss
        for child in process.children(recursive=True):
            total += child.memory_info().rss
        return total
    except psutil.Error:
        return 0


def _exit_with_parent(parent: int) -> None:
    """End this worker (and what it started) soon after its parent dies, even in the middle
    of a job: a killed ``fit`` must not leave a worker fitting on for the rest of its trial."""
    while os.getppid() == parent:
        time.sleep(_PARENT_CHECK_SECONDS)
    try:
        for child in psutil.Process().children(recursive=True):
            child.kill()
    except psutil.Error:
        pass
    os._exit(1)


def serve(fd: int, n_threads: int) -> None:
    """A worker's life: import the libraries, then, for each context it is sent, load it and
    answer jobs until told to reset (parked as a spare); end when the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    connection = multiprocessing.connection.Connection(fd)
    from threadpoolctl import threadpool_limits

    # The libraries the jobs use load now, while the parent still checks the input, not in
    # the first trial's time; the jobs themselves come with each request.
    import automl.trials.jobs  # noqa: F401

    try:
        while True:
            _, payload_path = connection.recv()
            with open(payload_path, "rb") as file:
                context = cloudpickle.load(file)
            threadpool_limits(n_threads)
            context.warm_up()
            connection.send(("ready", None))
            while (message := connection.recv())[0] != "reset":
                threads, request = message[1]
                with threadpool_limits(threads):
                    connection.send(("result", request.run(context, threads)))
            del context, message
            gc.collect()
    except (EOFError, OSError):
        return  # the parent closed the pipe, or is gone
