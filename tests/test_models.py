from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris, load_wine
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from automl.space.models import PlattSVC, _couple


def _wine():
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


def test_probabilities_are_calibrated_and_agree_with_predict():
    X_train, X_test, y_train, y_test = _wine()
    model = PlattSVC(C=1.0, gamma=0.05, random_state=0).fit(X_train, y_train)
    proba = model.predict_proba(X_test)
    assert proba.shape == (len(X_test), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (proba >= 0).all()
    np.testing.assert_array_equal(model.predict(X_test), model.classes_[proba.argmax(axis=1)])
    assert log_loss(y_test, proba) < log_loss(y_test, np.full_like(proba, 1 / 3)) / 5


def test_no_deprecated_svc_probability_and_seeded():
    X_train, X_test, y_train, _ = _wine()
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        first = PlattSVC(random_state=3).fit(X_train, y_train).predict_proba(X_test)
    again = clone(PlattSVC(random_state=3)).fit(X_train, y_train).predict_proba(X_test)
    np.testing.assert_array_equal(first, again)


def test_binary_labels_keep_their_order_and_pickle():
    X, y = load_iris(return_X_y=True)
    keep = y > 0
    labels = np.where(y[keep] == 1, "versicolor", "virginica")
    model = PlattSVC(random_state=0).fit(X[keep], labels)
    assert list(model.classes_) == ["versicolor", "virginica"]
    proba = pickle.loads(pickle.dumps(model)).predict_proba(X[keep])
    # class 1 rows (versicolor) come first in iris: column 0 must be their probability
    assert proba[:50, 0].mean() > 0.8 and proba[50:, 1].mean() > 0.8


def test_a_class_with_one_row_still_gives_probabilities():
    X, y = load_iris(return_X_y=True)
    rows = np.r_[0:40, 50:90, 100]  # virginica has one row
    model = PlattSVC(random_state=0).fit(X[rows], y[rows])
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert proba.shape == (150, 3)


def test_fewer_rows_than_folds_in_a_class_lowers_the_folds():
    X, y = load_iris(return_X_y=True)
    rows = np.r_[0:40, 50:90, 100:103]  # three rows of virginica: three folds
    proba = PlattSVC(random_state=0).fit(X[rows], y[rows]).predict_proba(X)
    assert np.isfinite(proba).all()


def test_one_class_is_refused():
    with pytest.raises(ValueError, match="at least two classes"):
        PlattSVC().fit(np.zeros((4, 2)), [1, 1, 1, 1])


def test_coupling_recovers_consistent_pair_probabilities():
    truth = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    pairs = [(0, 1), (0, 2), (1, 2)]
    first_wins = np.array([[row[i] / (row[i] + row[j]) for i, j in pairs] for row in truth])
    np.testing.assert_allclose(_couple(first_wins, pairs, 3), truth, atol=1e-10)
    np.testing.assert_allclose(_couple(np.array([[0.7]]), [(0, 1)], 2), [[0.7, 0.3]])
