from __future__ import annotations

from pathlib import Path

import pytest

from automl.base.exceptions import ComponentError
from automl.space.compiled import compile_space
from automl.space.components import SLOTS, builtin_component_dir, load_components, read_component


@pytest.mark.parametrize("component", load_components(), ids=lambda c: f"{c.slot}.{c.name}")
def test_default_config_round_trips(component):
    task = component.tasks[0]
    space = compile_space(load_components(), task, n_rows=100)
    if component.slot == "model":
        config = space.default_config(component.name)
    else:
        config = space.default_config()
        config[component.slot] = component.name
        config = space.validate(config)
    assert space.decode(space.encode(config)) == config
    assert config[component.slot] == component.name


def test_shipped_files_cover_every_slot():
    assert builtin_component_dir().is_dir()
    slots = {component.slot for component in load_components()}
    assert slots == set(SLOTS)


def test_every_required_family_is_declared():
    models = {c.name: c.tasks for c in load_components() if c.slot == "model"}
    for name in ["lightgbm", "hist_gradient_boosting", "random_forest", "extra_trees",
                 "k_nearest_neighbors", "mlp"]:
        assert set(models[name]) == {"binary", "multiclass", "regression"}
    for name in ["logistic_regression", "sgd", "svc", "linear_discriminant_analysis"]:
        assert "regression" not in models[name]
    for name in ["ridge", "elastic_net", "svr"]:
        assert models[name] == ("regression",)


def test_extra_components_are_added(tmp_path):
    names = {c.name for c in load_components([Path(__file__).parent / "faulty_components"])}
    assert {"sleeper", "raiser", "lightgbm"} <= names


@pytest.mark.parametrize("text, message", [
    ('name = "x"\nkind = "gadget"\nestimator = "a.B"', "kind"),
    ('name = "x"\nkind = "model"\nestimator = "a.B"\n[hyperparameters]\n'
     'a = { type = "int", low = 5, high = 1, default = 3 }', "low < high"),
    ('name = "x"\nkind = "model"\nestimator = "a.B"\n[hyperparameters]\n'
     'a = { type = "float", low = 0.1, high = 1.0, default = 0.5, when = { b = true } }',
     "depends on"),
    ('name = "x"\nkind = "model"', "malformed"),
    ('name = "x" kind', "cannot read"),
])
def test_malformed_files_are_rejected(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ComponentError, match=message):
        read_component(path)


def test_duplicate_names_are_rejected(tmp_path):
    (tmp_path / "copy.toml").write_text(
        'name = "lightgbm"\nkind = "model"\nestimator = "lightgbm.LGBMClassifier"')
    with pytest.raises(ComponentError, match="two components"):
        load_components([tmp_path])


def test_missing_extra_path_is_rejected(tmp_path):
    with pytest.raises(ComponentError, match="neither"):
        load_components([tmp_path / "nope.toml"])
