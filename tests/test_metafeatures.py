from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from automl.input.data import validate_input
from automl.input.metafeatures import NAMES, compute_metafeatures


def _check(values: dict[str, float]) -> None:
    assert list(values) == list(NAMES)
    assert all(isinstance(v, float) and math.isfinite(v) for v in values.values()), values


def test_mixed_data(mixed_frame):
    X, y = mixed_frame
    values = compute_metafeatures(validate_input(X, y))
    _check(values)
    assert values["n_classes"] == 2
    assert 0 < values["categorical_share"] < 1
    assert values["missing_share"] > 0 and values["columns_with_missing_share"] > 0
    assert 0 < values["class_entropy"] <= 1


def test_same_data_same_values_and_seed_independent_of_global_state(mixed_frame):
    X, y = mixed_frame
    dataset = validate_input(X, y)
    state = np.random.get_state()
    assert compute_metafeatures(dataset, seed=3) == compute_metafeatures(dataset, seed=3)
    assert all(a == b for a, b in zip(state[1], np.random.get_state()[1]))


@pytest.mark.parametrize("case", ["one_row_per_class", "constant_columns", "all_missing_column",
                                  "one_column", "regression_constant_feature"])
def test_odd_data_gives_finite_values(case):
    rng = np.random.default_rng(0)
    if case == "one_row_per_class":
        X, y = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "z"]}), ["p", "q", "r"]
    elif case == "constant_columns":
        X = pd.DataFrame({"a": np.ones(50), "b": ["same"] * 50})
        y = rng.integers(0, 2, 50)
    elif case == "all_missing_column":
        X = pd.DataFrame({"a": rng.normal(size=40), "b": [np.nan] * 40})
        y = rng.integers(0, 3, 40)
    elif case == "one_column":
        X, y = pd.DataFrame({"a": rng.normal(size=30)}), rng.integers(0, 2, 30)
    else:
        X, y = pd.DataFrame({"a": np.zeros(30)}), rng.normal(size=30)
    if case == "all_missing_column":  # left out of the canonical frame, still counted
        with pytest.warns(UserWarning, match="missing in every row"):
            dataset = validate_input(X, y)
    else:
        dataset = validate_input(X, y)
    values = compute_metafeatures(dataset)
    _check(values)
    if case == "one_row_per_class":
        assert values["minority_class_share"] == pytest.approx(1 / 3)
    if case == "all_missing_column":
        assert values["columns_with_missing_share"] == 0.5


def test_regression_target_moments():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=300)})
    values = compute_metafeatures(validate_input(X, rng.exponential(size=300)))
    _check(values)
    assert values["n_classes"] == 0 and values["target_skewness"] > 1


def test_large_data_is_subsampled():
    """Wide and long data still works (the time bound is measured in
    benchmarks/metafeatures_time.py, not here)."""
    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.normal(size=(20_000, 120)))
    X[0] = rng.choice(["a", "b", "c"], size=len(X))
    values = compute_metafeatures(validate_input(X, (X[1] > 0).astype(int)))
    _check(values)
    assert values["log_n_features"] == pytest.approx(np.log(120))
