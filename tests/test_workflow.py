import re

import numpy as np
import pandas as pd
import pytest

from automl.base.exceptions import InputError
from automl.workflow import baseline_summary, fit_table, predict_table

from conftest import EXAMPLES


def test_fit_table_holds_out_rows_and_leaves_the_id_out(saved_classifier):
    model = saved_classifier.model
    X_held, y_held = saved_classifier.holdout
    assert "id" not in model.feature_names_in_ and "species" not in model.feature_names_in_
    assert len(X_held) == round(258 * 0.25) and "id" not in X_held.columns
    assert set(y_held) == set(model.classes_)  # stratified: every species held out
    assert saved_classifier.data_summary["rows"] == 258 - len(X_held)
    assert saved_classifier.id_column == "id" and saved_classifier.target == "species"
    assert (model.leaderboard_["status"] == "ok").sum() >= 1


def test_rows_without_a_target_are_left_out_with_a_warning(saved_regressor):
    X_held, y_held = saved_regressor.holdout
    assert saved_regressor.data_summary["rows"] + len(y_held) == 342  # 344 less 2 missing
    assert y_held.notna().all()
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [np.nan] * 3})
    with pytest.raises(InputError, match="no values"):
        fit_table(frame, "y", time_budget=5)


@pytest.mark.parametrize("holdout", [-0.1, 0.95, "0.2", True])
def test_bad_holdout_is_refused_before_any_search(holdout):
    frame = pd.read_csv(EXAMPLES / "penguins.csv")
    with pytest.raises(InputError, match="holdout must be a share"):
        fit_table(frame, "species", time_budget=5, holdout=holdout)


def test_predictions_carry_the_ids_in_the_order_given(saved_classifier):
    test = pd.read_csv(EXAMPLES / "kaggle" / "test.csv").iloc[::-1]
    shuffled = test[list(reversed(test.columns))]  # column order does not matter
    labels = predict_table(saved_classifier, shuffled)
    assert list(labels.columns) == ["id", "species"]
    assert labels["id"].tolist() == test["id"].tolist()
    assert set(labels["species"]) <= set(saved_classifier.model.classes_)
    proba = predict_table(saved_classifier, test, proba=True)
    assert list(proba.columns) == ["id", *map(str, saved_classifier.model.classes_)]
    assert np.allclose(proba.iloc[:, 1:].sum(axis=1), 1.0)


def test_prediction_input_problems_are_named(saved_classifier, saved_regressor):
    test = pd.read_csv(EXAMPLES / "kaggle" / "test.csv")
    with pytest.raises(InputError, match="no id column 'id'"):
        predict_table(saved_classifier, test.drop(columns="id"))
    with pytest.raises(InputError, match="lacks 1 column"):
        predict_table(saved_classifier, test.drop(columns="island"))
    with pytest.raises(InputError, match="needs a classifier"):
        predict_table(saved_regressor, test, proba=True)


def test_baseline_summary_names_task_metric_dummy_and_families(saved_regressor):
    from automl.diagnostics import held_out_evaluation
    held_out = held_out_evaluation(saved_regressor.model, *saved_regressor.holdout,
                                   saved_regressor.data_summary["prior"])
    text = baseline_summary(saved_regressor, held_out)
    assert "task: regression; metric: rmse (lower is better)" in text
    assert "dummy baseline (training prior): rmse" in text
    assert re.search(r"best validation rmse per family: \w+ \d", text)
    assert "chosen model:" in text and "held-out rmse" in text
    nearest = saved_regressor.model.warm_start_neighbours_["dataset"]
    assert "- warm start: the search began with" in text
    assert f"nearest past datasets: {', '.join(nearest)}" in text
