"""The size and handover estimates against real fitted models pickled for real."""

from __future__ import annotations

import cloudpickle
import numpy as np
import pytest
from lightgbm import LGBMClassifier
from sklearn.datasets import make_classification
from sklearn.ensemble import ExtraTreesClassifier, GradientBoostingRegressor
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from automl.trials.model_size import Handover, estimate_handover, estimated_pickle_bytes


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=3000, n_features=20, n_classes=4, n_informative=8,
                               random_state=0)


@pytest.mark.parametrize("model", [
    ExtraTreesClassifier(n_estimators=30, random_state=0),  # fully grown trees: large
    make_pipeline(StandardScaler(), KNeighborsClassifier()),  # keeps its training rows
    GradientBoostingRegressor(n_estimators=40, random_state=0),  # an object array of trees
], ids=["extra_trees", "knn_pipeline", "gradient_boosting"])
def test_the_estimate_is_close_to_the_pickled_size(data, model):
    X, y = data
    model.fit(X, y)
    actual = len(cloudpickle.dumps(model))
    # The k-NN's search tree is not counted: its arrays about double the training rows.
    low = 0.4 if "kneighbors" in str(model).lower() else 0.8
    assert low * actual <= estimated_pickle_bytes(model) <= 1.2 * actual


@pytest.mark.parametrize("leaves", [15, 500])  # 500: more than 3,000 rows fill, 20 a leaf
def test_a_lightgbm_model_is_counted_by_the_leaves_its_trees_grew(data, leaves):
    X, y = data
    model = LGBMClassifier(n_estimators=50, num_leaves=leaves, verbose=-1,
                           random_state=0).fit(X, y)
    actual = len(cloudpickle.dumps(model))
    assert 0.8 * actual <= estimated_pickle_bytes(model) <= 1.2 * actual
    handover = estimate_handover(model)
    assert handover.dump_seconds > handover.load_seconds > 0  # writing text is the slow part


def test_a_larger_model_takes_longer_to_hand_over(data):
    X, y = data
    small = ExtraTreesClassifier(n_estimators=5, random_state=0).fit(X[:500], y[:500])
    large = ExtraTreesClassifier(n_estimators=50, random_state=0).fit(X, y)
    assert estimate_handover(large).seconds > 10 * estimate_handover(small).seconds > 0


def test_shared_and_cyclic_references_are_counted_once():
    array = np.zeros(1000)
    holder = type("Holder", (), {})()
    holder.first, holder.second, holder.me = array, array, holder
    assert estimated_pickle_bytes(holder) == array.nbytes + 300  # the holder itself
    assert estimated_pickle_bytes([1, "text", 2.5, None]) == 0


class _Unmeasurable:
    """An object that raises when looked into, as a third-party component's might."""

    @property
    def __dict__(self):
        raise RuntimeError("not today")


def test_a_model_that_cannot_be_measured_has_no_handover_rather_than_an_error():
    assert estimate_handover([np.zeros(10), _Unmeasurable()]) == Handover()


def test_a_handover_scales_with_the_model():
    assert Handover(1.0, 2.0).scaled(1.25) == Handover(1.25, 2.5)
    assert Handover(1.0, 2.0).seconds == 3.0
