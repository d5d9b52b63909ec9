"""The bounded run folders and the leftovers of killed runs (``automl.trials.run_dirs``)."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from automl.trials import run_dirs


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _run(root: Path, name: str, mtime: float, owner: int | None) -> Path:
    path = root / name
    path.mkdir()
    if owner is not None:
        (path / "owner.pid").write_text(str(owner))
    os.utime(path, (mtime, mtime))
    return path


def test_only_the_newest_runs_are_kept_and_a_live_ones_never_removed(tmp_path):
    dead, alive = _dead_pid(), os.getppid()  # pytest's parent outlives this test
    runs = [_run(tmp_path, f"run-{i}", 1000.0 + i, dead) for i in range(5)]
    live_old = _run(tmp_path, "run-live", 10.0, alive)
    run_dirs.prune_runs(tmp_path, keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run-3", "run-4", "run-live"]
    assert not runs[0].exists() and live_old.exists()


def test_a_new_run_folder_is_owned_by_this_process(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    path = run_dirs.new_run_dir()
    assert path.parent == tmp_path / "automl-runs" and path.is_dir()
    assert (path / "owner.pid").read_text() == str(os.getpid())


def test_context_files_of_dead_processes_are_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    orphan = tmp_path / f"{run_dirs.CONTEXT_PREFIX}{_dead_pid()}-abc.pkl"
    ours = tmp_path / f"{run_dirs.context_prefix()}def.pkl"
    for path in (orphan, ours):
        path.write_bytes(b"x")
    run_dirs.remove_orphaned_contexts()
    assert not orphan.exists() and ours.exists()
