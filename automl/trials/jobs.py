"""The jobs a worker process runs for the search: score a config, or preview one.

Each job is a dataclass that carries its own ``run(context, n_threads)``: the worker
(``runner.serve``) runs whatever job it is sent and knows nothing about what it runs. The
final stage's job, the refit on all rows, is ``refit.RefitJob``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cloudpickle

from automl.space.compiled import Config
from automl.trials.budget import FOLD_MODELS_MAX_LIMIT_SHARE
from automl.trials.evaluate import EvaluationContext, TrialResult, score_and_keep_folds
from automl.trials.preview import preview

logger = logging.getLogger(__name__)

# Fold models larger than this, pickled, are not kept: the pickling stops there. Writing more
# would eat into the trial's time (a forest on 80,000 rows pickles to gigabytes), and so
# would loading it at the end of the budget.
MAX_FOLD_MODEL_BYTES = 128 * 2**20


@dataclass(frozen=True)
class EvaluateJob:
    """Score ``config`` by resampling (``evaluate.score_and_keep_folds``).

    With ``keep``, also return, pickled, the pipeline fitted on the last fold's training rows,
    so the first trial leaves a usable model behind without a second fit. With ``folds_to``
    = (file, threshold, time limit, least fit seconds), a trial that scores above the
    threshold, and whose fits took at least the least fit seconds and at most
    ``FOLD_MODELS_MAX_LIMIT_SHARE`` of its time limit, writes its fold models (the list of
    fitted pipelines) to that file and says so in ``TrialResult.fold_models``. ``split`` > 0
    scores it on another draw of the folds (``EvaluationContext.split_folds``).
    """

    config: Config
    keep: bool = False
    folds_to: tuple[str, float, float, float] | None = None
    split: int = 0

    def run(self, context: EvaluationContext, n_threads: int
            ) -> tuple[TrialResult, bytes | str | None]:
        result, pipelines = score_and_keep_folds(self.config, context, n_threads,
                                                 context.split_folds(self.split),
                                                 every=self.folds_to is not None)
        if self.folds_to is not None and _keeps_folds(result, *self.folds_to[1:]):
            result = replace(result, fold_models=_save_folds(pipelines, self.folds_to[0]))
        return result, (_pickled(pipelines[-1]) if self.keep and pipelines else None)


@dataclass(frozen=True)
class PreviewJob:
    """Fit ``config`` on at most ``rows`` rows of the first split (``preview.preview``);
    its result and its pipeline, pickled."""

    config: Config
    rows: int

    def run(self, context: EvaluationContext, n_threads: int
            ) -> tuple[TrialResult, bytes | str | None]:
        result, pipeline = preview(self.config, context, self.rows, n_threads)
        return result, (_pickled(pipeline) if pipeline is not None else None)


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


def dump(model: Any, path: str, max_bytes: int | None = None) -> None:
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
    """Whether a trial's fold models are worth keeping (see :class:`EvaluateJob`)."""
    return result.status == "ok" and result.score > threshold and \
        min_fit_seconds <= result.fit_seconds <= FOLD_MODELS_MAX_LIMIT_SHARE * time_limit


def _save_folds(pipelines: list[Any], path: str) -> str | None:
    """Write the fold models (the fitted pipelines, a list) to ``path``; the path, or None
    when they were too large or could not be pickled or written."""
    try:
        dump(pipelines, path, MAX_FOLD_MODEL_BYTES)
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
