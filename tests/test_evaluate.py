from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.feature_selection import SelectPercentile, f_regression
from sklearn.metrics import log_loss, mean_absolute_error, root_mean_squared_error
from sklearn.model_selection import cross_val_predict
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import Pipeline

from automl.base.exceptions import InputError
from automl.base.metrics import get_metric
from automl.space.pipeline import KeepColumns
from automl.trials.evaluate import (batch_predict_ms, fit_final, make_resampling, predict_raw,
                                    prior_score, score_and_keep_folds, score_config)

from conftest import context_of


def test_auto_resampling_rule():
    assert make_resampling(np.arange(1000) % 2, "binary").kind == "cv"
    assert len(make_resampling(np.arange(1000) % 2, "binary").folds) == 5
    assert len(make_resampling(np.arange(5000) % 2, "binary").folds) == 3
    holdout = make_resampling(np.arange(20_000) % 2, "binary")
    assert holdout.kind == "holdout"
    train, validation = holdout.folds[0]
    assert len(validation) == 4000 and not set(train) & set(validation)


@pytest.mark.parametrize("strategy, n_folds, message", [("bootstrap", None, "resampling must"),
                                                       ("cv", 1, "n_folds must")])
def test_bad_resampling_is_named(strategy, n_folds, message):
    with pytest.raises(InputError, match=message):
        make_resampling(np.arange(100) % 2, "binary", strategy, n_folds)


def test_folds_are_stratified_and_cover_every_row():
    y = np.array([0] * 90 + [1] * 10)
    resampling = make_resampling(y, "binary", seed=3)
    validated = np.concatenate([v for _, v in resampling.folds])
    assert sorted(validated) == list(range(100))
    assert all(y[v].sum() == 2 for _, v in resampling.folds)


def test_tiny_classes_do_not_break_the_split():
    y = np.array([0] * 20 + [1] * 20 + [2])
    resampling = make_resampling(y, "multiclass")
    assert len(resampling.folds) == 5


def test_score_config_gives_oof_predictions(penguins):
    frame = penguins.dropna(subset=["species"])
    context, space = context_of(frame.drop(columns="species"), frame["species"])
    result = score_config(space.default_config(), context)
    assert result.status == "ok" and -0.5 < result.score < 0  # negated log loss
    assert result.predictions.shape == (len(frame), 3)
    assert np.isfinite(result.predictions).all()
    assert result.fit_seconds > 0
    # 344 validated rows: a batch of 1,000 is timed, not the folds' small calls scaled up
    assert 0 < result.predict_ms_per_1000_rows < 1000 * result.predict_seconds


def test_batch_predict_time_comes_from_the_folds_when_they_covered_a_batch(penguins):
    frame = penguins.dropna(subset=["species"])
    context, space = context_of(frame.drop(columns="species"), frame["species"])
    _, pipeline = score_and_keep_folds(space.default_config(), context, every=False)
    many = np.resize(np.arange(len(frame)), 2000)
    assert batch_predict_ms(pipeline[0], context.dataset, many, 0.5) == pytest.approx(250.0)
    timed = batch_predict_ms(pipeline[0], context.dataset, np.arange(20), 99.0)
    assert 0 < timed < 5000  # timed on 1,000 rows, not 99 s scaled from 20


def test_a_failing_config_becomes_a_failed_result():
    X = pd.DataFrame({"a": np.arange(10.0)})
    context, space = context_of(X, np.arange(10) % 2)
    config = space.validate({"model": "k_nearest_neighbors",
                             "model.k_nearest_neighbors.n_neighbors": 64})
    result = score_config(config, context)
    assert result.status == "failed" and "n_neighbors" in result.error


def _selection_flip_data(n_rows=400):
    """Regression data whose percentile selection keeps column a on the holdout's training
    rows but column b on all rows: b tracks y only on the validation rows."""
    rng = np.random.default_rng(0)
    y = rng.normal(size=n_rows)
    train, validation = make_resampling(y, "regression", "holdout", seed=0).folds[0]
    a, b = rng.normal(size=n_rows), rng.normal(size=n_rows)
    a[train] += 0.3 * y[train]
    b[train] += 0.2 * y[train]
    b[validation] = 3 * y[validation] + 0.1 * rng.normal(size=len(validation))
    X = pd.DataFrame({"strong": y + 0.1 * rng.normal(size=n_rows), "a": a, "b": b,
                      "colour": rng.choice(["red", "green"], size=n_rows)})
    return X, pd.Series(y), train


def _selection_context(X, y):
    context, space = context_of(X, y, task="regression", strategy="holdout")
    config = dict(space.default_config("lightgbm"), feature="select_percentile")
    config["feature.select_percentile.percentile"] = 60.0  # keeps two of three columns
    return context, space.validate(config)


def test_refit_keeps_the_columns_its_validation_fit_selected():
    X, y, train = _selection_flip_data()
    context, config = _selection_context(X, y)
    numeric = ["strong", "a", "b"]
    on_train = SelectPercentile(f_regression, percentile=60).fit(X[numeric].iloc[train], y[train])
    on_all = SelectPercentile(f_regression, percentile=60).fit(X[numeric], y)
    assert list(on_train.get_support()) == [True, True, False]  # the data flips the choice
    assert list(on_all.get_support()) == [True, False, True]

    model = fit_final(config, context)
    step = model.named_steps["preprocess"].named_transformers_["numeric"].named_steps["feature"]
    assert isinstance(step, KeepColumns)
    assert list(step.get_support()) == [True, True, False]
    assert np.isfinite(model.predict(context.dataset.X)).all()  # pandas output for LightGBM


def test_refit_pins_the_selection_by_name_when_all_rows_add_a_missing_value_indicator():
    X, y, train = _selection_flip_data()
    validation = np.setdiff1d(np.arange(len(X)), train)
    X["noise"] = np.random.default_rng(2).normal(size=len(X))
    X.loc[validation[0], "noise"] = np.nan  # no value missing in the validated fit's rows
    context, config = _selection_context(X, y)

    model = fit_final(config, context)
    numeric = model.named_steps["preprocess"].named_transformers_["numeric"]
    offered = list(numeric[:-1].get_feature_names_out())
    # the columns by position: strong, a, b, colour (categorical) and noise
    assert offered == ["c0", "c1", "c2", "c4", "missingindicator_c4"]
    assert isinstance(numeric.named_steps["feature"], KeepColumns)
    assert list(numeric.get_feature_names_out()) == ["c0", "c1"]  # strong and a, as validated
    assert np.isfinite(model.predict(context.dataset.X)).all()


def test_refit_leaves_a_stable_selection_alone():
    X, y, _ = _selection_flip_data()
    X["b"] = np.random.default_rng(1).normal(size=len(X))  # b tracks nothing anywhere
    context, config = _selection_context(X, y)
    model = fit_final(config, context)
    step = model.named_steps["preprocess"].named_transformers_["numeric"].named_steps["feature"]
    assert isinstance(step, SelectPercentile)
    assert list(step.get_support()) == [True, True, False]


def test_class_probabilities_are_rescaled_to_sum_to_one():
    # one feature constant within each class: the variance floor is tiny, the log-likelihoods
    # of a point between two classes are near -1e12, and GaussianNB's own rows miss one
    rng = np.random.default_rng(0)
    X = np.column_stack([np.repeat([0.0, 100.0, 200.0], 10), rng.normal(size=30)])
    y = np.repeat([0, 1, 2], 10)
    model = Pipeline([("model", GaussianNB())]).fit(X, y)
    between = np.array([[50.0, z] for z in (0.1, -0.4, 0.7)])
    assert np.abs(model.predict_proba(between).sum(axis=1) - 1).max() > 1e-8
    proba = predict_raw(model, between, 4)  # a fourth class the model never saw
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert (proba[:, 3] == 0).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # log loss no longer warns that rows miss one
        get_metric("log_loss", "multiclass").score(np.array([0, 1, 0]), proba, 4)


def _dummy_out_of_fold(dummy, context, method):
    dataset = context.dataset
    return cross_val_predict(dummy, np.zeros((dataset.n_rows, 1)), dataset.y,
                             cv=list(context.resampling.folds), method=method)


def test_prior_score_is_the_dummy_models_out_of_fold_score(penguins):
    frame = penguins.dropna(subset=["species", "body_mass_g"])
    context, _ = context_of(frame.drop(columns="species"), frame["species"])
    proba = _dummy_out_of_fold(DummyClassifier(strategy="prior"), context, "predict_proba")
    assert prior_score(context) == pytest.approx(-log_loss(context.dataset.y, proba))
    context, _ = context_of(frame.drop(columns="body_mass_g"), frame["body_mass_g"])
    values = _dummy_out_of_fold(DummyRegressor(), context, "predict")
    assert prior_score(context) == pytest.approx(
        -root_mean_squared_error(context.dataset.y, values))


def test_prior_score_for_absolute_error_is_the_medians(penguins):
    """Absolute error is smallest at the median: a model scored by MAE must beat that, not
    the mean, which scores worse on a skewed target."""
    frame = penguins.dropna(subset=["body_mass_g"])
    context, _ = context_of(frame.drop(columns="body_mass_g"), frame["body_mass_g"], metric="mae")
    values = _dummy_out_of_fold(DummyRegressor(strategy="median"), context, "predict")
    assert prior_score(context) == pytest.approx(
        -mean_absolute_error(context.dataset.y, values))
    means = _dummy_out_of_fold(DummyRegressor(), context, "predict")
    assert prior_score(context) > -mean_absolute_error(context.dataset.y, means)


def test_prior_score_on_the_previews_split_and_not_for_scorer_metrics(penguins):
    frame = penguins.dropna(subset=["sex"])
    context, _ = context_of(frame.drop(columns="sex"), frame["sex"])
    # each split predicts a constant; pooled, the splits' slightly different shares rank by split
    assert prior_score(context) == pytest.approx(0.5, abs=0.01)
    first = context.resampling.folds[:1]
    train, validation = first[0]
    shares = np.bincount(context.dataset.y[train]) / len(train)
    context, _ = context_of(frame.drop(columns="sex"), frame["sex"], metric="log_loss")
    assert prior_score(context, first) == pytest.approx(
        -log_loss(context.dataset.y[validation], np.tile(shares, (len(validation), 1))))
    context, _ = context_of(frame.drop(columns="sex"), frame["sex"], metric="neg_brier_score")
    assert prior_score(context) is None


def test_validated_rows_are_every_row_under_cv_and_the_holdout_under_holdout():
    y = np.arange(200) % 2
    assert np.array_equal(make_resampling(y, "binary", "cv", 5).validated, np.arange(200))
    holdout = make_resampling(y, "binary", "holdout")
    assert np.array_equal(holdout.validated, np.sort(holdout.folds[0][1]))


def test_the_folds_of_another_draw_are_new_and_cover_every_row(penguins):
    frame = penguins.dropna(subset=["sex"])
    context, _ = context_of(frame.drop(columns="sex"), frame["sex"])
    first, second = context.split_folds(0), context.split_folds(1)
    assert first is context.resampling.folds and len(second) == len(first)
    validated = np.sort(np.concatenate([validation for _, validation in second]))
    np.testing.assert_array_equal(validated, np.arange(context.dataset.n_rows))
    assert not all(np.array_equal(a[1], b[1]) for a, b in zip(first, second))
    shares = [context.dataset.y[validation].mean() for _, validation in second]
    assert max(shares) - min(shares) < 0.05  # stratified like the first
