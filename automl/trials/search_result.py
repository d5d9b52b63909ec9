"""The hand-off between the search and the final stage: what a finished search leaves."""

from __future__ import annotations

from dataclasses import dataclass, field

from automl.trials.prediction_store import PredictionStore
from automl.trials.trial_log import TrialLog


@dataclass(frozen=True)
class SearchResult:
    """What the search hands the final stage: every finished trial (``log``), the best
    trials' out-of-fold predictions and kept fold models (``store``), and the first job's
    pipeline by trial (``early_models``: the preview's, or the first trial's as fitted on its
    last fold's training rows), a model that exists seconds into the search, for when no
    trial can be refit on all rows. ``split_scores`` are the leaders' scores on the other
    draws of the folds (``automl.search.repeats``), by trial, in the order they were scored."""

    log: TrialLog
    store: PredictionStore
    early_models: dict[int, bytes] = field(default_factory=dict)
    split_scores: dict[int, list[float]] = field(default_factory=dict)
