import io
import sys
import threading
import time

import pytest

import automl
from automl.base.exceptions import InputError
from automl.base.metrics import get_metric
from automl.leaderboard import trials_only
from automl.progress import FitProgress, display_mode
from automl.trials.evaluate import TrialResult
from automl.trials.trial_log import Trial, TrialLog

LOG_LOSS = get_metric("log_loss", "multiclass")


def _trial(number, status="ok", loss=None, source="tpe"):
    score = None if loss is None else -loss  # the search's form
    return Trial(number, {"model": "lightgbm"}, source, TrialResult(status, score=score),
                 0.0, 1.0)


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _run_trials(log):
    log.append(_trial(0, loss=0.40))
    # the preview, scored on a row sample, is neither a trial nor ranked against them
    log.append(_trial(3, loss=0.01, source="preview"))
    time.sleep(0.3)
    log.append(_trial(1, "failed"))
    time.sleep(0.6)
    log.append(_trial(2, loss=0.25))


@pytest.mark.parametrize("mode", ["bar", "lines"])
def test_progress_counts_trials_and_keeps_the_best_in_metric_units(tmp_path, monkeypatch, mode):
    stderr = _Terminal() if mode == "bar" else io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    log = TrialLog(tmp_path / "trials.jsonl", LOG_LOSS.sign)
    with FitProgress(budget=5, mode=mode) as progress:
        progress.watch(log, LOG_LOSS)
        writer = threading.Thread(target=_run_trials, args=(log,))
        writer.start()
        writer.join()
        time.sleep(0.6)
    assert progress.trials == 3 and progress.best == pytest.approx(0.25)
    shown = stderr.getvalue()
    assert "trials 3, best log_loss 0.25" in shown
    if mode == "bar":
        assert "\r" in shown and "lower is better" in shown  # tqdm redraws in place
    else:  # a file or a CI log: whole lines, no carriage returns
        assert "\r" not in shown
        lines = shown.splitlines()
        assert lines and all(line.startswith("automl: ") for line in lines)
        assert lines[-1].endswith("(lower is better)")


def test_lines_come_every_few_seconds_not_every_poll(tmp_path, monkeypatch):
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    monkeypatch.setattr("automl.progress.LINE_SECONDS", 1.0)
    with FitProgress(budget=10, mode="lines") as progress:
        progress.watch(TrialLog(tmp_path / "t.jsonl", LOG_LOSS.sign), LOG_LOSS)
        time.sleep(2.3)
    assert 2 <= len(stderr.getvalue().splitlines()) <= 4  # two timed lines and the last


def _one_trial_shown(monkeypatch, tmp_path, mode, loss, wait=0.0) -> str:
    """What a terminal shows of a fit in ``mode`` whose one trial scored ``loss``."""
    stderr = _Terminal()
    monkeypatch.setattr(sys, "stderr", stderr)
    log = TrialLog(tmp_path / "t.jsonl", LOG_LOSS.sign)
    with FitProgress(budget=5, mode=mode) as progress:
        progress.watch(log, LOG_LOSS)
        log.append(_trial(0, loss=loss))
        time.sleep(wait)
    return stderr.getvalue()


def test_off_writes_nothing(tmp_path, monkeypatch):
    assert _one_trial_shown(monkeypatch, tmp_path, "off", 3.0, wait=0.6) == ""


def test_display_mode_follows_where_stderr_goes(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a file, a pipe, a CI log
    assert [display_mode(value) for value in (None, True, False)] == ["off", "lines", "off"]
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert [display_mode(value) for value in (None, True, False)] == ["bar", "bar", "off"]


def test_fit_shows_its_progress_when_asked(penguins, capsys):
    frame = penguins.dropna(subset=["species"])
    model = automl.fit(frame.drop(columns="species"), frame["species"], time_budget=20,
                       random_state=0, max_trials=2, progress=True)
    lines = capsys.readouterr().err.splitlines()  # pytest's stderr is no terminal: lines
    assert lines[-1].startswith("automl: ") and "trials 2, best log_loss " in lines[-1]
    trials = trials_only(model.leaderboard_)
    assert f"best log_loss {trials['score'].min():.4g}," in lines[-1]


def test_fit_is_silent_where_nobody_watches_and_refuses_a_bad_progress(penguins, capsys):
    frame = penguins.dropna(subset=["species"])
    automl.fit(frame.drop(columns="species"), frame["species"], time_budget=20,
               random_state=0, max_trials=1)
    assert "automl: " not in capsys.readouterr().err
    with pytest.raises(InputError, match="progress must be True, False or None.*'yes'"):
        automl.AutoMLClassifier(progress="yes").fit(frame.drop(columns="species"),
                                                    frame["species"])


def test_a_notebook_kernel_gets_the_bar_though_its_stderr_is_no_terminal(monkeypatch):
    import types

    class ZMQInteractiveShell:  # the class Jupyter's kernel runs user code in
        pass

    ipython = types.ModuleType("IPython")
    ipython.get_ipython = ZMQInteractiveShell
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    assert display_mode(None) == "bar"


def test_a_fit_quicker_than_one_poll_still_shows_its_last_state(tmp_path, monkeypatch):
    shown = _one_trial_shown(monkeypatch, tmp_path, "bar", 0.3)
    assert "trials 1, best log_loss 0.3 (lower is better)" in shown
