"""The order of the first trials: ``automl.fitting.initial_configs``."""

from __future__ import annotations

from automl.components import load_components
from automl.evaluate import preview_config
from automl.fitting import initial_configs
from automl.space import compile_space


def _space(task: str = "multiclass"):
    return compile_space(load_components(), task, 1_000, None, None)


def test_without_warm_configs_the_fast_default_then_every_other_familys_defaults():
    space = _space()
    queued = initial_configs(space, ())
    assert queued[0] == (space.default_config(), "default")
    assert [config["model"] for config, _ in queued] == space.model_names
    assert {source for _, source in queued} == {"default"}


def test_warm_configs_come_before_the_family_defaults_and_nothing_is_queued_twice():
    space = _space()
    forest, svc = space.default_config("random_forest"), space.default_config("svc")
    tuned = {**forest, "model.random_forest.n_estimators": 300}
    queued = initial_configs(space, [svc], [(tuned, "portfolio"), (forest, "warmstart")])
    sources = [source for _, source in queued]
    assert sources[:4] == ["default", "user", "portfolio", "warmstart"]
    assert [config for config, _ in queued[1:4]] == [svc, tuned, forest]
    rest = [config["model"] for config, _ in queued[4:]]
    assert rest == [name for name in space.model_names[1:] if name not in ("random_forest", "svc")]
    assert set(sources[4:]) == {"default"}


def test_many_classes_put_a_cheap_default_before_the_full_one():
    space = _space()
    queued = initial_configs(space, (), (), n_classes=10)
    cheap = preview_config(space.default_config(), 10)
    assert cheap != space.default_config()
    assert queued[:2] == [(cheap, "default"), (space.default_config(), "default")]
    assert space.validate(cheap) == cheap  # a config of the space, so TPE can learn from it


def test_binary_and_regression_defaults_are_not_cut():
    for task, n_classes in (("binary", 2), ("regression", 0)):
        space = _space(task)
        assert initial_configs(space, (), (), n_classes)[0] == (space.default_config(), "default")
