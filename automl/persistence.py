"""Saving a fitted model with what it was fitted on, and loading it back with a version check.

A saved file is one pickle of a :class:`SavedModel`: the fitted estimator plus what the
command line and the report need beside it (the target's and the id column's names, a
summary of the training data, held-out rows when some were kept back) and the versions of
the libraries that fitted it. Pickles run code when loaded: load only files you trust.
"""

from __future__ import annotations

import os
import pickle
import platform
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from automl.base.exceptions import InputError, existing_file
from automl.base.metrics import get_metric

FORMAT = "automl-model"
# 2: scores in the metric's own units (1 kept the search's form, losses negated).
FORMAT_VERSION = 2
_LIBRARIES = ("automl", "scikit-learn", "lightgbm", "numpy", "pandas")
# Where the modules of the flat package (file formats 1 and 2 before the stage sub-packages)
# live now: a model saved then names its classes by their old modules.
_MOVED = {old: f"automl.{new}" for old, new in {
    "exceptions": "base.exceptions", "clock": "base.clock", "metrics": "base.metrics",
    "data": "input.data", "tables": "input.tables", "metafeatures": "input.metafeatures",
    "components": "space.components", "space": "space.compiled", "pipeline": "space.pipeline",
    "models": "space.models", "runner": "trials.runner", "jobs": "trials.jobs",
    "evaluate": "trials.evaluate", "threads": "trials.threads",
    "model_size": "trials.model_size", "trial_log": "trials.trial_log",
    "prediction_store": "trials.prediction_store", "run_dirs": "trials.run_dirs",
    "search": "search.loop", "warmstart": "search.warmstart", "assemble": "final.assemble",
    "ensemble": "final.ensemble",
    "refit": "final.refit", "refit_check": "final.refit_check",
    "prior_blend": "final.prior_blend",
}.items()}


@dataclass
class SavedModel:
    """A fitted model and its context.

    ``holdout`` holds rows kept out of ``fit`` (features and target), which the report
    scores the model on; None when every row went into the fit.
    """

    model: Any
    target: str | None = None
    id_column: str | None = None
    data_summary: dict[str, Any] = field(default_factory=dict)
    holdout: tuple[pd.DataFrame, pd.Series] | None = None
    versions: dict[str, str] = field(default_factory=dict)
    created_at: str = ""
    format: str = FORMAT
    format_version: int = FORMAT_VERSION


def library_versions() -> dict[str, str]:
    """Versions of the libraries whose objects a saved model pickles."""
    versions = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "unknown"
    return versions


def save_model(saved: SavedModel, path: str | os.PathLike) -> Path:
    """Write ``saved`` to ``path`` atomically: a crash mid-write leaves any older file whole."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"output {str(path)!r} is a folder; give a file name such as "
                         f"{str(path / 'model.pkl')!r}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    saved.versions = library_versions()
    saved.created_at = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            pickle.dump(saved, stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def load_model(path: str | os.PathLike) -> SavedModel:
    """Read a model written by :func:`save_model`.

    A file that is not one, or one written in a newer file format, is an ``InputError``;
    different library versions give a warning naming them (scikit-learn and LightGBM
    models usually load across versions, but predictions may differ).
    """
    path = existing_file(path, "model file",
                         "give the file `automl fit` wrote (model.pkl by default)")
    try:
        with path.open("rb") as stream:
            saved = _Unpickler(stream).load()
    except Exception as error:  # unpickling raises many types on a foreign or broken file
        raise InputError(f"model file {str(path)!r} is not a model saved by automl, or it is "
                         f"damaged ({type(error).__name__}: {error}).") from error
    if getattr(saved, "format", None) != FORMAT:
        raise InputError(f"model file {str(path)!r} holds a {type(saved).__name__}, not a "
                         f"model saved by automl (`automl fit` or automl.save_model).")
    if saved.format_version > FORMAT_VERSION:
        raise InputError(f"model file {str(path)!r} uses file format {saved.format_version}; "
                         f"this automl reads up to {FORMAT_VERSION}: upgrade automl.")
    _warn_on_version_change(path, saved.versions)
    if saved.format_version < 2:
        _scores_in_units(saved.model)
        saved.format_version = FORMAT_VERSION
    return saved


def _scores_in_units(model: Any) -> None:
    """Turn a format-1 model's search scores (losses negated) into the metric's own units."""
    try:
        sign = get_metric(model.metric_, model.task_).sign
    except (InputError, ValueError):
        sign = 1.0  # a scorer callable's name: higher-is-better already
    for name in ("best_score_", "ensemble_score_", "prior_score_"):
        if getattr(model, name, None) is not None:
            setattr(model, name, sign * getattr(model, name))
    for name in ("leaderboard_", "ensemble_"):
        frame = getattr(model, name).copy()
        frame["score"] = sign * frame["score"]
        setattr(model, name, frame)
    model.higher_is_better_ = sign > 0


def _warn_on_version_change(path: Path, saved: dict[str, str]) -> None:
    now = library_versions()
    changed = [f"{name} {saved[name]} -> {now[name]}" for name in _LIBRARIES
               if name in saved and saved[name] != now.get(name)]
    if changed:
        warnings.warn(f"model file {str(path)!r} was saved with other library versions "
                      f"({', '.join(changed)}); it may predict differently or fail. Refit "
                      f"it with the installed versions to be sure.", UserWarning, stacklevel=3)


class _Unpickler(pickle.Unpickler):
    """Reads a model saved before the package's modules moved into their stages."""

    def find_class(self, module: str, name: str) -> Any:
        if module.startswith("automl."):
            module = _MOVED.get(module.removeprefix("automl."), module)
        return super().find_class(module, name)
