"""Where a search would start on a dataset, shown without fitting.

A user weighing a time budget, or wondering why the warm start tried what it tried, wants to
see the queue before spending the budget: which configs ``fit`` runs first, where each came
from (the fast default, the user's ``initial_configs``, the knowledge base's portfolio, the
nearest past datasets' best configs, the other families' defaults), what each warm config is
estimated to cost here, and which past datasets were found nearest. It is read from the same
``fitting.plan_start`` that ``fit`` runs, so it cannot drift from what ``fit`` does.

While a search runs it may still depart from the queue: a family whose warm trials run well
over their estimates has its queued warm configs skipped, and once a third of the budget has
passed the defaults still queued run first (``budget.WARM_QUEUE_SHARE``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from automl.fitting import StartPlan
from automl.space.compiled import config_key

TRIAL_COLUMNS = ("order", "source", "model", "from_dataset", "estimated_seconds", "config")
NEIGHBOUR_COLUMNS = ("dataset", "distance", "best_model")


@dataclass(frozen=True)
class FirstTrials:
    """The trials a fit starts with, in order, and the past datasets nearest to the data.

    ``trials``: one row per queued config (``order`` from 1; ``source`` as the leaderboard
    gives it; ``from_dataset``, for a ``warmstart`` config, the nearest past dataset whose
    best config it is, else empty; ``estimated_seconds`` for warm configs the knowledge base
    has timings of, else NaN). ``neighbours``: as the fitted model's
    ``warm_start_neighbours_``, empty for a cold start. ``trial_seconds``: the limit of one
    trial; ``warm_trial_seconds``: what a warm config may be estimated to take before it is
    left out; ``left_out``: how many were. ``preview_rows``: on data large enough for it, the
    rows of the preview (the first config fitted on a sample, for a usable model within
    seconds) that comes before the first trial; None where there is none.
    """

    task: str
    trials: pd.DataFrame
    neighbours: pd.DataFrame
    trial_seconds: float
    warm_trial_seconds: float
    left_out: int = 0
    preview_rows: int | None = None

    @property
    def n_warm(self) -> int:
        """How many of the queued configs came from the knowledge base."""
        return int(self.trials["source"].isin(("portfolio", "warmstart")).sum())


def first_trials(plan: StartPlan, task: str) -> FirstTrials:
    """The tables of ``plan`` (see :class:`FirstTrials`)."""
    estimates = plan.allowance.estimates
    best_of = _best_of(plan)
    trials = pd.DataFrame(
        [{"order": order, "source": source, "model": config["model"],
          "from_dataset": best_of.get(config_key(config), "") if source == "warmstart" else "",
          "estimated_seconds": estimates.get(config_key(config), np.nan), "config": config}
         for order, (config, source) in enumerate(plan.initial, start=1)],
        columns=list(TRIAL_COLUMNS))
    neighbours = pd.DataFrame(plan.warm.neighbours(), columns=list(NEIGHBOUR_COLUMNS))
    allowed = plan.allowance.seconds
    left_out = sum(1 for estimate in estimates.values() if estimate > allowed)
    return FirstTrials(task, trials, neighbours, plan.trial_seconds, allowed, left_out,
                       plan.preview_rows)


def _best_of(plan: StartPlan) -> dict[str, str]:
    """The nearest past dataset each queued neighbour config is the best config of, by the
    key of the config as queued (checked against the space, as the warm start checks it)."""
    best_of: dict[str, str] = {}
    for past, _ in plan.warm.nearest:
        try:
            key = config_key(plan.space.validate(past.configs[0])) if past.configs else None
        except ValueError:  # stale, or its model is left out of this search
            continue
        if key is not None:
            best_of.setdefault(key, past.name)
    return best_of
