"""The jobs a worker process can run: score a config, or fit one on all rows.

Kept apart from ``runner.py`` so that the runner knows nothing about what it runs.
"""

from __future__ import annotations

from typing import Any

import cloudpickle

from automl.components import resolve
from automl.evaluate import EvaluationContext, TrialResult, fit_final, preview, score_and_keep
from automl.exceptions import ComponentError


def handle(request: tuple[str, Any], context: EvaluationContext, n_threads: int) -> Any:
    """Run one request: ``("evaluate", (config, keep))``, ``("preview", (config, rows))`` or
    ``("refit", config)``.

    ``evaluate`` with ``keep`` also returns, pickled, the pipeline fitted on the last fold's
    training rows, so the first trial leaves a usable model behind without a second fit; a
    preview always returns its pipeline.
    """
    kind, argument = request
    if kind == "evaluate":
        config, keep = argument
        result, pipeline = score_and_keep(config, context, n_threads)
        return result, (_pickled(pipeline) if keep and pipeline is not None else None)
    if kind == "preview":
        config, rows = argument
        result, pipeline = preview(config, context, rows, n_threads)
        return result, (_pickled(pipeline) if pipeline is not None else None)
    if kind == "refit":
        return _refit_or_error(argument, context, n_threads)
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


def _refit_or_error(config: dict, context: EvaluationContext, n_threads: int) -> bytes | str:
    try:
        return _pickled(fit_final(config, context, n_threads))
    except MemoryError as error:
        return f"MemoryError: {error}"
    except Exception as error:  # reported to the parent, which falls back
        return f"{type(error).__name__}: {error}"


def _pickled(pipeline: Any) -> bytes | str:
    try:
        return cloudpickle.dumps(pipeline)
    except Exception as error:  # reported to the parent, which falls back
        return f"{type(error).__name__}: {error}"


__all__ = ["handle", "TrialResult"]
