"""Scoring the leaders again on new draws of the folds: which, when, and in a real search."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from automl.base.clock import Clock
from automl.fitting import initial_configs
from automl.search.loop import SearchSettings, run_search
from automl.search.repeats import Repeats
from automl.trials.budget import MAX_SPLITS, REPEAT_LEADERS, plan_budget
from automl.trials.evaluate import TrialResult
from automl.trials.prediction_store import PredictionStore
from automl.trials.runner import WorkerPool
from automl.trials.trial_log import TrialLog

from conftest import context_of, toy_resampling


def _store(tmp_path, scores, rows=100):
    store = PredictionStore(20, tmp_path / "oof")
    for trial, score in enumerate(scores):
        store.add(trial, score, np.full((rows, 2), 0.5))
    return store


def _ok(rows=100):
    return TrialResult("ok", score=0.5, predictions=np.full((rows, 2), 0.5))


def test_nothing_is_drawn_again_before_its_time_or_under_a_holdout(tmp_path):
    store = _store(tmp_path, [0.9, 0.8])
    never = Repeats.for_search(None, toy_resampling())
    holdout = Repeats.for_search(0.0, toy_resampling("holdout"))
    later = Repeats.for_search(30.0, toy_resampling())
    for _ in range(4):
        assert never.next(store, 100.0) is None and holdout.next(store, 100.0) is None
        assert later.next(store, 29.0) is None


def test_every_second_turn_draws_the_least_drawn_leader_up_to_the_cap(tmp_path):
    store = _store(tmp_path, [0.9, 0.8, 0.7])
    repeats = Repeats(0.0)
    drawn = []
    for _ in range(40):
        turn = repeats.next(store, 1.0)
        if turn is not None:
            drawn.append(turn)
            repeats.finished(turn[0], _ok(), store)
    assert drawn[:4] == [(0, 1), (1, 1), (2, 1), (0, 2)]  # breadth first, best first
    assert len(drawn) == 3 * (MAX_SPLITS - 1)  # then nothing is left to draw
    assert [store.n_splits(trial) for trial in range(3)] == [MAX_SPLITS] * 3
    assert repeats.scores == {trial: [0.5] * (MAX_SPLITS - 1) for trial in range(3)}


def test_draws_in_flight_count_and_only_the_leaders_are_drawn(tmp_path):
    store = _store(tmp_path, [1.0 - trial / 100 for trial in range(REPEAT_LEADERS + 3)])
    repeats = Repeats(0.0)
    turns = [repeats.next(store, 1.0) for _ in range(2 * REPEAT_LEADERS + 2)]
    drawn = [turn for turn in turns if turn is not None]
    # none finished: each leader gets its draw 1, then the best its draw 2
    assert drawn == [(trial, 1) for trial in range(REPEAT_LEADERS)] + [(0, 2)]


def test_a_leader_whose_draw_failed_is_not_drawn_again(tmp_path):
    store = _store(tmp_path, [0.9, 0.8])
    repeats = Repeats(0.0)
    repeats.next(store, 1.0)
    assert repeats.next(store, 1.0) == (0, 1)
    repeats.finished(0, TrialResult("timeout", error="killed"), store)
    drawn = {turn[0] for turn in (repeats.next(store, 1.0) for _ in range(20)) if turn}
    assert drawn == {1} and store.n_splits(0) == 1 and 0 not in repeats.scores


def test_no_draws_when_they_would_not_fit_in_the_stores_memory(tmp_path):
    store = _store(tmp_path, [0.9, 0.8], rows=10_000)
    store.memory_bytes = store.nbytes(0) * MAX_SPLITS * REPEAT_LEADERS - 1
    repeats = Repeats(0.0)
    assert all(repeats.next(store, 1.0) is None for _ in range(6))


def test_a_search_past_the_start_scores_its_leaders_on_new_draws(penguins, tmp_path):
    """A real search with draws due from the start: leaders get predictions on other folds,
    scored near their first draw's score, and never on the first draw's folds again."""
    frame = penguins.dropna(subset=["sex"])
    context, space = context_of(frame.drop(columns="sex"), frame["sex"])
    pool = WorkerPool(context, 2, 1, 4000)
    settings = SearchSettings(max_trials=10, initial_configs=tuple(initial_configs(space, ())))
    plan = replace(plan_budget(120), repeats_after_seconds=0.0)
    try:
        search = run_search(space, pool, Clock(120), settings, plan, context.resampling,
                            TrialLog(tmp_path / "trials.jsonl"))
    finally:
        pool.close()
    store, by_number = search.store, {trial.trial: trial for trial in search.log.trials}
    try:
        assert search.split_scores and len(search.log.trials) == 10  # draws are not trials
        for trial, scores in search.split_scores.items():
            assert store.n_splits(trial) == 1 + len(scores)
            first, *others = store.splits(trial, store.n_splits(trial))
            assert all(not np.allclose(first, other) for other in others)  # other folds
            assert np.allclose(scores, by_number[trial].result.score, atol=0.1)  # ROC AUC
    finally:
        store.clear()

