"""Who owns time: the budget plan of one ``fit`` and the estimates it keeps time back by.

``fit`` makes one :class:`BudgetPlan` from the budget and the options; the search and the
final stage read it, and nothing else decides how the budget is shared. Every tuned
constant of that sharing is here, each with one line of why; the studies behind them are
named in benchmarks/RESULTS.md. The promise itself (``fit`` returns within
``clock.budget_limit``) is the clock's.

What the search keeps back (:meth:`BudgetPlan.kept_back_seconds`) is estimated from the
trials so far: the best trial's refit on all rows, ensemble selection, and the refits of the
next best trials, which stand in for the ensemble's other members until selection names them.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

from automl.trials.evaluate import Resampling
from automl.trials.model_size import Handover
from automl.trials.trial_log import Trial, TrialLog

# One trial's limit: a quarter of the budget, so that no single trial can take the search,
# but at least 10 s, so that a short budget still fits one default LightGBM on mid-sized data.
TRIAL_SHARE, MIN_TRIAL_LIMIT_SECONDS = 1 / 4, 10.0
# A trial given less time than this is not worth starting.
MIN_TRIAL_SECONDS = 0.5
# Kept at the end for stopping the workers and returning: grows with the budget because the
# pool's shutdown and the last handover grow with the models it fitted.
END_MARGIN_SECONDS, END_MARGIN_SHARE = 0.2, 0.005
# A warm-start trial estimated to take more than this share of the budget is skipped: a
# config tuned elsewhere is a guess, and a costly guess leaves the search too little.
WARM_TRIAL_SHARE = 1 / 6
# Past this share of the budget (and at least 10 s) the queued family defaults run before
# the queued warm configs: tuned configs must not crowd out a cheap default that would win.
WARM_QUEUE_SHARE, WARM_QUEUE_MIN_SECONDS = 1 / 3, 10.0
# A warm trial that overran its estimate by less than this says nothing about its family:
# a worker's start-up and timing noise are of this size.
SLOWDOWN_SLACK_SECONDS = 1.0
# A trial whose fits took less than this share of the budget keeps no fold models: its refit
# is quick, and writing every small trial's fold models slows a search of many short trials.
FOLD_MODELS_MIN_SHARE = 0.01
# Nor does one whose fits took more than this share of its limit: writing them could push
# it over, and its refit is the model worth waiting for.
FOLD_MODELS_MAX_LIMIT_SHARE = 0.5
# Ensemble selection may use this share of the budget, plus a quarter second.
SELECTION_SHARE, SELECTION_MIN_SECONDS = 0.05, 0.25
# Kept back during the search for refitting this many members beyond the best one, at most
# this share of the budget: enough for a typical ensemble's heavy members, never the search.
RESERVED_EXTRA_MEMBERS, RESERVED_SHARE = 4, 0.1
# Fit time grows a little faster than linearly in rows for most models: a margin over the
# linear estimate where a refit that runs over would cost the fallbacks their time.
REFIT_SAFETY_FACTOR = 1.3
# A refit's fixed cost beyond its fit (building the pipeline, starting the job), and the gap
# between the search stopping and the refit starting.
REFIT_OVERHEAD_SECONDS, REFIT_BUFFER_SECONDS = 0.3, 0.5
# Rows a refit's check predicts (``refit_check``): enough to tell a diverged model from a
# working one, few enough to predict in well under a second with any model of the space.
CHECK_ROWS = 2_000
# From this share of the budget on (and not before this many seconds), the leaders are
# scored again on new cross-validation splits: by then the search's gains are smaller than
# the noise of one split, and a short budget keeps all its time for the search.
REPEATS_AFTER_SHARE, REPEATS_AFTER_MIN_SECONDS = 0.4, 60.0
# The leaders (best by their first split) that are repeated, and how many splits each gets
# at most, the first included: past a handful, another split narrows the score little.
REPEAT_LEADERS, MAX_SPLITS = 10, 5
# Once repeats are due, every this many submissions one is a repeat (when one is pending):
# the search goes on beside them, and a new leader is repeated in turn.
REPEAT_EVERY = 2
# A fresh worker's interpreter start and imports on 2 cores; a budget shorter than the
# second runs no trial in a fit's first pool.
WORKER_START_SECONDS, SHORTEST_USEFUL_BUDGET = 2, 5


@dataclass(frozen=True)
class BudgetPlan:
    """How one fit shares its budget, decided before the first trial. In the deterministic
    mode (``max_trials``, one trial at a time) the rules that would read the clock count
    trials instead (``defaults_after_trials``)."""

    budget_seconds: float
    trial_seconds: float  # one trial's hard limit
    warm_trial_seconds: float  # what one warm-start trial may be estimated to take
    end_margin_seconds: float
    selection_seconds: float
    fold_models_min_seconds: float
    n_workers: int = 1
    ensemble: bool = True  # whether selection and the other members' refits are kept back for
    defaults_after_seconds: float | None = None
    defaults_after_trials: int | None = None
    # When the leaders start to be scored on new splits (``search.repeats``); None: never.
    repeats_after_seconds: float | None = None

    def kept_back_seconds(self, log: TrialLog, resampling: Resampling) -> float:
        """What the search must leave of the budget, given its trials so far: the end
        margin, the best trial's refit and, with an ensemble, selection and the next best
        trials' refits."""
        selection = self.selection_seconds if self.ensemble else 0.0
        return self.end_margin_seconds + self.refit_seconds(log, resampling) + selection

    def refit_seconds(self, log: TrialLog, resampling: Resampling) -> float:
        """Time the final refits should take, given the trials so far: the best trial's and,
        with an ensemble, the next best trials'."""
        seconds = incumbent_refit_seconds(log, resampling)
        if self.ensemble:
            seconds += self.extra_refit_seconds(log, resampling)
        return seconds

    def extra_refit_seconds(self, log: TrialLog, resampling: Resampling) -> float:
        """Time the refits of members beyond the best trial should take; the next best
        trials stand in for them before selection."""
        extra = log.ranked()[1:1 + RESERVED_EXTRA_MEMBERS]
        return min(refits_seconds(extra, resampling, self.n_workers),
                   RESERVED_SHARE * self.budget_seconds)

    def selection_deadline(self, started: float, refit_seconds: float) -> float:
        """When selection and its held-out check must stop: after their share of the budget,
        or earlier, so that ``refit_seconds`` of refits still fit before the end margin.

        The search keeps that much back, but can overrun it (a trial killed at its limit, a
        replacement worker starting on a busy core): selection then gets less time, not the
        refits. The refits claim at most half of the time left, though: when they cannot all
        fit anyway, selection still chooses among the members that can.
        """
        time_left = self.budget_seconds - self.end_margin_seconds - started
        return min(started + self.selection_seconds,
                   started + max(time_left - refit_seconds, time_left / 2))


def plan_budget(budget_seconds: float, per_trial_time_limit: float | None = None,
                max_trials: int | None = None, deterministic: bool = False, n_workers: int = 1,
                ensemble: bool = True) -> BudgetPlan:
    """The plan of a fit of ``budget_seconds`` (see :class:`BudgetPlan`)."""
    trial_seconds = per_trial_time_limit or max(MIN_TRIAL_LIMIT_SECONDS,
                                                TRIAL_SHARE * budget_seconds)
    queue_rule = ({"defaults_after_trials": math.ceil(WARM_QUEUE_SHARE * max_trials)}
                  if deterministic and max_trials is not None else
                  {"defaults_after_seconds": max(WARM_QUEUE_MIN_SECONDS,
                                                 WARM_QUEUE_SHARE * budget_seconds)})
    # The deterministic mode counts trials, and the repeats' pace is the clock's: none there.
    repeats_after = None if deterministic else max(REPEATS_AFTER_MIN_SECONDS,
                                                   REPEATS_AFTER_SHARE * budget_seconds)
    return BudgetPlan(
        budget_seconds, trial_seconds,
        warm_trial_seconds=min(trial_seconds, WARM_TRIAL_SHARE * budget_seconds),
        end_margin_seconds=end_margin_seconds(budget_seconds),
        selection_seconds=SELECTION_MIN_SECONDS + SELECTION_SHARE * budget_seconds,
        fold_models_min_seconds=FOLD_MODELS_MIN_SHARE * budget_seconds,
        n_workers=n_workers, ensemble=ensemble, repeats_after_seconds=repeats_after,
        **queue_rule)


def end_margin_seconds(budget_seconds: float) -> float:
    """Time kept at the end of the budget for stopping workers and returning."""
    return END_MARGIN_SECONDS + END_MARGIN_SHARE * budget_seconds


def incumbent_refit_seconds(log: TrialLog, resampling: Resampling) -> float:
    """Time to keep back for refitting the best trial, with a buffer for the gap between
    the search stopping and the refit starting."""
    best = log.best()
    return 0.0 if best is None else estimated_refit_seconds(best, resampling) \
        + REFIT_BUFFER_SECONDS


def estimated_refit_seconds(trial: Trial, resampling: Resampling,
                            safety: float = REFIT_SAFETY_FACTOR) -> float:
    """Seconds a full-data fit of this trial's config should take, with the handover of its
    model (pickled in the worker, loaded in the parent; ``automl.trials.model_size``)."""
    return (estimated_fit_seconds(trial, resampling, safety)
            + estimated_handover(trial, resampling).seconds)


def estimated_fit_seconds(trial: Trial, resampling: Resampling,
                          safety: float = REFIT_SAFETY_FACTOR) -> float:
    """Seconds the fit alone of a full-data refit should take: the trial's fit time scaled
    linearly to all rows, times ``safety``, and its check (``refit_check``: predicting at
    most ``CHECK_ROWS`` rows, at the trial's measured speed on its validation rows)."""
    share = min(1.0, CHECK_ROWS / max(resampling.validation_rows, 1))
    check = trial.result.predict_seconds * share
    return (trial.result.fit_seconds * resampling.refit_factor * safety
            + check + REFIT_OVERHEAD_SECONDS)


def estimated_handover(trial: Trial, resampling: Resampling) -> Handover:
    """The handover of this trial's model refit on all rows: its last fold's, grown with the
    rows."""
    return trial.result.handover.scaled(resampling.rows_factor)


def refits_seconds(trials: list[Trial], resampling: Resampling, n_workers: int,
                   safety: float = REFIT_SAFETY_FACTOR) -> float:
    """Wall time the refits of ``trials`` should take on ``n_workers`` workers.

    Each model is loaded while the workers go on with the next refits (``refit``), so only
    one load, at most the longest, comes after the last refit.
    """
    handovers = [estimated_handover(trial, resampling) for trial in trials]
    work = [estimated_fit_seconds(trial, resampling, safety) + handover.dump_seconds
            for trial, handover in zip(trials, handovers)]
    return makespan(work, n_workers) + max((h.load_seconds for h in handovers), default=0.0)


def makespan(seconds: list[float], n_workers: int) -> float:
    """Wall time of running these jobs on ``n_workers`` workers, longest first."""
    loads = [0.0] * max(1, n_workers)
    for duration in sorted(seconds, reverse=True):
        heapq.heapreplace(loads, loads[0] + duration)
    return max(loads)
