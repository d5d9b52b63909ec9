from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.feature_selection import SelectPercentile, f_classif

from automl.input.data import validate_input
from automl.space.compiled import compile_space
from automl.space.components import load_components
from automl.space.pipeline import KeepColumns, SelectPercentileKeepOne, build_pipeline
from automl.trials.evaluate import predict_raw

CLASSIFIERS = compile_space(load_components(), "multiclass", 100).model_names
REGRESSORS = compile_space(load_components(), "regression", 100).model_names


def _frame(n=90, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                      "c": rng.choice(["x", "y", "z", None], size=n)})
    X.loc[::9, "a"] = np.nan
    return X, rng


@pytest.mark.parametrize("model", CLASSIFIERS)
def test_every_classifier_default_fits_mixed_data(model):
    X, rng = _frame()
    y = np.where(X["b"] > 0.3, "hi", np.where(X["b"] < -0.3, "lo", "mid"))
    dataset = validate_input(X, y)
    space = compile_space(load_components(), dataset.task, dataset.n_rows)
    pipeline = build_pipeline(space.default_config(model), space, dataset.schema)
    pipeline.fit(dataset.X, dataset.y)
    proba = predict_raw(pipeline, dataset.X, dataset.n_classes)
    assert proba.shape == (90, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("model", REGRESSORS)
def test_every_regressor_default_fits_mixed_data(model):
    X, rng = _frame()
    y = 1000 * X["b"].to_numpy() + 5000
    dataset = validate_input(X, y)
    space = compile_space(load_components(), "regression", dataset.n_rows)
    pipeline = build_pipeline(space.default_config(model), space, dataset.schema)
    predictions = pipeline.fit(dataset.X, dataset.y).predict(dataset.X)
    assert predictions.shape == (90,) and np.isfinite(predictions).all()


def test_native_encoder_hands_categoricals_to_lightgbm():
    X, _ = _frame()
    dataset = validate_input(X, (X["c"] == "x").astype(int))
    space = compile_space(load_components(), "binary", dataset.n_rows)
    pipeline = build_pipeline(space.default_config("lightgbm"), space, dataset.schema)
    transformed = pipeline[:-1].fit_transform(dataset.X, dataset.y)
    assert isinstance(transformed["c2"].dtype, pd.CategoricalDtype)
    unseen = dataset.schema.transform(X.assign(c="never seen"))
    assert pipeline.fit(dataset.X, dataset.y)[:-1].transform(unseen)["c2"].isna().all()


def test_onehot_caps_levels_and_tolerates_unseen():
    X = pd.DataFrame({"c": [f"level{i % 40}" for i in range(200)]})
    dataset = validate_input(X, np.arange(200) % 2)
    space = compile_space(load_components(), "binary", 200)
    config = space.validate({**space.default_config("logistic_regression"),
                             "encoder.onehot.max_categories": 8})
    pipeline = build_pipeline(config, space, dataset.schema).fit(dataset.X, dataset.y)
    assert pipeline[:-1].transform(dataset.X).shape[1] == 8
    pipeline.predict_proba(dataset.schema.transform(pd.DataFrame({"c": ["brand new"]})))


def test_level_codes_give_the_encoders_the_same_encoding_as_strings():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

    from automl.space.pipeline import LevelCodes
    rng = np.random.default_rng(0)
    levels = np.array(["b", "a", "c", "zz", "d10", "d9"], dtype=object)
    train = pd.DataFrame({"c0": rng.choice(levels, 300, p=[.4, .3, .1, .1, .05, .05]),
                          "c1": rng.choice(levels[:3], 300)}).astype(object)
    train.iloc[::17, 0] = np.nan
    test = pd.DataFrame({"c0": ["a", "unseen", np.nan, "d9"], "c1": ["c", "b", "a", "new"]},
                        dtype=object)
    encoders = [OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1,
                               encoded_missing_value=-2, max_categories=4),
                OneHotEncoder(handle_unknown="infrequent_if_exist", sparse_output=False,
                              max_categories=3)]
    for encoder in encoders:
        direct = clone(encoder).fit(train).transform(test)
        coded = make_pipeline(LevelCodes(), clone(encoder)).fit(train).transform(test)
        np.testing.assert_array_equal(direct, coded)


def test_keep_columns_keeps_its_mask_and_names_a_wrong_width():
    X = pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, np.nan], "z": [5.0, 6.0]})
    step = KeepColumns([True, False, True]).set_output(transform="pandas").fit(X)
    assert list(step.transform(X).columns) == ["x", "z"]
    assert list(step.get_feature_names_out()) == ["x", "z"]
    with pytest.raises(ValueError, match="support of 2 columns but was fitted on 3"):
        KeepColumns([True, False]).fit(X)


@pytest.mark.filterwarnings("ignore:Features .* are constant:UserWarning")
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_percentile_selection_keeps_the_best_column_where_scikit_learn_keeps_none():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"only": rng.normal(size=60)})
    y = (X["only"] + rng.normal(scale=0.5, size=60) > 0).astype(int)
    assert not SelectPercentile(f_classif, percentile=50).fit(X, y).get_support().any()
    step = SelectPercentileKeepOne(f_classif, percentile=50).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scikit-learn's "No features were selected"
        assert step.transform(X).shape == (60, 1)
    constant = pd.DataFrame({"a": np.ones(60), "b": np.ones(60)})  # NaN F statistics
    assert SelectPercentileKeepOne(f_classif, percentile=10).fit(constant, y).get_support().sum() == 1
    X["more"] = rng.normal(size=60)
    assert list(SelectPercentileKeepOne(f_classif, percentile=50).fit(X, y).get_support()) == [
        True, False]  # otherwise as scikit-learn's


def test_a_single_numeric_column_reaches_the_model_under_percentile_selection():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"only": rng.normal(size=80)})
    y = np.where(X["only"] > 0, "yes", "no")
    dataset = validate_input(X, y)
    space = compile_space(load_components(), dataset.task, dataset.n_rows)
    config = dict(space.default_config("logistic_regression"), feature="select_percentile")
    config["feature.select_percentile.percentile"] = 10.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        model = build_pipeline(config, space, dataset.schema).fit(dataset.X, dataset.y)
        assert (model.predict(dataset.X) == dataset.y).mean() > 0.9


def test_percentile_selection_refuses_a_percentile_out_of_range_by_name():
    X = pd.DataFrame({"a": np.arange(10.0), "b": np.arange(10.0) % 3})
    with pytest.raises(ValueError, match="percentile"):
        SelectPercentileKeepOne(f_classif, percentile=150).fit(X, np.arange(10) % 2)
