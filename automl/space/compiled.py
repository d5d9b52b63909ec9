"""Compile component files into one conditional hyperopt space, and translate configs.

Everything outside this module sees a *readable config*: a flat dict of plain Python values,
for example ``{"model": "random_forest", "model.random_forest.max_features": 0.37, ...}``.
hyperopt's own form (choices as indices, quantised ints as floats, one list per label) is
produced by ``encode`` and read by ``decode`` and nowhere else.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable, Sequence

from hyperopt import hp

from automl.base.exceptions import ConfigError, InputError
from automl.space.components import SLOTS, ComponentSpec, Hyperparameter, load_components

Config = dict[str, Any]


def label(spec: ComponentSpec, hyperparameter: Hyperparameter | str) -> str:
    """The unique, readable key of a hyperparameter: 'slot.component.name'."""
    name = hyperparameter if isinstance(hyperparameter, str) else hyperparameter.name
    return f"{spec.slot}.{spec.name}.{name}"


@dataclass(frozen=True)
class CompiledSpace:
    """The components allowed for one task and dataset size, and their hyperopt space."""

    task: str
    slots: dict[str, tuple[ComponentSpec, ...]]
    expression: Any  # hyperopt's pyll graph, handed to hyperopt.base.Domain

    def component(self, slot: str, name: str) -> ComponentSpec:
        """The component filling ``slot`` under ``name``."""
        for spec in self.slots[slot]:
            if spec.name == name:
                return spec
        names = [spec.name for spec in self.slots[slot]]
        raise ConfigError(f"{slot} {name!r} is not in this search space; choose from {names}.")

    @property
    def model_names(self) -> list[str]:
        return [spec.name for spec in self.slots["model"]]

    def default_config(self, model: str | None = None) -> Config:
        """The defaults of one model family (the first by priority when None) and its slots."""
        model_spec = self.component("model", model) if model else self.slots["model"][0]
        config: Config = {}
        for slot in SLOTS:
            spec = model_spec if slot == "model" else self._default_component(slot, model_spec)
            config[slot] = spec.name
            for hyperparameter in _active(spec, {h.name: h.default for h in spec.hyperparameters}):
                config[label(spec, hyperparameter)] = hyperparameter.default
        return config

    def _default_component(self, slot: str, model_spec: ComponentSpec) -> ComponentSpec:
        wanted = model_spec.slot_defaults.get(slot)
        names = [spec.name for spec in self.slots[slot]]
        if wanted in names:
            return self.component(slot, wanted)
        return next((spec for spec in self.slots[slot] if spec.default), self.slots[slot][0])

    def encode(self, config: Config) -> dict[str, list[Any]]:
        """Readable config -> hyperopt's ``vals`` (one list per label, empty when inactive)."""
        config = self.validate(config)
        vals: dict[str, list[Any]] = {slot: [] for slot in SLOTS}
        for slot in SLOTS:
            for index, spec in enumerate(self.slots[slot]):
                if spec.name == config[slot]:
                    vals[slot] = [index]
                for hyperparameter in spec.hyperparameters:
                    key = label(spec, hyperparameter)
                    vals[key] = [_to_hyperopt(hyperparameter, config[key])] if key in config else []
        return vals

    def decode(self, vals: dict[str, Sequence[Any]]) -> Config:
        """hyperopt's ``vals`` -> readable config."""
        config: Config = {}
        for slot in SLOTS:
            spec = self.slots[slot][int(vals[slot][0])]
            config[slot] = spec.name
            raw = {h.name: vals[label(spec, h)][0] for h in spec.hyperparameters
                   if len(vals.get(label(spec, h), ())) > 0}
            values = {name: _from_hyperopt(h, raw[name])
                      for h in spec.hyperparameters for name in [h.name] if name in raw}
            for hyperparameter in _active(spec, values):
                config[label(spec, hyperparameter)] = values[hyperparameter.name]
        return config

    def validate(self, config: Config) -> Config:
        """Check a readable config against this space; fill absent hyperparameters with defaults.

        Raises ConfigError naming the first key that does not fit (an unknown component or key,
        a value out of range or of the wrong type).
        """
        if not isinstance(config, dict):
            raise ConfigError(f"a config must be a dict, got {type(config).__name__}.")
        result: Config = {}
        for slot in SLOTS:
            name = config.get(slot)
            if name is None:
                spec = self._default_component(slot, self.component("model", config["model"])) \
                    if slot != "model" and config.get("model") else None
                if spec is None:
                    raise ConfigError(f"config has no {slot!r} entry: {config!r}.")
            else:
                spec = self.component(slot, name)
            result[slot] = spec.name
            values = {}
            for hyperparameter in spec.hyperparameters:
                key = label(spec, hyperparameter)
                value = config.get(key, hyperparameter.default)
                values[hyperparameter.name] = _check_value(hyperparameter, value, key)
            for hyperparameter in _active(spec, values):
                result[label(spec, hyperparameter)] = values[hyperparameter.name]
        extra = set(config) - set(result) - _all_labels(self)
        if extra:
            raise ConfigError(f"config has keys this search space does not know: {sorted(extra)}.")
        return result


def compile_space(components: Iterable[ComponentSpec], task: str, n_rows: int,
                  include_models: Sequence[str] | None = None,
                  exclude_models: Sequence[str] | None = None) -> CompiledSpace:
    """Select the components that serve ``task`` at ``n_rows`` and build the hyperopt space."""
    components = list(components)
    _check_model_names(components, task, include_models, exclude_models)
    slots: dict[str, tuple[ComponentSpec, ...]] = {}
    for slot in SLOTS:
        chosen = [spec for spec in components if spec.slot == slot and task in spec.tasks]
        if slot == "model":
            chosen = [spec for spec in chosen
                      if (spec.max_rows is None or n_rows <= spec.max_rows or include_models)
                      and (not include_models or spec.name in include_models)
                      and spec.name not in (exclude_models or ())]
        if not chosen:
            raise InputError(f"no {slot} component is left for task {task!r} with {n_rows} rows; "
                             "check include_models / exclude_models.")
        if slot == "model" and include_models:  # the user's order is the priority order
            chosen.sort(key=lambda spec: list(include_models).index(spec.name))
        slots[slot] = tuple(chosen)
    expression = {slot: hp.choice(slot, [_branch(spec) for spec in slots[slot]]) for slot in SLOTS}
    return CompiledSpace(task=task, slots=slots, expression=expression)


def config_key(config: Config) -> str:
    """A config as canonical text: equal configs give equal keys (to de-duplicate them)."""
    return json.dumps(config, sort_keys=True, default=str)


@lru_cache(maxsize=4)
def task_space(task: str) -> CompiledSpace:
    """Every built-in component for ``task``, whatever the data size: the space stored configs
    (the knowledge base's) are judged by."""
    return compile_space(load_components(), task, n_rows=1)


def _check_model_names(components: list[ComponentSpec], task: str,
                       include_models: Sequence[str] | None,
                       exclude_models: Sequence[str] | None) -> None:
    known = sorted(spec.name for spec in components if spec.slot == "model" and task in spec.tasks)
    for option, names in (("include_models", include_models), ("exclude_models", exclude_models)):
        if names is None:
            continue
        if isinstance(names, str):
            raise InputError(f"{option} must be a list of model names, got the string {names!r}; "
                             f"write [{names!r}].")
        unknown = sorted(set(names) - set(known))
        if unknown:
            raise InputError(f"{option} names models that do not exist for task {task!r}: "
                             f"{unknown}. Known models: {known}.")


def _branch(spec: ComponentSpec) -> dict[str, Any]:
    """One option of a slot's choice: the component and its (conditional) hyperparameters."""
    branch: dict[str, Any] = {"component": spec.name}
    for hyperparameter in spec.hyperparameters:
        if hyperparameter.when is not None:
            continue
        key = label(spec, hyperparameter)
        children = [h for h in spec.hyperparameters if h.when and h.when[0] == hyperparameter.name]
        if children:
            branch[key] = hp.choice(key, [
                {"value": value, **{label(spec, child): _expression(label(spec, child), child)
                                    for child in children if value in child.when[1]}}
                for value in hyperparameter.values])
        else:
            branch[key] = _expression(key, hyperparameter)
    return branch


def _expression(key: str, hyperparameter: Hyperparameter) -> Any:
    if hyperparameter.type == "choice":
        return hp.choice(key, list(hyperparameter.values))
    low, high = hyperparameter.low, hyperparameter.high
    if hyperparameter.type == "int":
        if hyperparameter.log:
            return hp.qloguniform(key, math.log(low - 0.5 if low > 1 else low), math.log(high + 0.5), 1)
        return hp.quniform(key, low - 0.5, high + 0.5, 1)
    if hyperparameter.log:
        return hp.loguniform(key, math.log(low), math.log(high))
    return hp.uniform(key, low, high)


def _active(spec: ComponentSpec, values: dict[str, Any]) -> list[Hyperparameter]:
    """The hyperparameters whose condition holds for these values."""
    return [h for h in spec.hyperparameters
            if h.name in values and (h.when is None or values.get(h.when[0]) in h.when[1])]


def _to_hyperopt(hyperparameter: Hyperparameter, value: Any) -> Any:
    if hyperparameter.type == "choice":
        return hyperparameter.values.index(value)
    return float(value)


def _from_hyperopt(hyperparameter: Hyperparameter, raw: Any) -> Any:
    if hyperparameter.type == "choice":
        return hyperparameter.values[int(raw)]
    value = min(max(float(raw), hyperparameter.low), hyperparameter.high)
    return int(round(value)) if hyperparameter.type == "int" else value


def _check_value(hyperparameter: Hyperparameter, value: Any, key: str) -> Any:
    if hyperparameter.type == "choice":
        value = tuple(value) if isinstance(value, list) else value
        if value not in hyperparameter.values:
            raise ConfigError(f"{key} = {value!r} is not one of {list(hyperparameter.values)}.")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ConfigError(f"{key} must be a number, got {value!r}.")
    if not hyperparameter.low <= value <= hyperparameter.high:
        raise ConfigError(f"{key} = {value!r} is outside [{hyperparameter.low}, "
                          f"{hyperparameter.high}].")
    if hyperparameter.type == "int":
        if value != int(value):
            raise ConfigError(f"{key} must be a whole number, got {value!r}.")
        return int(value)
    return float(value)


def _all_labels(space: CompiledSpace) -> set[str]:
    return {label(spec, h) for specs in space.slots.values() for spec in specs
            for h in spec.hyperparameters}
