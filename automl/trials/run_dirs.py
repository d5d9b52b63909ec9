"""Where a run writes when the user gave no ``log_dir``: one bounded folder in the temp folder.

Each such run gets ``<temp>/automl-runs/run-<time>-<pid>-<random>/`` (its trial log, the
out-of-fold predictions spilled to disk, the refit models), so that ``trial_log_path_`` can
still be read after ``fit``. The newest ``KEEP_RUNS`` are kept; each new run removes the older
ones, except runs whose process is still alive. Worker context files that a killed process
left in the temp folder are removed by the next pool that writes one
(``runner.WorkerPool.load``, with or without ``log_dir``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import psutil

KEEP_RUNS = 20
_OWNER = "owner.pid"
CONTEXT_PREFIX = "automl-context-"


def runs_root() -> Path:
    """The folder that holds the runs without a ``log_dir``."""
    return Path(tempfile.gettempdir()) / "automl-runs"


def new_run_dir() -> Path:
    """A new, empty run folder owned by this process; older runs beyond ``KEEP_RUNS`` whose
    process has ended are removed first."""
    root = runs_root()
    root.mkdir(parents=True, exist_ok=True)
    prune_runs(root)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = root / f"run-{stamp}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    path.mkdir()
    (path / _OWNER).write_text(str(os.getpid()), encoding="utf-8")
    return path


def prune_runs(root: Path, keep: int = KEEP_RUNS) -> None:
    """Remove all but the newest ``keep`` runs in ``root`` whose process has ended."""
    runs = sorted((path for path in root.glob("run-*") if path.is_dir()),
                  key=lambda path: path.stat().st_mtime, reverse=True)
    for path in runs[keep:]:
        if not _owner_alive(path):
            shutil.rmtree(path, ignore_errors=True)


def context_prefix() -> str:
    """The name start of this process's worker context files (``runner.WorkerPool.load``)."""
    return f"{CONTEXT_PREFIX}{os.getpid()}-"


def remove_orphaned_contexts() -> None:
    """Delete worker context files left in the temp folder by processes that are gone (a
    ``fit`` killed before it could remove its own)."""
    for path in Path(tempfile.gettempdir()).glob(f"{CONTEXT_PREFIX}*-*.pkl"):
        pid = path.name[len(CONTEXT_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not psutil.pid_exists(int(pid)):
            path.unlink(missing_ok=True)


def _owner_alive(path: Path) -> bool:
    try:
        pid = int((path / _OWNER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return pid != os.getpid() and psutil.pid_exists(pid)
