"""Turn a finished search into the final model: an ensemble of the best trials, or one.

1. Ensemble selection (``automl.final.ensemble``) runs over the kept out-of-fold predictions on the
   search's own metric (where the search scored its leaders on several draws of the folds,
   ``automl.search.repeats``, over the leaders that share the most draws, on all those draws
   together: the choice then rests on less of one draw's luck), for at most a few per cent
   of the budget, and less when the search ran into the time kept back for the refits (they
   come first). On fewer than 5,000
   validation rows, a two-fold check repeated on five pairs of halves (select on one half,
   score on the other) must show the selection beating the single best model on average, or
   the single best model is used: on small, noisy data selection can fit the noise.
2. The selected members are refit on all rows in the workers, in parallel when there are
   several. Their refit time is estimated from their measured fit times first; when the time
   left is short, a member whose refit alone would not fit is left out of the refits, then the
   members with the fewest selection rounds until the rest fit.
   A member not refit (left out, its refit failed or ran out of time, or it lost on its own
   training rows what validation promised: ``automl.final.refit_check``) is replaced
   by its fold models averaged (``ensemble.FoldAverage``) where the search kept them (the
   workers write them for the trials among the best ``nbest``, up to a size); otherwise it is
   dropped, and the weights of the others renormalised.
3. If fewer than two members survive, or the survivors blend worse on the validation
   predictions than the best of them alone, the final model is that best one. If a member
   that was not refit is the first trial and alone scores better on those predictions than
   what survived, its last-fold pipeline (kept by the search) is used instead, with a
   warning. If anything goes wrong, ``fit`` falls back to the best single pipeline
   (``automl.final.refit``) with a warning.
4. Whatever was built must score higher on validation than predicting the training prior
   (class shares, or the mean); else the final model predicts the prior, with a warning.
5. Under log loss its class probabilities are mixed with the class shares, at the weight that
   scores best on its out-of-fold predictions and never below the rule of succession's
   (``automl.final.prior_blend``): no class is given probability 0.

So when time is short the ensemble degrades to fold models first, then to fewer members.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field, replace
from typing import Any, Callable

import numpy as np

from automl.base.clock import Clock
from automl.final.ensemble import (FoldAverage, WeightedEnsemble, fold_average, select_ensemble,
                                   selection_generalises)
from automl.final.prior_blend import PriorBlend, blend_weight, minimum_weight
from automl.final.refit import (ALL_ROWS, FOLDS, ONE_FOLD, RefitModels, dummy_model, final_model,
                                kept_model, refit_in_workers)
from automl.trials.budget import BudgetPlan, estimated_refit_seconds, refits_seconds
from automl.trials.evaluate import EvaluationContext, Resampling, prior_prediction, prior_score
from automl.trials.prediction_store import PredictionStore
from automl.trials.runner import WorkerPool
from automl.trials.search_result import SearchResult
from automl.trials.trial_log import Trial, TrialLog

logger = logging.getLogger(__name__)

# Below this many validation rows, selection must pass the two-fold check, repeated this
# many times on fresh halves: one split is a coin flip on a few hundred rows.
_CHECK_BELOW_ROWS = 5000
_CHECK_REPEATS = 5
# Selection runs on the draws of the folds that at least this many kept trials share: fewer
# leaves too few candidates to blend.
_LEAST_REPEATED = 5
# The least weight of the class shares searched for when the out-of-fold predictions alone
# choose it (``PriorBlend.fitted``): below it, a mixture changes no log loss that matters.
_LEAST_FITTED_WEIGHT = 1e-9


@dataclass(frozen=True)
class EnsembleSettings:
    """Whether and how to ensemble: the ``ensemble*`` constructor arguments."""

    enabled: bool = True
    size: int = 25
    nbest: int = 20
    # Selection and its check stop at their share of the budget, or, in the deterministic
    # mode, only when the refits need the time left: a slow machine must not change them.
    deterministic: bool = False


@dataclass(frozen=True)
class FinalModel:
    """The fitted final model and where it came from."""

    model: Any
    weights: dict[int, float] = field(default_factory=dict)  # trial -> weight; {} for dummy
    chosen: Trial | None = None  # the best-scoring member
    ensemble_score: float | None = None  # validation score of the blend (members > 1)
    fitted_on: dict[int, str] = field(default_factory=dict)  # trial -> refit.ALL_ROWS, ...
    prior_weight: float = 0.0  # the class shares' part of the probabilities (prior_blend)


def assemble_final_model(search: SearchResult, models: RefitModels, pool: WorkerPool,
                         clock: Clock, context: EvaluationContext, plan: BudgetPlan,
                         settings: EnsembleSettings) -> FinalModel:
    """The ensemble when it can be built in the time left, else the best single pipeline.
    ``models`` receives the refits on all rows."""
    draws = None
    if settings.enabled and context.metric.needs != "scorer":
        try:
            draws = on_shared_draws(search, context)
            built = _build_ensemble(search, draws, models, pool, clock, context, plan, settings)
        except Exception as error:  # any failure here falls back to the single best
            warnings.warn(f"building the ensemble failed ({type(error).__name__}: {error}); "
                          "the final model is the best single pipeline.", UserWarning,
                          stacklevel=3)
            built = None
        if built is not None:
            return built
    elif settings.enabled:
        logger.info("metric %s scores fitted pipelines, not predictions: no ensemble",
                    context.metric.name)
    model, chosen, fitted_on = final_model(
        search.log, models, pool, clock, context, plan.end_margin_seconds, search.early_models,
        averaged_folds(search.store, context.dataset.n_classes),
        draws.ranked(search.log) if draws is not None else _ranked_on_draws(search, context))
    return FinalModel(model, {chosen.trial: 1.0} if chosen else {}, chosen,
                      fitted_on={chosen.trial: fitted_on} if chosen else {})


def unless_the_prior_scores_higher(final: FinalModel, context: EvaluationContext) -> FinalModel:
    """``final``, unless predicting the training prior scores higher on validation than it
    does: then a model that predicts the prior, with a warning.

    A model worse than the prior has learnt nothing that holds on new rows, and would hand
    the user a silently worse answer than no model at all: with 100 classes in 3,000 rows
    (``make_classification``) and 20 s, the only trials that finished were LightGBM's, whose
    overconfident probabilities scored a validation log loss of 18.5 where the class shares
    score 4.6 (test: 4.6 with the prior). The model's score is that of its
    pooled validation predictions; the prior's is on the same rows (the first split's for
    the preview).
    """
    chosen = final.chosen
    if chosen is None:
        return final
    score = final.ensemble_score if final.ensemble_score is not None else chosen.result.score
    prior = prior_score(context, context.resampling.folds[:1] if chosen.preview else None)
    # A tie is no reason to warn: a model that learnt nothing often predicts the prior itself
    # (LightGBM on a few dozen rows), scoring the same up to rounding.
    if prior is None or score is None or prior <= score or np.isclose(prior, score, rtol=1e-6):
        return final
    metric = context.metric
    what = "the ensemble" if final.ensemble_score is not None else f"trial {chosen.trial}"
    warnings.warn(f"predicting the training prior scores better on validation than any model "
                  f"the search found ({metric.name} {metric.sign * prior:.4g} against "
                  f"{metric.sign * score:.4g} for {what}, the best): the final model predicts "
                  f"the prior. A larger time_budget, or other model families, may find a "
                  f"model that learns from this data.", UserWarning, stacklevel=3)
    return FinalModel(dummy_model(context.dataset, metric))


def with_prior_blend(final: FinalModel, store: PredictionStore,
                     context: EvaluationContext) -> FinalModel:
    """``final`` with its class probabilities mixed with the training class shares
    (``automl.final.prior_blend``), under log loss; as it is otherwise, and for the prior itself.

    The weight is fitted on the final model's out-of-fold predictions: its members' kept
    predictions, weighted as in the model. A member whose predictions were not kept (a
    preview, a trial pushed out of the store) leaves only the rule of succession's floor
    for the validated rows.
    """
    dataset = context.dataset
    if context.metric.name != "log_loss" or not final.weights:
        return final
    validated = context.resampling.validated
    shares = prior_prediction(dataset, context.metric)
    try:
        predictions = sum(weight * store.get(number)[validated]
                          for number, weight in final.weights.items())
        y = dataset.y[validated]
        weight = blend_weight(predictions, y, shares)
        fitted = blend_weight(predictions, y, shares, floor=_LEAST_FITTED_WEIGHT)
    except KeyError:
        weight, fitted = minimum_weight(len(validated)), None
    logger.info("class probabilities mixed with the class shares at weight %.2g (out of fold "
                "alone: %s)", weight, "unknown" if fitted is None else f"{fitted:.2g}")
    return replace(final, model=PriorBlend(final.model, shares, weight, fitted),
                   prior_weight=weight)


def _fitted_on(loaded: dict[int, Any]) -> dict[int, str]:
    """What each of the members in ``loaded`` (refits and fold models) was fitted on."""
    return {number: FOLDS if isinstance(model, FoldAverage) else ALL_ROWS
            for number, model in loaded.items()}


@dataclass(frozen=True)
class Draws:
    """The candidates' out-of-fold predictions that selection runs on: on ``n`` draws of the
    folds, the rows of each draw one after another (``y`` repeated to match), and the
    candidates' scores on them."""

    candidates: list[Trial]
    predictions: list[np.ndarray]
    y: np.ndarray
    n: int
    scores: dict[int, float]

    def ranked(self, log: TrialLog) -> list[Trial]:
        """The log's successful trials, those scored on these draws first, best first."""
        first = sorted(self.candidates, key=lambda t: (-self.scores[t.trial], t.trial))
        return first + [trial for trial in log.ranked() if trial.trial not in self.scores]


def on_shared_draws(search: SearchResult, context: EvaluationContext) -> Draws:
    """The kept trials' predictions on the most draws of the folds that at least
    ``_LEAST_REPEATED`` of them (or all, when fewer are kept) share; one draw when the
    search drew no other."""
    store, metric = search.store, context.metric
    by_number = {trial.trial: trial for trial in search.log.trials}
    kept = [by_number[number] for number in store.trials]
    enough = min(_LEAST_REPEATED, len(kept))
    counts = sorted((store.n_splits(trial.trial) for trial in kept), reverse=True)
    n = counts[enough - 1] if counts and metric.needs != "scorer" else 1
    candidates = [trial for trial in kept if store.n_splits(trial.trial) >= n]
    validated = context.resampling.validated
    predictions = [np.concatenate([draw[validated] for draw in store.splits(trial.trial, n)])
                   for trial in candidates]
    y = np.tile(context.dataset.y[validated], n)
    scores = {trial.trial: (metric.score(y, p, context.dataset.n_classes) if n > 1
                            else trial.result.score)
              for trial, p in zip(candidates, predictions)}
    if n > 1:
        logger.info("selection runs on %d draws of the folds of %d trials", n, len(candidates))
    return Draws(candidates, predictions, y, n, scores)


def _ranked_on_draws(search: SearchResult, context: EvaluationContext) -> list[Trial] | None:
    """The trials in the order the single best is chosen in (``Draws.ranked``); None (the
    log's order) when the kept predictions cannot be read, or for a scorer metric."""
    if context.metric.needs == "scorer":
        return None
    try:
        return on_shared_draws(search, context).ranked(search.log)
    except (OSError, KeyError, ValueError) as error:
        logger.info("the single best is chosen on the first draw of the folds: %s", error)
        return None


def _build_ensemble(search: SearchResult, draws: Draws, models: RefitModels, pool: WorkerPool,
                    clock: Clock, context: EvaluationContext, plan: BudgetPlan,
                    settings: EnsembleSettings) -> FinalModel | None:
    """None when the single-best path should decide: fewer than two members selected or
    affordable, a failed held-out check, or no member refit."""
    log, store, end_margin_seconds = search.log, search.store, plan.end_margin_seconds
    by_number = {trial.trial: trial for trial in log.trials}
    candidates, predictions, y = draws.candidates, draws.predictions, draws.y
    if len(candidates) < 2:
        return None
    n_classes, started = context.dataset.n_classes, clock.elapsed()
    refits = plan.refit_seconds(log, context.resampling)
    deadline = plan.selection_deadline(started, refits)
    halfway = started + (deadline - started) / 2
    if settings.deterministic:  # only running out of time cuts selection short
        deadline = halfway = started + max(0.0, clock.remaining() - end_margin_seconds - refits)
    counts = select_ensemble(predictions, y, context.metric, n_classes, settings.size,
                             stop=lambda: clock.elapsed() > halfway)
    selected = {candidates[i].trial: int(c) for i, c in enumerate(counts) if c > 0}
    logger.info("ensemble selection chose %s in %.1f s", selected, clock.elapsed() - started)
    if len(selected) > 1 and len(y) // draws.n < _CHECK_BELOW_ROWS and not _generalises(
            draws, context, settings, lambda: clock.elapsed() > deadline):
        logger.info("ensemble selection did not beat the single best on held-out halves")
        return None
    affordable = _affordable(selected, by_number, models, context.resampling,
                             clock.remaining() - end_margin_seconds, pool.n_workers)
    if len(affordable) + sum(store.has_fold_models(n) for n in selected
                             if n not in affordable) < 2:
        return None
    # The fold models of the members left out are loaded first, so that the refits' time
    # limits leave room for them; those of refits that fail are loaded after.
    loaded: dict[int, Any] = {}
    _add_fold_models(loaded, [n for n in selected if n not in affordable], store, models,
                     context.dataset.n_classes)
    loaded.update(refit_in_workers([by_number[number] for number in affordable], models, pool,
                                   clock, end_margin_seconds, context))
    _add_fold_models(loaded, list(selected), store, models, context.dataset.n_classes)
    fitted = {number: count for number, count in selected.items() if number in loaded}
    if len(fitted) < len(selected):
        logger.warning("%d of %d ensemble members could not be refit or replaced by their "
                       "fold models; using the other %d", len(selected) - len(fitted),
                       len(selected), len(fitted))
    if not fitted:
        return None
    positions = {trial.trial: i for i, trial in enumerate(candidates)}
    built = _blend_or_best(fitted, by_number, loaded, [predictions[positions[n]] for n in fitted],
                           draws, context)
    unfitted = [(by_number[n], draws.scores[n]) for n in selected
                if n not in fitted and n in search.early_models]
    if not unfitted:
        return built
    built_score = built.ensemble_score if built.ensemble_score is not None \
        else draws.scores[built.chosen.trial]
    return _or_kept_member(built, built_score, unfitted, search.early_models)


def averaged_folds(store: PredictionStore, n_classes: int) -> Callable[[int], Any | None]:
    """A trial's fold models as one model (``ensemble.FoldAverage``), where the search kept
    them; None where it did not."""
    def averaged(trial: int) -> Any | None:
        pipelines = store.fold_models(trial)
        return None if pipelines is None else fold_average(pipelines, n_classes)
    return averaged


def _add_fold_models(loaded: dict[int, Any], members: list[int],
                     store: PredictionStore, models: RefitModels, n_classes: int) -> None:
    """Into ``loaded``, for each of the ``members`` not refit (its refit did not fit in the
    time left, failed, was refused by ``automl.final.refit_check`` or ran out of time), its fold
    models averaged, where the search kept them."""
    averaged = averaged_folds(store, n_classes)
    for number in members:
        if number not in loaded:
            folds = averaged(number)
            if folds is not None:
                why = models.failed.get(number, "not refit on all rows in the time left")
                logger.info("ensemble member %d uses its fold models: %s", number, why)
                loaded[number] = folds


def _or_kept_member(built: FinalModel, built_score: float, unfitted: list[tuple[Trial, float]],
                    early_models: dict[int, bytes]) -> FinalModel:
    """``built``, unless a selected member that was not refit is the first trial, whose
    last-fold pipeline the search kept, and alone it scores better than ``built`` on the
    validation predictions (``unfitted`` pairs such members with those scores).

    When the best members' refits run out of time, the survivors can be far weaker than the
    best trial, and that kept pipeline is the best model there is. Both scores are of pooled
    validation predictions on the same rows (``automl.trials.evaluate`` scores a trial the same way).
    """
    for trial, score in unfitted:
        if trial.trial in early_models and score > built_score:
            return FinalModel(kept_model(trial, early_models, stacklevel=5), {trial.trial: 1.0},
                              trial, fitted_on={trial.trial: ONE_FOLD})
    return built


def _generalises(draws: Draws, context: EvaluationContext, settings: EnsembleSettings,
                 stop: Callable[[], bool]) -> bool:
    """The held-out check of ``automl.final.ensemble``; False when it cannot be computed."""
    try:
        return selection_generalises(draws.predictions, draws.y, context.metric,
                                     context.dataset.n_classes, settings.size, context.seed,
                                     _CHECK_REPEATS, stop, copies=draws.n)
    except ValueError as error:  # a metric undefined on a half (a class missing from it)
        logger.info("could not check the ensemble on held-out halves: %s", error)
        return False


def _affordable(selected: dict[int, int], by_number: dict[int, Trial], models: RefitModels,
                resampling: Resampling, time_left: float, n_workers: int) -> dict[int, int]:
    """The selected members whose refits fit in ``time_left``, most used first: first those
    whose refit alone would not are left out, then the least used.

    (Dropping the least used first, alone, could drop a cheap member for a heavy one that
    never fits, and end with no ensemble where two cheap members would have fitted.)

    The fit times are scaled to all rows without a safety margin: each refit runs under a
    hard limit that keeps time for loading its model, so one that runs over is killed, and
    the least used runs last. A margin here would leave out members that do fit.
    """
    members = dict(sorted(selected.items(), key=lambda item: -item[1]))

    def cost(number: int) -> float:
        return 0.0 if number in models else estimated_refit_seconds(
            by_number[number], resampling, safety=1.0)

    def makespan() -> float:
        return refits_seconds([by_number[n] for n in members if n not in models], resampling,
                              n_workers, safety=1.0)

    for number in [n for n in members if cost(n) > time_left]:
        logger.info("not refitting ensemble member %d: its refit alone does not fit in %.1f s",
                    number, time_left)
        del members[number]
    while members and makespan() > time_left:
        drop = min(members, key=lambda n: (members[n], -cost(n)))
        logger.info("not refitting ensemble member %d: its refit does not fit in %.1f s", drop,
                    time_left)
        del members[drop]
    return members


def _blend_or_best(counts: dict[int, int], by_number: dict[int, Trial], loaded: dict[int, Any],
                   predictions: list[np.ndarray], draws: Draws,
                   context: EvaluationContext) -> FinalModel:
    """The weighted blend of the fitted members, unless the best of them alone scores higher
    (both on ``draws``)."""
    numbers = list(counts)
    weights = np.array([counts[n] for n in numbers], dtype=np.float64)
    weights /= weights.sum()
    best = max(numbers, key=lambda n: (draws.scores[n], -n))
    n_classes = context.dataset.n_classes
    blend_score = context.metric.score(
        draws.y, np.tensordot(weights, np.stack(predictions), axes=1), n_classes)
    if len(numbers) == 1 or blend_score < draws.scores[best]:
        return FinalModel(loaded[best], {best: 1.0}, by_number[best],
                          fitted_on=_fitted_on({best: loaded[best]}))
    members = [loaded[n] for n in numbers]
    return FinalModel(WeightedEnsemble(members, weights, n_classes, numbers),
                      dict(zip(numbers, weights.tolist())), by_number[best], blend_score,
                      _fitted_on({n: loaded[n] for n in numbers}))
