"""Class probabilities mixed with the class shares under log loss: no class at probability 0,
the weight fitted out of fold, the rule of succession's floor, and the 1-nearest-neighbour
pipeline that was shipped on penguins with hard 0/1 probabilities."""

from __future__ import annotations

import pickle
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import train_test_split

import automl
from automl.base.metrics import get_metric
from automl.final.assemble import FinalModel, with_prior_blend
from automl.final.prior_blend import PriorBlend, blend_weight, minimum_weight
from automl.trials.evaluate import predict_raw
from automl.trials.prediction_store import PredictionStore

from conftest import EXAMPLES, evaluation_context

SHARES = np.array([0.5, 0.3, 0.2])


def _hard(y: np.ndarray, n_classes: int = 3) -> np.ndarray:
    return np.eye(n_classes)[y]


def test_no_error_out_of_fold_gives_the_rule_of_succession():
    y = np.arange(300) % 3
    assert blend_weight(_hard(y), y, SHARES) == pytest.approx(1 / 302)
    assert minimum_weight(0) == 0.5 and minimum_weight(98) == 0.01


def test_confident_errors_out_of_fold_raise_the_weight():
    y = np.arange(300) % 3
    predicted = y.copy()
    predicted[:15] = (y[:15] + 1) % 3  # 5 % of the rows confidently wrong
    proba = _hard(predicted)
    weight = blend_weight(proba, y, SHARES)
    assert weight > 0.05

    def mixed(w: float) -> np.ndarray:
        return (1 - w) * proba + w * SHARES

    best = log_loss(y, mixed(weight), labels=[0, 1, 2])
    for other in (minimum_weight(300), weight / 2, weight * 2, 0.5):
        assert best <= log_loss(y, mixed(other), labels=[0, 1, 2]) + 1e-9


def test_rows_without_predictions_are_left_out():
    y = np.arange(100) % 3
    proba = _hard(y).astype(float)
    proba[:50] = np.nan  # a holdout validates some rows only
    assert blend_weight(proba, y, SHARES) == pytest.approx(1 / 52)
    assert blend_weight(np.full((4, 3), np.nan), y[:4], SHARES) == 0.5


class _Hard:
    """A fitted model with 0/1 probabilities over three codes."""

    classes_ = np.arange(3)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return _hard(np.asarray(X, dtype=int)[:, 0])


def test_the_blend_never_gives_probability_zero_and_keeps_rankings():
    X = np.array([[0], [1], [2], [2], [1]])
    blend = PriorBlend(_Hard(), SHARES, 0.01)
    proba = blend.predict_proba(X)
    assert np.allclose(proba.sum(axis=1), 1) and proba.min() == pytest.approx(0.01 * 0.2)
    assert list(blend.predict(X)) == [0, 1, 2, 2, 1]
    raw = _Hard().predict_proba(X)
    y = np.array([0, 1, 2, 1, 1])
    assert roc_auc_score(y, proba, multi_class="ovr") == roc_auc_score(y, raw, multi_class="ovr")
    assert np.allclose(pickle.loads(pickle.dumps(blend)).predict_proba(X), proba)


@pytest.mark.parametrize("weight, shares", [(-0.1, SHARES), (1.5, SHARES), (0.1, [0.5, 0.6])])
def test_a_blend_needs_a_weight_and_shares(weight, shares):
    with pytest.raises(ValueError, match="prior blend needs a weight in"):
        PriorBlend(_Hard(), np.asarray(shares), weight)


@pytest.fixture(scope="module")
def species_split():
    frame = pd.read_csv(EXAMPLES / "penguins.csv")
    X, y = frame.drop(columns="species"), frame["species"]
    return train_test_split(X, y, test_size=0.25, random_state=1, stratify=y)


def test_a_one_nearest_neighbour_model_is_not_shipped_with_hard_probabilities(species_split):
    """The case that shipped: 1-NN on penguins, perfect or nearly so out of fold, wrong on a
    few test rows at probability 0 for the true class (test log loss 1.26 unmixed)."""
    X_train, X_test, y_train, y_test = species_split
    one_nn = {"model": "k_nearest_neighbors", "model.k_nearest_neighbors.n_neighbors": 1,
              "model.k_nearest_neighbors.weights": "uniform", "model.k_nearest_neighbors.p": 2}
    model = automl.fit(X_train, y_train, time_budget=20, random_state=0, max_trials=2,
                       ensemble=False, warm_start=False, include_models=["k_nearest_neighbors"],
                       initial_configs=[one_nn])
    assert model.ensemble_.loc[0, "config"]["model.k_nearest_neighbors.n_neighbors"] == 1
    assert isinstance(model.model_, PriorBlend)
    assert minimum_weight(len(y_train)) <= model.prior_weight_ < 0.05
    proba = model.predict_proba(X_test)
    assert proba.min() > 0
    unmixed = log_loss(y_test, predict_raw(model.model_.model, model._prepare(X_test), 3),
                       labels=model.classes_)
    mixed = log_loss(y_test, proba, labels=model.classes_)
    prior = log_loss(y_test, np.tile(y_train.value_counts(normalize=True)
                                     .reindex(model.classes_).to_numpy(), (len(y_test), 1)),
                     labels=model.classes_)
    assert mixed < prior < unmixed  # the hard model was worse than the prior; mixed, it is not


def test_other_metrics_and_regression_are_not_blended(species_split):
    X_train, _, y_train, _ = species_split
    model = automl.fit(X_train, y_train, time_budget=15, random_state=0, max_trials=2,
                       metric="accuracy", warm_start=False)
    assert model.prior_weight_ == 0.0 and not isinstance(model.model_, PriorBlend)
    mass = X_train.assign(species=y_train).dropna(subset=["body_mass_g"])
    regressor = automl.fit(mass.drop(columns="body_mass_g"), mass["body_mass_g"],
                           time_budget=15, random_state=0, max_trials=2, warm_start=False)
    assert regressor.prior_weight_ == 0.0


@pytest.fixture(scope="module")
def species_context():
    return evaluation_context(pd.read_csv(EXAMPLES / "penguins.csv"), "species")[0]


def test_the_weight_is_fitted_on_the_final_models_own_predictions(species_context, tmp_path):
    context = species_context
    y, n = context.dataset.y, context.dataset.n_rows
    store = PredictionStore(5, tmp_path)
    store.add(1, -0.1, _hard(y))  # right on every row
    wrong = _hard(y)
    wrong[:30] = _hard((y[:30] + 1) % 3)
    store.add(2, -0.2, wrong)
    shares = np.bincount(y) / n
    alone = with_prior_blend(FinalModel("model", {1: 1.0}), store, context)
    assert alone.prior_weight == pytest.approx(1 / (n + 2))
    assert alone.model.model == "model" and np.allclose(alone.model.shares, shares)
    blended = with_prior_blend(FinalModel("model", {1: 0.25, 2: 0.75}), store, context)
    assert blended.prior_weight == pytest.approx(blend_weight(0.25 * _hard(y) + 0.75 * wrong,
                                                              y, shares))
    confident = with_prior_blend(FinalModel("model", {2: 1.0}), store, context)
    assert confident.prior_weight > 0.05 > alone.prior_weight
    assert confident.model.fitted == pytest.approx(confident.prior_weight, rel=1e-3)
    assert alone.model.fitted < 1e-6  # out of fold alone, no weight: the floor decided
    unkept = with_prior_blend(FinalModel("model", {7: 1.0}), store, context)  # e.g. a preview
    assert unkept.prior_weight == pytest.approx(1 / (n + 2)) and unkept.model.fitted is None


def test_the_prior_itself_and_other_metrics_are_left_as_they_are(species_context, tmp_path):
    store = PredictionStore(5, tmp_path)
    prior = FinalModel("prior")  # no members: the prior-predicting fallback
    assert with_prior_blend(prior, store, species_context) is prior
    accuracy = replace(species_context, metric=get_metric("accuracy", "multiclass"))
    final = FinalModel("model", {1: 1.0})
    assert with_prior_blend(final, store, accuracy) is final
