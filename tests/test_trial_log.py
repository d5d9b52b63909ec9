from __future__ import annotations

import numpy as np

from automl.leaderboard import build_leaderboard
from automl.trials.evaluate import TrialResult
from automl.trials.trial_log import Trial, TrialLog, read_log


def _trial(number, status="ok", score=None, source="tpe"):
    config = {"model": "lightgbm", "model.mlp.hidden_layer_sizes": (64, 64),
              "x": np.float64(0.5)}
    return Trial(number, config, source, TrialResult(status, score=score, error=None
                                                    if status == "ok" else "boom"),
                 float(number), number + 0.5)


def test_each_trial_is_on_disk_as_soon_as_it_is_appended(tmp_path):
    log = TrialLog(tmp_path / "run" / "trials.jsonl")
    log.append(_trial(0, score=0.7))
    assert [r["trial"] for r in read_log(log.path)] == [0]
    log.append(_trial(1, status="timeout"))
    records = read_log(log.path)
    assert records[1]["status"] == "timeout" and records[1]["score"] is None
    assert records[0]["config"]["model.mlp.hidden_layer_sizes"] == [64, 64]


def test_ranking_and_leaderboard_order(tmp_path):
    log = TrialLog(tmp_path / "trials.jsonl")
    for trial in [_trial(0, score=0.5), _trial(1, "failed"), _trial(2, score=0.9),
                  _trial(3, score=0.9)]:
        log.append(trial)
    assert [t.trial for t in log.ranked()] == [2, 3, 0]
    assert log.best().trial == 2
    assert list(build_leaderboard(log)["trial"]) == [2, 3, 0, 1]


def test_a_preview_is_never_ranked_and_comes_after_the_trials(tmp_path):
    log = TrialLog(tmp_path / "trials.jsonl")
    for trial in [_trial(0, score=0.99, source="preview"), _trial(1, score=0.5),
                  _trial(2, "timeout"), _trial(3, score=0.7)]:
        log.append(trial)
    assert [t.trial for t in log.ranked()] == [3, 1]
    assert log.best().trial == 3
    assert list(build_leaderboard(log)["trial"]) == [3, 1, 0, 2]
