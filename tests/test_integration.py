"""Whole fits on real datasets of ../shared/datasets (skipped where the corpus is absent)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

import automl

from conftest import SHARED_DATASETS

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (SHARED_DATASETS / "manifest.json").exists(),
                                 reason="../shared/datasets is not present")]


def _load(name):
    entries = {e["name"]: e for e in json.loads((SHARED_DATASETS / "manifest.json").read_text())}
    entry = entries[name]
    frame = pd.read_csv(SHARED_DATASETS / entry["file"])
    y = frame.pop(entry["target"])
    if entry.get("id_column"):
        frame = frame.drop(columns=[entry["id_column"]])
    return frame, y, entry["task"]


@pytest.mark.parametrize("name", ["titanic", "hawks_species", "auto_mpg"])
def test_real_dataset_with_strings_and_missing_values(name):
    X, y, task = _load(name)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    model = automl.fit(X_train, y_train, time_budget=60, task=task, random_state=0, max_trials=6)
    assert model.task_ == task
    assert (model.leaderboard_["status"] == "ok").sum() >= 4
    predictions = model.predict(X_test)
    assert len(predictions) == len(X_test)
    if task == "regression":
        baseline = np.sqrt(np.mean((y_test - y_train.mean()) ** 2))
        assert np.sqrt(np.mean((y_test - predictions) ** 2)) < baseline
    else:
        assert set(predictions) <= set(y_train)
        assert (predictions == y_test.to_numpy()).mean() > y_test.value_counts(normalize=True).max()
