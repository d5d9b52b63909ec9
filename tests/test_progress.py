import io
import json
import sys
import threading
import time

from automl.progress import TrialLogProgress


def _append(path, **record):
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")


def test_bar_counts_trials_and_keeps_the_best_in_metric_units(tmp_path, monkeypatch):
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    old = tmp_path / "trials.jsonl"  # an earlier run's log in the same folder is not read
    _append(old, trial=0, status="ok", score=-0.01)
    past = time.time() - 60
    import os
    os.utime(old, (past, past))
    log = tmp_path / "trials-2.jsonl"

    def run_trials():
        log.touch()
        _append(log, trial=0, status="ok", score=-0.40)
        # the preview, scored on a row sample, is neither a trial nor ranked against them
        _append(log, trial=3, status="ok", score=-0.01, source="preview")
        time.sleep(0.3)
        _append(log, trial=1, status="failed", score=None)
        with log.open("a", encoding="utf-8") as handle:  # a line still being written
            handle.write('{"trial": 2, "status": "ok", "sco')
        time.sleep(0.7)
        with log.open("a", encoding="utf-8") as handle:
            handle.write('re": -0.25}\n')

    with TrialLogProgress(tmp_path, budget=5, metric="log_loss", sign=-1.0) as progress:
        writer = threading.Thread(target=run_trials)
        writer.start()
        writer.join()
        time.sleep(0.6)
    assert progress.trials == 3
    assert progress.best == -0.25
    assert "trials 3, best log_loss 0.25" in stderr.getvalue()


def test_disabled_bar_writes_nothing(tmp_path, monkeypatch):
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    with TrialLogProgress(tmp_path, budget=1, metric="rmse", disable=True):
        _append(tmp_path / "trials.jsonl", trial=0, status="ok", score=-3.0)
    assert stderr.getvalue() == ""
