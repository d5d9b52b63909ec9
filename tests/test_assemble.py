"""Building the final model from a real search: the ensemble, its degradation and fallback."""

from __future__ import annotations

import logging
import shutil
import warnings
from dataclasses import replace

import numpy as np
import pytest
from sklearn.pipeline import Pipeline

import automl
from automl.base.clock import Clock
from automl.final.assemble import (EnsembleSettings, FinalModel, _add_fold_models, _affordable,
                                   assemble_final_model, on_shared_draws,
                                   unless_the_prior_scores_higher)
from automl.final.ensemble import FoldAverage, WeightedEnsemble
from automl.final.refit import RefitModels
from automl.fitting import initial_configs
from automl.leaderboard import trials_only
from automl.search.loop import SearchSettings, run_search
from automl.trials.budget import incumbent_refit_seconds, plan_budget
from automl.trials.evaluate import TrialResult, prior_score
from automl.trials.model_size import Handover
from automl.trials.prediction_store import PredictionStore
from automl.trials.runner import WorkerPool
from automl.trials.search_result import SearchResult
from automl.trials.trial_log import Trial, TrialLog

from conftest import FAULTY_COMPONENTS, context_of, toy_resampling


def _data(penguins):
    frame = penguins.dropna(subset=["sex"])
    return frame.drop(columns="sex"), frame["sex"]


@pytest.fixture()
def searched(penguins, tmp_path):
    """Six real trials on penguins, every prediction spilled to disk, and the live pool."""
    X, y = _data(penguins)
    context, space = context_of(X, y, task="classification")
    pool = WorkerPool(context, 1, 2, 4000)
    log = TrialLog(tmp_path / "trials.jsonl")
    settings = SearchSettings(max_trials=6, initial_configs=tuple(initial_configs(space, ())),
                              predictions_memory_bytes=0)
    clock = Clock(120)
    try:
        plan = replace(plan_budget(120), fold_models_min_seconds=0.0)  # every trial keeps them
        search = run_search(space, pool, clock, settings, plan, context.resampling, log)
        store = search.store
        assert list(search.early_models) == [log.trials[0].trial]  # the first's last fold's
        yield log, store, RefitModels(store.spill_dir), pool, clock, context
    finally:
        pool.close()


def _assemble(log, store, models, pool, clock, context):
    """The final model of a search, with an end margin of 0.5 s."""
    plan = replace(plan_budget(clock.budget_seconds), end_margin_seconds=0.5)
    return assemble_final_model(SearchResult(log, store), models, pool, clock, context, plan,
                                EnsembleSettings())


def test_real_search_gives_an_ensemble_never_worse_than_its_best_member(searched):
    log, store, models, pool, clock, context = searched
    assert len(store.trials) == sum(t.ok for t in log.trials) >= 4
    final = _assemble(log, store, models, pool, clock, context)
    assert sum(final.weights.values()) == pytest.approx(1.0)
    assert log.best().trial in final.weights
    assert final.chosen is log.best()
    X = context.dataset.X
    proba = final.model.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(axis=1), 1)
    if len(final.weights) > 1:
        assert isinstance(final.model, WeightedEnsemble)
        assert final.ensemble_score >= log.best().result.score


class _BusyClock(Clock):
    """A clock on a crowded machine: every reading costs ``step`` seconds."""

    def __init__(self, budget_seconds: float, elapsed: float, step: float) -> None:
        self._elapsed, self._step = elapsed, step
        super().__init__(budget_seconds, now=self._tick)
        self._start = 0.0

    def _tick(self) -> float:
        self._elapsed += self._step
        return self._elapsed


def test_a_search_that_ran_into_the_refit_time_shortens_selection_not_the_refits(searched):
    log, store, models, pool, _, context = searched
    best = log.best()
    refit = incumbent_refit_seconds(log, context.resampling)  # the best trial's, with a buffer
    # Left: the end margin, the best trial's refit and a second more; selection's share of a
    # 100 s budget is 5.25 s, and every clock reading costs 20 ms (a round of selection is
    # one reading, so the full share would run it and its check to the end of the budget).
    clock = _BusyClock(100.0, 100.0 - 0.5 - refit - 1.0, 0.02)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "no better trial could be refit" warning
        final = _assemble(log, store, models, pool, clock, context)
    assert best.trial in final.weights and best.trial in models  # refit on all rows
    assert clock.remaining() > 0


def test_lost_predictions_fall_back_to_the_best_single_pipeline(searched):
    log, store, models, pool, clock, context = searched
    shutil.rmtree(store.spill_dir)  # e.g. a temp-folder cleaner ran during the search
    with pytest.warns(UserWarning, match="building the ensemble failed"):
        final = _assemble(log, store, models, pool, clock, context)
    assert final.weights == {log.best().trial: 1.0} and final.chosen is log.best()
    assert isinstance(final.model, Pipeline)


def test_members_whose_refit_fails_use_their_fold_models(penguins, caplog):
    X, y = _data(penguins)
    with caplog.at_level(logging.INFO, logger="automl.final.assemble"):
        model = automl.fit(X, y, time_budget=60, random_state=0, max_trials=8,
                           include_models=["refit_raiser", "lightgbm", "logistic_regression"],
                           extra_components=[FAULTY_COMPONENTS],
                           initial_configs=[{"model": "refit_raiser"}])
    board = model.leaderboard_
    raisers = board[board["model"] == "refit_raiser"]
    assert (raisers["status"] == "ok").all() and len(raisers) >= 1
    members = model.ensemble_
    assert "refit_raiser" in set(members["model"])  # selected, and kept as its fold models
    assert (members["fitted_on"] == np.where(members["model"] == "refit_raiser", "folds",
                                             "all rows")).all()
    assert "uses its fold models" in caplog.text
    on_folds = [m for m in model.model_.members if isinstance(m, FoldAverage)]
    assert len(on_folds) == (members["model"] == "refit_raiser").sum()
    assert all(len(fold.members) == 5 for fold in on_folds)  # five-fold cross-validation
    assert model.predict_proba(X).shape == (len(X), 2)


def test_with_no_time_for_refits_the_final_model_is_fold_models(searched):
    log, store, models, pool, _, context = searched
    assert all(store.has_fold_models(trial) for trial in store.trials)
    clock = _BusyClock(100.0, 100.0 - 0.5 - 0.2, 0.0)  # 0.2 s before the end margin
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the single path warns that nothing was refit
        final = _assemble(log, store, models, pool, clock, context)
    assert not models  # nothing was refit on all rows
    assert set(final.fitted_on.values()) == {"folds"} and set(final.fitted_on) == set(
        final.weights) and log.best().trial in final.weights
    members = final.model.members if len(final.weights) > 1 else [final.model]
    assert all(isinstance(member, FoldAverage) for member in members)
    proba = final.model.predict_proba(context.dataset.X)
    assert np.allclose(proba.sum(axis=1), 1)


def test_members_without_fold_models_are_left_out(searched):
    log, store, models, pool, clock, context = searched
    first, second = store.trials[:2]
    store._entries[1].fold_models.unlink()  # e.g. too large to keep
    loaded = {}
    _add_fold_models(loaded, [first, second], store, models, context.dataset.n_classes)
    assert list(loaded) == [first] and isinstance(loaded[first], FoldAverage)


def test_ensemble_off_gives_one_pipeline(penguins):
    X, y = _data(penguins)
    model = automl.fit(X, y, time_budget=30, random_state=0, max_trials=4, ensemble=False)
    assert isinstance(model.model_, Pipeline)
    assert list(model.leaderboard_["ensemble_weight"]) == [1.0, 0.0, 0.0, 0.0]
    assert len(model.ensemble_) == 1 and model.ensemble_score_ is None
    assert model.ensemble_.loc[0, "trial"] == model.leaderboard_.loc[0, "trial"]


def test_ensemble_attributes_agree_with_the_leaderboard(penguins):
    X, y = _data(penguins)
    model = automl.fit(X, y, time_budget=40, random_state=0, max_trials=8, ensemble_size=10)
    weights = trials_only(model.leaderboard_).set_index("trial")["ensemble_weight"]
    assert weights.sum() == pytest.approx(1.0)
    members = model.ensemble_.set_index("trial")["weight"]
    assert (weights[weights > 0].sort_index() == members.sort_index()).all()
    assert model.higher_is_better_  # ROC AUC: the best is the largest
    assert model.best_score_ == trials_only(model.leaderboard_)["score"].max()
    if len(members) > 1:
        assert model.ensemble_score_ >= model.best_score_
        # counts over at most ten rounds (the best prefix may be shorter): weights are k/n
        assert any(np.allclose(members * n, np.round(members * n)) for n in range(2, 11))


def _trial(number, fit_seconds, score, handover=Handover()):
    return Trial(number, {"model": "lightgbm"}, "tpe",
                 TrialResult("ok", score=score, fit_seconds=fit_seconds, handover=handover),
                 0.0, 1.0)


def test_short_time_drops_the_least_used_members_first(tmp_path):
    trials = {0: _trial(0, 4.0, 0.9), 1: _trial(1, 40.0, 0.8), 2: _trial(2, 8.0, 0.7)}
    selected = {0: 5, 1: 1, 2: 2}
    # refit estimates: 1.3, 10.3 and 2.3 s (fold time / 4 + 0.3: no safety margin here)
    assert _affordable(selected, trials, {}, toy_resampling(), 100.0, 1) == selected
    assert _affordable(selected, trials, {}, toy_resampling(), 10.0, 1) == {0: 5, 2: 2}
    assert _affordable(selected, trials, {}, toy_resampling(), 2.0, 1) == {0: 5}
    fitted = RefitModels(tmp_path)
    fitted.add(0, tmp_path / "trial-0-refit.pkl")
    assert _affordable(selected, trials, fitted, toy_resampling(), 0.5, 1) == {0: 5}


def test_a_member_that_can_never_fit_goes_before_cheaper_less_used_ones():
    trials = {0: _trial(0, 4.0, 0.9), 1: _trial(1, 40.0, 0.8), 2: _trial(2, 8.0, 0.7)}
    # the heavy member is used most, but its 10.3 s refit alone does not fit in 6 s
    assert _affordable({0: 2, 1: 7, 2: 1}, trials, {}, toy_resampling(), 6.0, 1) == {0: 2, 2: 1}


def test_a_kept_first_trial_that_was_not_refit_replaces_weaker_survivors(tmp_path):
    import cloudpickle
    from sklearn.dummy import DummyClassifier

    from automl.final.assemble import FinalModel, _or_kept_member
    first, second = _trial(0, 1.0, 0.9), _trial(1, 1.0, 0.6)
    kept = DummyClassifier(strategy="constant", constant=1).fit([[0], [1]], [0, 1])
    early = {0: cloudpickle.dumps(kept)}
    survivors = FinalModel("blend of 1 and 2", {1: 0.5, 2: 0.5}, second, 0.65)
    with pytest.warns(UserWarning, match="trial 0 as fitted on its validation split's"):
        final = _or_kept_member(survivors, 0.65, [(first, 0.8)], early)
    assert final.weights == {0: 1.0} and final.chosen is first
    assert final.model.predict([[0]]).tolist() == [1]
    # the score on the blend's rows (0.6) decides, not the one the trial carries (0.9)
    assert _or_kept_member(survivors, 0.65, [(first, 0.6)], early) is survivors
    # a member that was not refit and has no kept pipeline changes nothing
    assert _or_kept_member(survivors, 0.65, [(second, 0.9)], early) is survivors
    assert _or_kept_member(survivors, 0.65, [], early) is survivors


def test_a_final_model_worse_than_the_training_prior_gives_way_to_it(penguins):
    X, y = _data(penguins)
    context, _ = context_of(X, y, task="classification", metric="log_loss")
    dataset = context.dataset
    prior = prior_score(context)  # about -0.69: the sexes are near even
    worse = FinalModel("a pipeline", {3: 1.0}, _trial(3, 1.0, prior - 0.5))
    with pytest.warns(UserWarning, match=rf"log_loss {-prior:.4g} against {0.5 - prior:.4g} "
                                         r"for trial 3, the best\): the final model predicts"):
        final = unless_the_prior_scores_higher(worse, context)
    assert final.chosen is None and final.weights == {} and final.ensemble_score is None
    shares = np.bincount(dataset.y) / dataset.n_rows
    assert np.allclose(final.model.predict_proba(X), shares)
    better = FinalModel("a pipeline", {3: 1.0}, _trial(3, 1.0, prior + 0.1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert unless_the_prior_scores_higher(better, context) is better
        assert unless_the_prior_scores_higher(final, context) is final
        tie = FinalModel("a pipeline", {3: 1.0}, _trial(3, 1.0, prior * (1 + 1e-9)))
        assert unless_the_prior_scores_higher(tie, context) is tie  # the same up to rounding
    # the blend's score decides, not its best member's
    blend = FinalModel("a blend", {3: 0.5, 4: 0.5}, _trial(3, 1.0, prior - 0.05), prior - 0.01)
    with pytest.warns(UserWarning, match="for the ensemble, the best"):
        assert unless_the_prior_scores_higher(blend, context).chosen is None


def test_the_prior_for_absolute_error_predicts_the_median(penguins):
    frame = penguins.dropna(subset=["body_mass_g"])
    X, y = frame.drop(columns="body_mass_g"), frame["body_mass_g"]
    context, _ = context_of(X, y, task="regression", metric="mae")
    dataset = context.dataset
    worse = FinalModel("a pipeline", {3: 1.0}, _trial(3, 1.0, prior_score(context) - 50.0))
    with pytest.warns(UserWarning, match="the final model predicts the prior"):
        final = unless_the_prior_scores_higher(worse, context)
    assert np.allclose(final.model.predict(X), np.median(dataset.y))


def test_selection_runs_on_the_draws_the_kept_trials_share(penguins, tmp_path):
    """Five kept trials drawn three times, one drawn once: selection sees the five, each on
    its three draws' rows one after another, and the single best is ranked on them."""
    context, _ = context_of(*_data(penguins))
    n_rows, rng = context.dataset.n_rows, np.random.default_rng(0)
    store = PredictionStore(20, tmp_path / "oof")
    log = TrialLog(tmp_path / "trials.jsonl")
    for number in range(6):
        log.append(_trial(number, 0.1, 0.5 + number / 100))  # trial 5 best on its first draw
        store.add(number, 0.5 + number / 100, rng.dirichlet([1, 1], size=n_rows))
    for number in range(5):
        for _ in range(2):
            store.add_split(number, rng.dirichlet([1, 1], size=n_rows))
    draws = on_shared_draws(SearchResult(log, store), context)
    assert draws.n == 3 and [trial.trial for trial in draws.candidates] == [4, 3, 2, 1, 0]
    np.testing.assert_array_equal(draws.y, np.tile(context.dataset.y, 3))
    assert all(len(p) == 3 * n_rows for p in draws.predictions)
    for trial, predictions in zip(draws.candidates, draws.predictions):
        assert draws.scores[trial.trial] == pytest.approx(
            context.metric.score(draws.y, predictions, 2))
    ranked = [trial.trial for trial in draws.ranked(log)]
    assert ranked[-1] == 5 and sorted(ranked[:5]) == [0, 1, 2, 3, 4]
    assert [draws.scores[n] for n in ranked[:5]] == sorted(draws.scores.values(), reverse=True)


def test_with_one_draw_selection_runs_on_the_first_draws_scores(penguins, tmp_path):
    context, _ = context_of(*_data(penguins))
    store = PredictionStore(20, tmp_path / "oof")
    log = TrialLog(tmp_path / "trials.jsonl")
    for number in range(3):
        log.append(_trial(number, 0.1, 0.5 + number / 100))
        store.add(number, 0.5 + number / 100, np.full((context.dataset.n_rows, 2), 0.5))
    draws = on_shared_draws(SearchResult(log, store), context)
    assert draws.n == 1 and draws.scores == {2: 0.52, 1: 0.51, 0: 0.5}
    assert [trial.trial for trial in draws.ranked(log)] == [2, 1, 0]
