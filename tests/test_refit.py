from __future__ import annotations

import logging
import re
import time

import numpy as np
import pytest

from automl.base.clock import Clock
from automl.final.refit import RefitModels, refit_in_workers
from automl.trials.evaluate import TrialResult
from automl.trials.model_size import Handover
from automl.trials.runner import WorkerPool
from automl.trials.trial_log import Trial, TrialLog

from conftest import boosting, evaluation_context, toy_resampling


def _trial(number, fit_seconds, score=0.8, source="tpe"):
    return Trial(number, {"model": "lightgbm"}, source,
                 TrialResult("ok", score=score, fit_seconds=fit_seconds), 0.0, 1.0)



def test_with_no_time_to_refit_the_first_trials_fold_model_is_the_last_resort(tmp_path):
    import types

    import cloudpickle
    from sklearn.dummy import DummyClassifier

    from automl.final.refit import final_model
    log = TrialLog(tmp_path / "t.jsonl")
    log.append(_trial(0, 50.0, score=0.7))
    log.append(_trial(1, 80.0, score=0.9))  # better, but neither refits in 1 s
    fold_model = DummyClassifier(strategy="constant", constant=1).fit([[0], [1]], [0, 1])
    context = types.SimpleNamespace(resampling=toy_resampling("holdout"), dataset=None)
    with pytest.warns(UserWarning, match="trial 0 as fitted on its validation split's"):
        model, chosen, fitted_on = final_model(log, RefitModels(tmp_path), None, Clock(1.0),
                                               context, 0.1,
                                               early_models={0: cloudpickle.dumps(fold_model)})
    assert chosen.trial == 0 and model.predict([[0]]).tolist() == [1]
    assert fitted_on == "one fold"


def test_a_kept_first_trial_beats_a_weaker_trial_refit_on_all_rows(tmp_path):
    import types

    import cloudpickle
    from sklearn.dummy import DummyClassifier

    from automl.final.refit import final_model
    log = TrialLog(tmp_path / "t.jsonl")
    log.append(_trial(0, 80.0, score=0.9))  # the best, kept from its last fold, no time to refit
    log.append(_trial(1, 0.1, score=0.6))  # weaker, already fitted on all rows
    fold_model = DummyClassifier(strategy="constant", constant=1).fit([[0], [1]], [0, 1])
    weak = DummyClassifier(strategy="constant", constant=0).fit([[0], [1]], [0, 1])
    context = types.SimpleNamespace(resampling=toy_resampling("holdout"), dataset=None)
    with pytest.warns(UserWarning, match="trial 0 as fitted on its validation split's"):
        model, chosen, fitted_on = final_model(
            log, {1: cloudpickle.dumps(weak)}, None, Clock(1.0), context, 0.1,
            early_models={0: cloudpickle.dumps(fold_model)})
    assert chosen.trial == 0 and model.predict([[0]]).tolist() == [1]
    assert fitted_on == "one fold"


def test_with_no_time_to_refit_the_best_trials_fold_models_come_before_the_next_best(tmp_path):
    import types

    import cloudpickle
    from sklearn.dummy import DummyClassifier

    from automl.final.ensemble import fold_average
    from automl.final.refit import final_model
    log = TrialLog(tmp_path / "t.jsonl")
    log.append(_trial(0, 50.0, score=0.7))  # the first trial: its last-fold model is kept
    log.append(_trial(1, 80.0, score=0.9))  # the best: no time to refit, fold models kept
    log.append(_trial(2, 0.1, score=0.8))  # would refit in time, but validated worse
    ones = DummyClassifier(strategy="constant", constant=1).fit([[0], [1]], [0, 1])
    zeros = DummyClassifier(strategy="constant", constant=0).fit([[0], [1]], [0, 1])
    kept = {1: fold_average([ones, ones, zeros], 2)}
    context = types.SimpleNamespace(resampling=toy_resampling("cv"), dataset=None)
    with pytest.warns(UserWarning, match="trial 1 could not be refit .* its 3 fold model"):
        model, chosen, fitted_on = final_model(log, RefitModels(tmp_path), None, Clock(1.0),
                                               context, 0.1,
                                               early_models={0: cloudpickle.dumps(zeros)},
                                               fold_models=kept.get)
    assert chosen.trial == 1 and model is kept[1] and fitted_on == "folds"
    np.testing.assert_allclose(model.predict_proba([[0]]), [[1 / 3, 2 / 3]])


def test_a_preview_is_the_last_resort_when_it_is_the_only_early_model(tmp_path):
    import types

    import cloudpickle
    from sklearn.dummy import DummyClassifier

    from automl.final.refit import final_model
    log = TrialLog(tmp_path / "t.jsonl")
    log.append(_trial(0, 0.5, score=0.95, source="preview"))
    log.append(_trial(1, 80.0, score=0.9))  # does not refit in 1 s
    preview_model = DummyClassifier(strategy="constant", constant=0).fit([[0], [1]], [0, 1])
    context = types.SimpleNamespace(resampling=toy_resampling("holdout"), dataset=None)
    with pytest.warns(UserWarning, match=r"the preview \(trial 0\), fitted on a sample"):
        model, chosen, fitted_on = final_model(log, RefitModels(tmp_path), None, Clock(1.0),
                                               context, 0.1,
                                               early_models={0: cloudpickle.dumps(preview_model)})
    assert chosen.trial == 0 and model.predict([[1]]).tolist() == [0]


@pytest.fixture()
def species(penguins):
    """The evaluation context of penguins' species, and its search space."""
    return evaluation_context(penguins, "species")


def _fitted_trial(config, handover=Handover()):
    return Trial(0, config, "default",
                 TrialResult("ok", -0.1, fit_seconds=0.1, handover=handover), 0.0, 1.0)


def test_with_every_worker_still_starting_the_refit_waits_for_one(species, tmp_path, caplog):
    context, space = species
    trial = _fitted_trial(space.default_config())
    with WorkerPool(context, 1, 1, 4000) as pool:  # just started: not ready yet
        assert not pool.n_idle
        loaded = refit_in_workers([trial], RefitModels(tmp_path), pool, Clock(60), 0.5,
                                  context)
    assert loaded[0].predict(context.dataset.X).shape == (context.dataset.n_rows,)
    with WorkerPool(None, 1, 1, 4000) as pool:  # never given a context: never ready
        clock = Clock(2.0)
        with caplog.at_level(logging.INFO, logger="automl.final.refit"):
            loaded = refit_in_workers([trial], RefitModels(tmp_path), pool, clock, 0.5, context)
    # it never refits in this process, where nothing could stop it at the budget
    assert loaded == {} and clock.elapsed() < 2.0
    assert "no time left to refit 1 trials" in caplog.text


def test_a_refit_whose_model_would_not_load_in_the_time_left_is_not_used(species, tmp_path,
                                                                         caplog):
    from automl.final.refit import RefitFile, RefitJob, _load_refit

    context, space = species
    trial = _fitted_trial(space.default_config("random_forest"))
    path = tmp_path / "trial-0-refit.pkl"
    # a real fit, pickled
    refit = RefitJob(trial.config, str(path), trial.result.score).run(context, 1)
    assert isinstance(refit, RefitFile) and refit.nbytes == path.stat().st_size > 0
    assert refit.load_seconds > 0
    models, loaded = RefitModels(tmp_path), {}
    with caplog.at_level(logging.WARNING, logger="automl.final.refit"):
        _load_refit(trial, refit, 1.0, models, loaded, refit.load_seconds / 2)
    assert not loaded and 0 not in models and not path.exists()
    assert "trial 0 was refit in 1.0 s, but loading its" in caplog.text
    refit = RefitJob(trial.config, str(path), trial.result.score).run(context, 1)
    _load_refit(trial, refit, 1.0, models, loaded, 60.0)
    assert 0 in models and loaded[0].predict(context.dataset.X).shape == (
        context.dataset.n_rows,)


def test_a_refit_whose_model_alone_would_not_load_in_time_is_not_started(species, tmp_path,
                                                                         caplog):
    context, space = species
    trial = _fitted_trial(space.default_config(), Handover(0.0, 100.0))
    with WorkerPool(context, 1, 1, 4000) as pool:
        started = time.monotonic()
        while not pool.n_idle and time.monotonic() - started < 60:
            pool.poll()  # a ready worker, so that the refit would go to it
        with caplog.at_level(logging.INFO, logger="automl.final.refit"):
            loaded = refit_in_workers([trial], RefitModels(tmp_path), pool, Clock(60), 0.5,
                                      context)
    assert loaded == {} and "loading its model alone would not fit" in caplog.text


def test_a_refit_too_long_to_run_unbounded_here_waits_for_a_worker(species, tmp_path, caplog):
    context, space = species
    slow = Trial(0, space.default_config(), "default", TrialResult("ok", -0.1, fit_seconds=100.0),
                 0.0, 1.0)
    with WorkerPool(None, 1, 1, 4000) as pool:  # never given a context: never ready
        with caplog.at_level(logging.INFO, logger="automl.final.refit"):
            loaded = refit_in_workers([slow], RefitModels(tmp_path), pool, Clock(2.0), 0.5,
                                      context)
    assert loaded == {} and "in this process" not in caplog.text
    assert "no time left to refit 1 trials" in caplog.text


@pytest.fixture(scope="module")
def iris_boosting():
    """Iris (shipped with scikit-learn) and HistGradientBoosting with a learning rate of 1.0
    and leaves of at least 50 rows, which diverges when fitted on all 150 rows; with the
    default config's validation score, as if that config had validated so."""
    from sklearn.datasets import load_iris

    from automl.trials.evaluate import score_config

    context, space = evaluation_context(load_iris(as_frame=True).frame, "target")
    validated = score_config(space.default_config("hist_gradient_boosting"), context).score
    return context, Trial(0, boosting(space, 1.0, 50), "tpe",
                          TrialResult("ok", score=validated, fit_seconds=0.1), 0.0, 1.0)


def test_a_diverged_refit_counts_as_failed_and_says_why(iris_boosting, tmp_path):
    context, trial = iris_boosting
    models = RefitModels(tmp_path)
    with WorkerPool(context, 1, 1, 4000) as pool:
        started = time.monotonic()
        while not pool.n_idle and time.monotonic() - started < 60:
            pool.poll()
        loaded = refit_in_workers([trial], models, pool, Clock(60), 0.5, context)
    assert loaded == {} and 0 not in models
    assert models.failed[0].startswith("RefitDiverged: its refit on all rows scored")
    assert list(tmp_path.glob("*.pkl")) == []  # the worker wrote no model


def test_fold_models_standing_in_for_a_diverged_refit_say_why(tmp_path):
    import types

    from sklearn.dummy import DummyClassifier

    from automl.final.ensemble import fold_average
    from automl.final.refit import final_model
    log = TrialLog(tmp_path / "t.jsonl")
    log.append(_trial(0, 80.0, score=0.9))  # its refit diverged; no time for another
    ones = DummyClassifier(strategy="constant", constant=1).fit([[0], [1]], [0, 1])
    models = RefitModels(tmp_path)
    models.failed[0] = "RefitDiverged: its refit on all rows scored log_loss 27.9"
    context = types.SimpleNamespace(resampling=toy_resampling("cv"), dataset=None)
    with pytest.warns(UserWarning) as caught:
        model, chosen, fitted_on = final_model(log, models, None, Clock(1.0), context, 0.1,
                                               fold_models={0: fold_average([ones], 2)}.get)
    message = str(caught[0].message)
    assert fitted_on == "folds" and chosen.trial == 0
    assert "could not be refit on all rows (RefitDiverged: its refit" in message
    assert "time_budget" not in message


def test_fold_models_of_a_weaker_trial_name_the_better_trials_passed_over(tmp_path):
    import types

    from sklearn.dummy import DummyClassifier

    from automl.final.ensemble import fold_average
    from automl.final.refit import final_model
    log = TrialLog(tmp_path / "t.jsonl")
    log.append(_trial(0, 80.0, score=0.7))  # weaker: its fold models were kept
    log.append(_trial(1, 80.0, score=0.9))  # the best: no time to refit, nothing kept
    ones = DummyClassifier(strategy="constant", constant=1).fit([[0], [1]], [0, 1])
    context = types.SimpleNamespace(resampling=toy_resampling("cv"), dataset=None)
    with pytest.warns(UserWarning) as caught:
        _, chosen, fitted_on = final_model(log, RefitModels(tmp_path), None, Clock(1.0),
                                           context, 0.1,
                                           fold_models={0: fold_average([ones], 2)}.get)
    message = str(caught[0].message)
    assert chosen.trial == 0 and fitted_on == "folds"
    assert re.search(r"1 trial\(s\) that validated better were set aside \(trial 1: not refit "
                     r"on all rows in the 0\.\d s left\)", message)


def _refit_on_all_rows(models, number):
    """``models`` with a fitted model for trial ``number``, as a refit in a worker leaves it."""
    import cloudpickle
    from sklearn.dummy import DummyClassifier

    path = models.path_for(number)
    path.write_bytes(cloudpickle.dumps(DummyClassifier().fit([[0], [1]], [0, 1])))
    models.add(number, path)
    return models


def test_a_weaker_trial_shipped_in_place_of_better_ones_says_which_and_why(tmp_path):
    import types

    from automl.final.refit import final_model
    log = TrialLog(tmp_path / "t.jsonl")
    log.append(_trial(0, 0.1, score=0.6))  # weaker, already fitted on all rows
    log.append(_trial(1, 80.0, score=0.9))  # the best: no time to refit, nothing kept
    log.append(_trial(2, 80.0, score=0.8))  # its refit was refused earlier
    models = _refit_on_all_rows(RefitModels(tmp_path), 0)
    models.failed[2] = "RefitDiverged: its refit on all rows scored log_loss 27.9"
    context = types.SimpleNamespace(resampling=toy_resampling("cv"), dataset=None)
    with pytest.warns(UserWarning) as caught:
        _, chosen, fitted_on = final_model(log, models, None, Clock(1.0), context, 0.1)
    assert chosen.trial == 0 and fitted_on == "all rows"
    message = str(caught[0].message)
    assert message.startswith("the final model is trial 0, refit on all rows. 2 trial(s)")
    assert re.search(r"trial 1: not refit on all rows in the 0\.\d s left", message)
    assert "trial 2: RefitDiverged: its refit on all rows scored log_loss 27.9" in message
    assert message.endswith("Give a larger time_budget.")


def test_the_best_trial_shipped_as_refit_raises_no_warning(tmp_path):
    import types
    import warnings

    from automl.final.refit import final_model
    log = TrialLog(tmp_path / "t.jsonl")
    log.append(_trial(0, 0.1, score=0.9))
    models = _refit_on_all_rows(RefitModels(tmp_path), 0)
    context = types.SimpleNamespace(resampling=toy_resampling("cv"), dataset=None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, chosen, _ = final_model(log, models, None, Clock(1.0), context, 0.1)
    assert chosen.trial == 0


def test_a_trial_set_aside_only_for_a_failed_refit_gives_no_budget_advice(tmp_path):
    import types

    from automl.final.refit import final_model
    log = TrialLog(tmp_path / "t.jsonl")
    log.append(_trial(0, 0.1, score=0.6))
    log.append(_trial(1, 80.0, score=0.9))
    models = _refit_on_all_rows(RefitModels(tmp_path), 0)
    models.failed[1] = "MemoryError: "
    context = types.SimpleNamespace(resampling=toy_resampling("cv"), dataset=None)
    with pytest.warns(UserWarning) as caught:
        final_model(log, models, None, Clock(1.0), context, 0.1)
    message = str(caught[0].message)
    assert message.endswith("set aside (trial 1: MemoryError: ).")
