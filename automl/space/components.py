"""The registry of components: one declarative TOML file per preprocessor or model.

The files live in ``search_spaces/`` (shipped as ``automl.search_spaces``); users and tests
may add their own files or folders. This module only reads and checks them; turning them
into a hyperopt space is ``space.py``'s job and into estimators ``pipeline.py``'s.
"""

from __future__ import annotations

import hashlib
import importlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Literal

from automl.base.exceptions import ComponentError
from automl.input.data import TASKS

Task = Literal["binary", "multiclass", "regression"]
TaskFamily = Literal["classification", "regression"]
SLOTS: tuple[str, ...] = ("imputer", "encoder", "scaler", "feature", "model")
_TYPES = ("int", "float", "choice")


@dataclass(frozen=True)
class Hyperparameter:
    """One tunable argument of a component's estimator, in natural units."""

    name: str
    type: Literal["int", "float", "choice"]
    default: Any
    low: float | None = None
    high: float | None = None
    log: bool = False
    values: tuple[Any, ...] = ()
    when: tuple[str, tuple[Any, ...]] | None = None  # (parent hyperparameter, its values)


@dataclass(frozen=True)
class ComponentSpec:
    """What one search_spaces file declares."""

    name: str
    slot: str
    tasks: tuple[str, ...]
    estimators: dict[str, str]  # task family ("classification"/"regression"/"any") -> path
    fixed: dict[str, Any] = field(default_factory=dict)
    callables: dict[str, dict[str, str]] = field(default_factory=dict)
    hyperparameters: tuple[Hyperparameter, ...] = ()
    default: bool = False
    threads_param: str | None = None
    seed_param: str | None = None
    native_categorical: bool = False
    scale_target: bool = False
    max_rows: int | None = None
    priority: int = 100
    slot_defaults: dict[str, str] = field(default_factory=dict)
    source: str = ""

    def estimator_path(self, task: str) -> str:
        """The dotted path of the estimator class for a task ('passthrough' for none)."""
        family = "regression" if task == "regression" else "classification"
        return self.estimators.get(family) or self.estimators["any"]


def task_family(task: str) -> TaskFamily:
    """Map a task to the estimator family that serves it."""
    return "regression" if task == "regression" else "classification"


def builtin_component_dir() -> Path:
    """Where the shipped search_spaces/ files are, from a checkout or an installed wheel."""
    return shipped_folder("automl.search_spaces", "search_spaces")


def space_version() -> str:
    """A digest of the built-in component files: the knowledge base records which search
    space its configs were drawn from."""
    digest = hashlib.sha256()
    folder = builtin_component_dir()
    for path in sorted(folder.rglob("*.toml")):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def shipped_folder(package: str, checkout_folder: str) -> Path:
    """The folder of a data package shipped in the wheel (``package``), or, when running
    from a checkout without an install, its folder at the repository root."""
    try:
        module = importlib.import_module(package)
        return Path(next(iter(module.__path__)))
    except ImportError:  # running from a checkout without an install
        return Path(__file__).resolve().parents[2] / checkout_folder


def load_components(extra: Iterable[str | Path] | None = None) -> list[ComponentSpec]:
    """Read the shipped component files plus any extra files or folders, sorted by slot."""
    paths = sorted(builtin_component_dir().rglob("*.toml"))
    for item in extra or ():
        item = Path(item)
        if item.is_dir():
            paths.extend(sorted(item.rglob("*.toml")))
        elif item.is_file():
            paths.append(item)
        else:
            raise ComponentError(f"extra_components entry {str(item)!r} is neither a TOML file "
                                 "nor a folder of them.")
    specs = [read_component(path) for path in paths]
    _check_unique(specs)
    return sorted(specs, key=lambda spec: (SLOTS.index(spec.slot), spec.priority, spec.name))


def read_component(path: Path) -> ComponentSpec:
    """Parse and check one component file."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ComponentError(f"cannot read component file {str(path)!r}: {error}") from error
    try:
        return _spec_from_dict(data, str(path))
    except (KeyError, TypeError) as error:
        raise ComponentError(f"component file {str(path)!r} is malformed: {error!r}") from error


def _spec_from_dict(data: dict[str, Any], source: str) -> ComponentSpec:
    kind = data["kind"]
    if kind not in ("model", "preprocessor"):
        raise ComponentError(f"{source}: kind must be 'model' or 'preprocessor', got {kind!r}.")
    slot = "model" if kind == "model" else data["slot"]
    if slot not in SLOTS:
        raise ComponentError(f"{source}: slot must be one of {SLOTS}, got {slot!r}.")
    tasks = tuple(data.get("tasks", TASKS))
    unknown = set(tasks) - set(TASKS)
    if unknown:
        raise ComponentError(f"{source}: unknown tasks {sorted(unknown)}; use {TASKS}.")
    estimator = data["estimator"]
    estimators = dict(estimator) if isinstance(estimator, dict) else {"any": estimator}
    hyperparameters = tuple(_hyperparameter(name, value, source)
                            for name, value in data.get("hyperparameters", {}).items())
    _check_conditions(hyperparameters, source)
    return ComponentSpec(
        name=data["name"], slot=slot, tasks=tasks, estimators=estimators,
        fixed=dict(data.get("fixed", {})), callables=dict(data.get("callables", {})),
        hyperparameters=hyperparameters, default=bool(data.get("default", False)),
        threads_param=data.get("threads_param"), seed_param=data.get("seed_param"),
        native_categorical=bool(data.get("native_categorical", False)),
        scale_target=bool(data.get("scale_target", False)), max_rows=data.get("max_rows"),
        priority=int(data.get("priority", 100)), slot_defaults=dict(data.get("slot_defaults", {})),
        source=source)


def _hyperparameter(name: str, spec: dict[str, Any], source: str) -> Hyperparameter:
    kind = spec["type"]
    if kind not in _TYPES:
        raise ComponentError(f"{source}: hyperparameter {name!r} has type {kind!r}; use {_TYPES}.")
    when = None
    if "when" in spec:
        ((parent, value),) = spec["when"].items()
        when = (parent, tuple(value) if isinstance(value, list) else (value,))
    if kind == "choice":
        values = tuple(_freeze(v) for v in spec["values"])
        default = _freeze(spec["default"])
        if default not in values:
            raise ComponentError(f"{source}: default {default!r} of {name!r} is not in {values}.")
        return Hyperparameter(name, kind, default, values=values, when=when)
    low, high, default = spec["low"], spec["high"], spec["default"]
    log = bool(spec.get("log", False))
    if not low <= default <= high or low >= high or (log and low <= 0):
        raise ComponentError(f"{source}: {name!r} needs low < high, low <= default <= high and "
                             f"low > 0 when log; got low={low}, high={high}, default={default}.")
    cast = int if kind == "int" else float
    return Hyperparameter(name, kind, cast(default), low=cast(low), high=cast(high), log=log,
                          when=when)


def _freeze(value: Any) -> Any:
    """Lists become tuples so that choice values are hashable and compare by value."""
    return tuple(value) if isinstance(value, list) else value


def _check_conditions(hyperparameters: tuple[Hyperparameter, ...], source: str) -> None:
    by_name = {hp.name: hp for hp in hyperparameters}
    for hp in hyperparameters:
        if hp.when is None:
            continue
        parent = by_name.get(hp.when[0])
        if parent is None or parent.type != "choice" or parent.when is not None:
            raise ComponentError(f"{source}: {hp.name!r} depends on {hp.when[0]!r}, which must "
                                 "be an unconditional choice hyperparameter of the same file.")
        missing = set(hp.when[1]) - set(parent.values)
        if missing:
            raise ComponentError(f"{source}: {hp.name!r} depends on values {sorted(missing)} "
                                 f"that {parent.name!r} never takes.")


def _check_unique(specs: list[ComponentSpec]) -> None:
    seen: dict[tuple[str, str], str] = {}
    for spec in specs:
        key = (spec.slot, spec.name)
        if key in seen:
            raise ComponentError(f"two components fill slot {spec.slot!r} under the name "
                                 f"{spec.name!r}: {seen[key]} and {spec.source}.")
        seen[key] = spec.source


def resolve(dotted_path: str) -> Any:
    """Import 'package.module.Name' and return Name."""
    module_name, _, attribute = dotted_path.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise ComponentError(f"cannot import {dotted_path!r}: {error}") from error
