from __future__ import annotations

import pytest

from automl.base.exceptions import ConfigError, InputError
from automl.search.loop import Proposer
from automl.space.compiled import compile_space
from automl.space.components import load_components


@pytest.fixture(scope="module")
def space():
    return compile_space(load_components(), "binary", n_rows=1000)


def test_encode_gives_hyperopt_form_and_decode_reads_it(space):
    config = space.default_config("random_forest")
    vals = space.encode(config)
    assert vals["model"] == [space.model_names.index("random_forest")]
    assert vals["model.random_forest.bootstrap"] == [0]  # a choice is reported as an index
    assert vals["model.lightgbm.num_leaves"] == []  # inactive branch
    assert space.decode(vals) == config


def test_conditional_hyperparameter_follows_its_parent(space):
    config = space.default_config("random_forest")
    config["model.random_forest.bootstrap"] = False
    validated = space.validate(config)
    assert "model.random_forest.max_samples" not in validated
    assert space.decode(space.encode(validated)) == validated


def test_sampled_configs_are_valid_and_round_trip(space):
    proposer = Proposer(space, "random", seed=0, n_startup_trials=0)
    for _ in range(60):
        trial_id, config = proposer.ask()
        assert space.validate(config) == config
        assert space.decode(space.encode(config)) == config
        proposer.tell(trial_id, 0.5)


def test_int_hyperparameters_come_back_as_ints(space):
    proposer = Proposer(space, "random", seed=1, n_startup_trials=0)
    for _ in range(30):
        _, config = proposer.ask()
        for key, value in config.items():
            if key.endswith((".num_leaves", ".n_neighbors", ".min_samples_leaf")):
                assert isinstance(value, int)


def test_default_config_uses_model_slot_preferences(space):
    assert space.default_config("logistic_regression")["scaler"] == "standard"
    assert space.default_config()["model"] == "lightgbm"


@pytest.mark.parametrize("change, message", [
    ({"model": "nope"}, "not in this search space"),
    ({"model.lightgbm.num_leaves": 100000}, "outside"),
    ({"model.lightgbm.num_leaves": "many"}, "must be a number"),
    ({"model.lightgbm.num_leaves": 3.5}, "outside|whole"),
    ({"scaler": "magic"}, "not in this search space"),
    ({"model.lightgbm.unknown": 1}, "does not know"),
])
def test_validate_names_the_bad_key(space, change, message):
    config = {**space.default_config(), **change}
    with pytest.raises(ConfigError, match=message):
        space.validate(config)


def test_partial_config_is_completed_with_defaults(space):
    config = space.validate({"model": "k_nearest_neighbors"})
    assert config["model.k_nearest_neighbors.n_neighbors"] == 5
    assert config["encoder"] == "onehot"


def test_row_limits_and_task_filter_models():
    small = compile_space(load_components(), "binary", n_rows=500).model_names
    large = compile_space(load_components(), "binary", n_rows=60_000).model_names
    regression = compile_space(load_components(), "regression", n_rows=500).model_names
    assert "svc" in small and "svc" not in large
    assert "logistic_regression" not in regression and "ridge" in regression


def test_include_and_exclude_models():
    space = compile_space(load_components(), "binary", 500, include_models=["mlp", "lightgbm"])
    assert space.model_names == ["mlp", "lightgbm"]
    space = compile_space(load_components(), "binary", 500, exclude_models=["lightgbm"])
    assert "lightgbm" not in space.model_names
    with pytest.raises(InputError, match="do not exist"):
        compile_space(load_components(), "binary", 500, include_models=["ridge"])
    with pytest.raises(InputError, match="list of model names"):
        compile_space(load_components(), "binary", 500, include_models="lightgbm")
