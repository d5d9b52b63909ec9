from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from automl.base.exceptions import InputError, SchemaError
from automl.input.data import infer_task, validate_input


def test_every_dtype_is_read(mixed_frame):
    X, y = mixed_frame
    dataset = validate_input(X, y)
    kinds = {column.name: column.kind for column in dataset.schema.columns}
    assert kinds == {"number": "numeric", "color": "categorical", "size": "categorical",
                     "flag": "numeric", "count": "numeric", "when": "datetime"}
    assert dataset.task == "binary"
    assert list(dataset.classes) == ["no", "yes"]
    assert dataset.X[dataset.schema.numeric_features].dtypes.eq("float64").all()
    assert len(dataset.schema.numeric_features) == 3 + 6  # datetime parts


def test_pandas_str_dtype_is_categorical():
    X = pd.DataFrame({"a": pd.array(["x", "y", None, "x"], dtype="str"), "b": [1.0, 2, 3, 4]})
    dataset = validate_input(X, [0, 1, 0, 1])
    assert dataset.schema.columns[0].kind == "categorical"
    assert dataset.X["c0"].isna().sum() == 1


def test_numpy_input_and_object_arrays():
    X = np.array([[1, "a"], [2, "b"], [3, "a"], [4, None]], dtype=object)
    dataset = validate_input(X, np.array([1.5, 2.5, 3.5, 4.5]))
    assert [c.kind for c in dataset.schema.columns] == ["numeric", "categorical"]
    assert dataset.task == "regression"
    assert not dataset.schema.from_dataframe


@pytest.mark.parametrize("y, task", [
    (["a", "b"] * 10, "binary"),
    ([True, False] * 10, "binary"),
    ([0, 1, 2, 3] * 5, "multiclass"),
    (np.linspace(0, 1, 20), "regression"),
    (np.arange(20) * 1.0, "multiclass"),
    (np.arange(40), "regression"),
])
def test_task_inference(y, task):
    assert infer_task(np.asarray(y)) == task


@pytest.mark.parametrize("X, y, message", [
    (pd.DataFrame(), [], "empty"),
    (pd.DataFrame(index=range(3)), [0, 1, 0], "0 feature"),
    (pd.DataFrame({"a": [1, 2, 3]}), None, "requires y"),
    (pd.DataFrame({"a": [1, 2, 3]}), [1, 2], "rows but y has"),
    (pd.DataFrame({"a": [1, 2, 3]}), [1.0, np.nan, 2.0], "missing value"),
    (pd.DataFrame({"a": [1, 2, 3]}), [1.0, np.inf, 2.0], "infinite"),
    (pd.DataFrame({"a": [1, 2, 3]}), ["a", "a", "a"], "only 1 class"),
    (np.arange(5), [0, 1, 0, 1, 0], "2D"),
    (pd.DataFrame({"a": [1]}), [1], "1 sample"),
])
def test_bad_input_is_named(X, y, message):
    with pytest.raises(InputError, match=message):
        validate_input(X, y)


def test_unknown_task_and_string_regression_target():
    with pytest.raises(InputError, match="task must be one of"):
        validate_input(pd.DataFrame({"a": [1, 2]}), [0, 1], task="ranking")
    with pytest.raises(InputError, match="numeric y"):
        validate_input(pd.DataFrame({"a": [1, 2]}), ["x", "y"], task="regression")


def test_task_that_contradicts_the_classes():
    with pytest.raises(InputError, match="task='binary' but y has 3 classes"):
        validate_input(pd.DataFrame({"a": [1, 2, 3]}), ["a", "b", "c"], task="binary")


def test_continuous_target_for_classification_is_refused():
    with pytest.raises(ValueError, match="Unknown label type"):
        validate_input(pd.DataFrame({"a": [1, 2, 3]}), [0.1, 0.2, 0.3], task="classification")


def test_schema_realigns_reordered_columns_and_drops_extra(mixed_frame):
    X, y = mixed_frame
    dataset = validate_input(X, y)
    shuffled = X[list(reversed(X.columns))].assign(unexpected=1)
    with pytest.warns(UserWarning, match="not seen at fit"):
        again = dataset.schema.transform(shuffled)
    pd.testing.assert_frame_equal(again, dataset.X)


def test_schema_missing_column_is_an_error(mixed_frame):
    X, y = mixed_frame
    dataset = validate_input(X, y)
    with pytest.raises(SchemaError, match="lacks 1 column.*color"):
        dataset.schema.transform(X.drop(columns=["color"]))


def test_schema_numpy_width_mismatch():
    dataset = validate_input(np.ones((4, 3)), [0, 1, 0, 1])
    with pytest.raises(SchemaError, match="X has 2 features, but the model is expecting 3"):
        dataset.schema.transform(np.ones((4, 2)))


def test_schema_non_numeric_value_in_numeric_column():
    dataset = validate_input(pd.DataFrame({"a": [1.0, 2.0, 3.0]}), [0, 1, 0])
    with pytest.raises(SchemaError, match="'a' was numeric.*'oops'"):
        dataset.schema.transform(pd.DataFrame({"a": ["oops", "1", "2"]}))


def test_infinity_in_X_is_treated_as_missing():
    dataset = validate_input(pd.DataFrame({"a": [1.0, np.inf, 3.0, -np.inf]}), [0, 1, 0, 1])
    assert dataset.X["c0"].isna().sum() == 2


def test_integer_column_names_are_kept_as_strings():
    X = pd.DataFrame(np.ones((4, 2)), columns=[0, 1])
    dataset = validate_input(X, [0, 1, 0, 1])
    assert [column.name for column in dataset.schema.columns] == ["0", "1"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same integer names at predict: no warning
        assert dataset.schema.transform(X).shape == (4, 2)


def test_sparse_input_is_refused_with_the_fix():
    import scipy.sparse
    with pytest.raises(TypeError, match="toarray"):
        validate_input(scipy.sparse.csr_matrix(np.ones((4, 2))), [0, 1, 0, 1])


@pytest.mark.parametrize("empty", [[np.nan] * 4, [None] * 4, pd.array([None] * 4, dtype="str"),
                                   pd.to_datetime([None] * 4)])
def test_a_column_with_no_values_is_left_out_with_a_warning(empty):
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "gone": empty, "b": ["x", "y", "x", "y"]})
    with pytest.warns(UserWarning, match=r"1 column\(s\) missing in every row, ignored: \['gone'\]"):
        dataset = validate_input(X, [0, 1, 0, 1])
    assert [column.kind for column in dataset.schema.columns] == ["numeric", "empty", "categorical"]
    assert list(dataset.X.columns) == ["c0", "c2"]
    assert dataset.schema.numeric_features == ["c0"]
    assert dataset.schema.categorical_features == ["c2"]
    assert dataset.schema.empty_columns == ["gone"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        later = dataset.schema.transform(X.assign(gone=[1.0, 2.0, 3.0, 4.0]))
    assert list(later.columns) == ["c0", "c2"]
    with pytest.raises(SchemaError, match="lacks 1 column"):
        dataset.schema.transform(X.drop(columns="gone"))


def test_x_with_no_value_at_all_is_refused():
    X = pd.DataFrame({"a": [np.nan] * 4, "b": [None] * 4})
    with pytest.raises(InputError, match=r"every column of X is missing in every row \(\['a', 'b'\]\)"):
        validate_input(X, [0, 1, 0, 1])


def test_column_names_equal_as_text_are_refused():
    X = pd.DataFrame([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], columns=[1, "1"])
    with pytest.raises(InputError, match=r"1 and '1'.*rename them"):
        validate_input(X, [0, 1, 0])


def test_a_target_too_large_to_score_is_refused_with_the_fix():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(InputError, match=r"as large as 1e\+300.*Rescale y"):
        validate_input(X, [1.0, 2.0, 1e300, 3.0], task="regression")
    assert validate_input(X, [1.0, 2.0, 1e100, 3.0], task="regression").task == "regression"
