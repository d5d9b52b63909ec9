"""The budget plan: how a fit shares its budget, and the refit estimates it keeps time by."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from automl.trials.budget import (CHECK_ROWS, estimated_refit_seconds, incumbent_refit_seconds,
                                  makespan, plan_budget, refits_seconds)
from automl.trials.evaluate import Resampling, TrialResult
from automl.trials.model_size import Handover
from automl.trials.trial_log import Trial, TrialLog

from conftest import toy_resampling


def _trial(number, fit_seconds, score=0.8, handover=Handover(), predict_seconds=0.0):
    return Trial(number, {"model": "lightgbm"}, "tpe",
                 TrialResult("ok", score=score, fit_seconds=fit_seconds, handover=handover,
                             predict_seconds=predict_seconds), 0.0, 1.0)


def test_the_plan_shares_the_budget():
    plan = plan_budget(60)
    assert plan.trial_seconds == 15 and plan.warm_trial_seconds == 10
    assert plan.end_margin_seconds == pytest.approx(0.5)
    assert plan.selection_seconds == pytest.approx(3.25)
    assert plan.fold_models_min_seconds == pytest.approx(0.6)
    assert plan.defaults_after_seconds == 20 and plan.defaults_after_trials is None
    short = plan_budget(12, per_trial_time_limit=None)
    assert short.trial_seconds == 10 and short.warm_trial_seconds == 2  # at least 10 s a trial
    assert short.defaults_after_seconds == 10
    assert plan_budget(60, per_trial_time_limit=5).warm_trial_seconds == 5
    # the deterministic mode counts trials, never seconds
    counted = plan_budget(60, max_trials=10, deterministic=True)
    assert counted.defaults_after_trials == 4 and counted.defaults_after_seconds is None


def test_refit_estimate_scales_fold_time_to_all_rows():
    cv = estimated_refit_seconds(_trial(0, 8.0), toy_resampling("cv"))
    holdout = estimated_refit_seconds(_trial(0, 8.0), toy_resampling("holdout"))
    assert cv == pytest.approx(8.0 / 4 * 1.3 + 0.3)  # five folds of 4/5 of the rows
    assert holdout == pytest.approx(8.0 * 1.25 * 1.3 + 0.3)


def test_refit_estimate_counts_the_check_at_the_trials_predict_speed():
    trial = _trial(0, 0.0, predict_seconds=4.0)
    small = toy_resampling("cv")  # 100 validated rows: the check predicts all of them
    assert estimated_refit_seconds(trial, small) == pytest.approx(4.0 + 0.3)
    rows = 10 * CHECK_ROWS
    large = Resampling("holdout", ((np.arange(rows), np.arange(rows, 2 * rows)),))
    assert estimated_refit_seconds(trial, large) == pytest.approx(0.4 + 0.3)


def test_the_refit_estimate_counts_the_models_handover():
    trial = _trial(0, 8.0, handover=Handover(1.0, 2.0))
    # the last fold's model, grown by all rows over its 80 training rows
    assert estimated_refit_seconds(trial, toy_resampling("cv")) == pytest.approx(
        8.0 / 4 * 1.3 + 0.3 + 3.0 * 100 / 80)


def test_the_incumbents_refit_is_kept_back_with_a_buffer(tmp_path):
    log = TrialLog(tmp_path / "t.jsonl")
    assert incumbent_refit_seconds(log, toy_resampling()) == 0.0
    log.append(_trial(0, 2.0, score=0.7))
    log.append(_trial(1, 4.0, score=0.9))
    assert incumbent_refit_seconds(log, toy_resampling()) == pytest.approx(4.0 / 4 * 1.3 + 0.3
                                                                        + 0.5)


def test_selection_gives_way_to_the_refits():
    plan = replace(plan_budget(60), end_margin_seconds=0.5)
    # on time: its share of the budget (0.25 s + 5 %)
    assert plan.selection_deadline(50.0, 3.0) == pytest.approx(53.25)
    # the search overran: selection gets what the refits leave
    assert plan.selection_deadline(55.0, 2.0) == pytest.approx(57.5)
    # ... but at least half of the time left, when the refits cannot all fit anyway
    assert plan.selection_deadline(55.0, 20.0) == pytest.approx(57.25)


def test_only_the_longest_load_comes_after_the_refits():
    # refits of 1.6 and 2.9 s (fold time / 4 x 1.3 + 0.3) and loads of 4 x 1.25 and 2 x 1.25 s
    # (each model grows with the rows): one load overlaps the other refit
    trials = [_trial(0, 4.0, 0.9, Handover(1.0, 4.0)), _trial(1, 8.0, 0.8, Handover(0.0, 2.0))]
    assert refits_seconds(trials, toy_resampling(), 1) == pytest.approx(1.6 + 1.25 + 2.9 + 5.0)
    assert refits_seconds(trials, toy_resampling(), 2) == pytest.approx(2.9 + 5.0)
    assert refits_seconds([], toy_resampling(), 2) == 0.0


def test_makespan_uses_every_worker():
    assert makespan([3.0, 2.0, 2.0, 1.0], 1) == 8.0
    assert makespan([3.0, 2.0, 2.0, 1.0], 2) == 4.0
    assert makespan([], 4) == 0.0


def test_what_the_search_keeps_back_covers_selection_and_is_bounded(tmp_path):
    log = TrialLog(tmp_path / "t.jsonl")
    plan = plan_budget(60)
    assert plan.kept_back_seconds(log, toy_resampling()) == pytest.approx(
        plan.end_margin_seconds + plan.selection_seconds)
    for number in range(6):
        log.append(_trial(number, 400.0, 0.5 + number / 100))
    incumbent = incumbent_refit_seconds(log, toy_resampling())
    assert plan.extra_refit_seconds(log, toy_resampling()) == pytest.approx(6.0)  # 10 % of 60 s
    assert plan.kept_back_seconds(log, toy_resampling()) == pytest.approx(
        plan.end_margin_seconds + incumbent + plan.selection_seconds + 6.0)
    assert plan.refit_seconds(log, toy_resampling()) == pytest.approx(incumbent + 6.0)
    alone = replace(plan, ensemble=False)  # no ensemble: the best trial's refit alone
    assert alone.refit_seconds(log, toy_resampling()) == pytest.approx(incumbent)
    assert alone.kept_back_seconds(log, toy_resampling()) == pytest.approx(
        plan.end_margin_seconds + incumbent)


def test_the_leaders_are_drawn_again_only_in_long_searches_and_never_by_the_clock_alone():
    assert plan_budget(300).repeats_after_seconds == pytest.approx(120)  # 0.4 of the budget
    assert plan_budget(60).repeats_after_seconds == 60  # a 60 s search never reaches it
    assert plan_budget(300, max_trials=50, deterministic=True).repeats_after_seconds is None
