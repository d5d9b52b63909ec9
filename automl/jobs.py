"""The jobs a worker process can run: score a config, or fit one on all rows.

Kept apart from ``runner.py`` so that the runner knows nothing about what it runs.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cloudpickle

from automl.components import resolve
from automl.ensemble import fold_average
from automl.evaluate import EvaluationContext, TrialResult, preview, score_and_keep_folds
from automl.exceptions import ComponentError
from automl.model_size import estimate_handover
from automl.refit_check import checked_refit

logger = logging.getLogger(__name__)

# Fold models larger than this, pickled, are not kept: the pickling stops there. Writing more
# would eat into the trial's time (a forest on 80,000 rows pickles to gigabytes), and so
# would loading it at the end of the budget.
MAX_FOLD_MODEL_BYTES = 128 * 2**20
# Nor are they kept by a trial whose fits took more than this share of its time limit: their
# pickling must not push it past the limit (it would lose the trial's score with them).
MAX_FOLD_MODEL_TIME_SHARE = 0.5


@dataclass(frozen=True)
class RefitFile:
    """A refit's model, pickled to ``path`` by the worker: its size and the seconds it should
    take to load (``automl.model_size``)."""

    path: str
    nbytes: int
    load_seconds: float


class _TooLarge(Exception):
    """The pickle passed ``MAX_FOLD_MODEL_BYTES``."""


class _CappedFile:
    """A binary file that refuses to grow past a size: pickling into it stops there."""

    def __init__(self, handle: Any, cap: int) -> None:
        self.handle, self.cap, self.written = handle, cap, 0

    def write(self, data: Any) -> int:
        # Pickle protocol 5 hands large arrays over as buffers (PickleBuffer), not bytes.
        self.written += memoryview(data).nbytes
        if self.written > self.cap:
            raise _TooLarge
        return self.handle.write(data)


def handle(request: tuple[str, Any], context: EvaluationContext, n_threads: int) -> Any:
    """Run one request: ``("evaluate", (config, keep, folds_to))``, ``("preview", (config,
    rows))`` or ``("refit", (config, path, validated_score))``.

    ``evaluate`` with ``keep`` also returns, pickled, the pipeline fitted on the last fold's
    training rows, so the first trial leaves a usable model behind without a second fit; a
    preview always returns its pipeline; a refit writes the pipeline fitted on all rows to
    ``path`` and returns a :class:`RefitFile`, unless it fails ``automl.refit_check`` against
    the trial's validation score (then the error, as for any failed refit). With
    ``folds_to`` = (file, threshold, time limit, least fit seconds), a trial that scores above
    the threshold, and whose fits took at least the least fit seconds and at most
    ``MAX_FOLD_MODEL_TIME_SHARE`` of its time limit, writes its fold models, averaged, to that
    file and says so in ``TrialResult.fold_models``.
    """
    kind, argument = request
    if kind == "evaluate":
        config, keep, folds_to = argument
        result, pipelines = score_and_keep_folds(config, context, n_threads,
                                                 every=folds_to is not None)
        if folds_to is not None and _keeps_folds(result, *folds_to[1:]):
            result = replace(result, fold_models=_save_folds(pipelines, context, folds_to[0]))
        return result, (_pickled(pipelines[-1]) if keep and pipelines else None)
    if kind == "preview":
        config, rows = argument
        result, pipeline = preview(config, context, rows, n_threads)
        return result, (_pickled(pipeline) if pipeline is not None else None)
    if kind == "refit":
        return _refit_or_error(*argument, context, n_threads)
    raise ValueError(f"unknown job kind {kind!r}")


def warm_up(context: EvaluationContext) -> None:
    """Import every estimator the space can build, so that no trial's clock pays for it."""
    for specs in context.space.slots.values():
        for spec in specs:
            path = spec.estimator_path(context.space.task)
            if path != "passthrough":
                try:
                    resolve(path)
                except ComponentError:
                    pass  # reported by the trial that needs it


def _refit_or_error(config: dict, path: str, validated_score: float | None,
                    context: EvaluationContext, n_threads: int) -> RefitFile | str:
    """Fit ``config`` on all rows, check it against ``validated_score`` and pickle it to
    ``path``; what the parent needs to load it, or the error."""
    try:
        model = checked_refit(config, context, n_threads, validated_score)
        load_seconds = estimate_handover(model).load_seconds
        _dump(model, path)
        return RefitFile(path, os.path.getsize(path), load_seconds)
    except MemoryError as error:
        return f"MemoryError: {error}"
    except Exception as error:  # reported to the parent, which falls back
        return f"{type(error).__name__}: {error}"


def _dump(model: Any, path: str, max_bytes: int | None = None) -> None:
    """Pickle ``model`` to ``path`` (stopping with ``_TooLarge`` past ``max_bytes``), never
    leaving a half-written file under the name the parent reads."""
    temporary = f"{path}.tmp"
    try:
        with open(temporary, "wb") as handle:
            cloudpickle.dump(model, handle if max_bytes is None
                             else _CappedFile(handle, max_bytes))
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def _keeps_folds(result: TrialResult, threshold: float, time_limit: float,
                 min_fit_seconds: float) -> bool:
    """Whether a trial's fold models are worth keeping (see :func:`handle`)."""
    return result.status == "ok" and result.score > threshold and \
        min_fit_seconds <= result.fit_seconds <= MAX_FOLD_MODEL_TIME_SHARE * time_limit


def _save_folds(pipelines: list[Any], context: EvaluationContext, path: str) -> str | None:
    """Write the fold models, averaged, to ``path``; the path, or None when they were too
    large or could not be pickled or written."""
    try:
        _dump(fold_average(pipelines, context.dataset.n_classes), path, MAX_FOLD_MODEL_BYTES)
        return path
    except Exception as error:  # the refit path remains; this is a fallback only
        if not isinstance(error, _TooLarge):
            logger.info("fold models not kept: %s: %s", type(error).__name__, error)
        return None


def _pickled(pipeline: Any) -> bytes | str:
    try:
        return cloudpickle.dumps(pipeline)
    except Exception as error:  # reported to the parent, which falls back
        return f"{type(error).__name__}: {error}"


__all__ = ["handle", "TrialResult"]
