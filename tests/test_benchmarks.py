"""The benchmark scripts refuse bad options before any work, naming the option and value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "run_warmstart.py"


@pytest.mark.parametrize("options, message", [
    (["--jobs", "0"], "--jobs must be from 1 to the"),
    (["--jobs", str(len(os.sched_getaffinity(0)) + 1)], "--jobs must be from 1 to the"),
    (["--stop-after", "-5"], "--stop-after must be a positive number of seconds, got -5.0"),
])
def test_run_warmstart_refuses_bad_options(options, message):
    if not SCRIPT.exists():
        pytest.skip("benchmarks/ is not shipped in the wheel")
    done = subprocess.run([sys.executable, str(SCRIPT), *options], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and message in done.stderr
