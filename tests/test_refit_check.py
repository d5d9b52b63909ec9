"""The refit check: a pipeline refit on all rows that lost what validation promised is not
used. Real HistGradientBoosting fits; the diverging configs are ones the space allows."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from automl.final.refit_check import RefitDiverged, check_refit, checked_refit
from automl.trials.evaluate import fit_final, score_config

from conftest import EXAMPLES, SHARED_DATASETS, boosting
from conftest import evaluation_context as _context


@pytest.fixture(scope="module")
def species():
    import pandas as pd

    return _context(pd.read_csv(EXAMPLES / "penguins.csv"), "species")


@pytest.fixture(scope="module")
def iris():
    """Iris (shipped with scikit-learn), where HistGradientBoosting with a learning rate of 1.0
    and leaves of at least 50 rows diverges on all 150 rows: the softmax's Newton steps
    overshoot, and it ends confidently wrong on the rows it was fitted on."""
    from sklearn.datasets import load_iris

    context, space = _context(load_iris(as_frame=True).frame, "target")
    return context, space, fit_final(boosting(space, 1.0, 50), context)


def test_a_sound_refit_passes(species):
    context, space = species
    config = space.default_config("hist_gradient_boosting")
    validated = score_config(config, context).score
    assert check_refit(fit_final(config, context), context, validated) is True  # checked, kept


def test_a_diverged_refit_is_refused_with_its_scores(iris):
    context, space, diverged = iris
    # What the check sees: the refit, and the validation score its trial promised (here the
    # default config's, which the diverging config would need to have scored to be refit).
    validated = score_config(space.default_config("hist_gradient_boosting"), context).score
    with pytest.raises(RefitDiverged, match=r"scored log_loss \d+\.\d+ on 150 of its own "
                                            r"training rows \(predicting the prior: 1.099\)"):
        check_refit(diverged, context, validated)
    with pytest.raises(RefitDiverged):
        checked_refit(boosting(space, 1.0, 50), context, 1, validated)


def test_no_check_without_a_gain_to_keep(iris):
    from automl.trials.evaluate import prior_score

    context, _, diverged = iris
    # the diverged refit passes unchecked: validated no better than the prior, or no score
    for validated in (prior_score(context), None, float("nan")):
        assert check_refit(diverged, context, validated) is False


def test_a_label_metric_is_checked_and_a_scorer_is_not():
    from sklearn.datasets import load_iris
    from sklearn.metrics import get_scorer

    frame = load_iris(as_frame=True).frame
    for metric, refused in (("accuracy", True), (get_scorer("accuracy"), False)):
        context, space = _context(frame, "target", metric)
        diverged = fit_final(boosting(space, 1.0, 50), context)
        if refused:
            with pytest.raises(RefitDiverged):
                check_refit(diverged, context, 0.95)
        else:
            assert check_refit(diverged, context, 0.95) is False  # no prior score: no gain


def test_the_check_samples_rows_of_large_data_seeded_and_stratified():
    from automl.final.refit_check import CHECK_ROWS, _sample

    y = np.r_[np.zeros(10 * CHECK_ROWS - 20, dtype=int), np.ones(20, dtype=int)]  # 0.1 % ones
    rows = _sample(y, "binary", 3)
    assert len(rows) == CHECK_ROWS and np.all(np.diff(rows) > 0)
    assert y[rows].sum() == 2  # stratified: an AUC can be computed on the sample
    np.testing.assert_array_equal(rows, _sample(y, "binary", 3))
    np.testing.assert_array_equal(_sample(y[:50], "binary", 3), np.arange(50))


CAR_CONFIG = {"imputer": "mean", "encoder": "native", "scaler": "robust",
              "feature": "select_percentile",
              "feature.select_percentile.percentile": 66.32210255868361,
              "model": "hist_gradient_boosting",
              "model.hist_gradient_boosting.learning_rate": 0.7082744377078123,
              "model.hist_gradient_boosting.max_iter": 599,
              "model.hist_gradient_boosting.max_leaf_nodes": 7,
              "model.hist_gradient_boosting.min_samples_leaf": 97,
              "model.hist_gradient_boosting.l2_regularization": 5.444050060658895e-07,
              "model.hist_gradient_boosting.max_features": 0.8459849993810189}


def _car_split_4():
    from metalearning.corpus import load_split, read_manifest

    return load_split(read_manifest()["car_evaluation"], seed=4)


needs_shared = pytest.mark.skipif(not (SHARED_DATASETS / "manifest.json").is_file(),
                                  reason="needs ../shared/datasets")


@needs_shared
def test_the_car_evaluation_refit_that_shipped_16_log_loss_is_refused():
    """The case that found the check: the 60 s benchmark's cold search on car_evaluation
    (split 4) validated this config at 0.012 log loss in 5-fold cross-validation, and its
    refit on all rows scored 16.4 on the test split."""
    X_train, _, y_train, _ = _car_split_4()
    context, _ = _context(X_train.assign(target=y_train), "target")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        validated = score_config(CAR_CONFIG, context).score
    assert validated > -0.05  # sound out of fold
    with pytest.raises(RefitDiverged):
        checked_refit(CAR_CONFIG, context, 1, validated)


@needs_shared
def test_fit_ships_the_fold_models_of_a_refused_refit_and_says_why():
    """Through ``automl.fit``: HistGradientBoosting's defaults, then the diverging config,
    which validates best; its fold models are the final model.

    A trial keeps its fold models only when its fits took at most half its time limit
    (``automl.trials.jobs``), so the limit is set well above the 2 to 6 s these fits take on 2
    cores: at 30 s the limit was 10 s, and a slow run lost the fold models and the test."""
    from sklearn.metrics import log_loss

    import automl

    X_train, X_test, y_train, y_test = _car_split_4()
    with pytest.warns(UserWarning, match=r"could not be refit on all rows \(RefitDiverged"):
        model = automl.fit(X_train, y_train, time_budget=90, per_trial_time_limit=60,
                           random_state=0, max_trials=2,
                           include_models=["hist_gradient_boosting"], ensemble=False,
                           initial_configs=[CAR_CONFIG], warm_start=False)
    assert model.best_config_ == CAR_CONFIG
    assert list(model.ensemble_["fitted_on"]) == ["folds"]
    assert log_loss(y_test, model.predict_proba(X_test), labels=model.classes_) < 0.05
