"""Warm start: where to search first, learned from past datasets.

The knowledge base (built offline by ``metalearning.build`` and shipped in the wheel as
``automl.metalearning``, one JSON file per task) holds, for each past dataset, its
meta-features and the best configs its own search found, and a portfolio: a few configs
chosen greedily to do well together across all past datasets (auto-sklearn 2.0, FLAML's
zero-shot mode). A new search starts from the portfolio and from the best configs of the k
past datasets nearest in meta-feature space (auto-sklearn 1.0), taken in turn, de-duplicated.

A stored config that no longer fits today's search space (a renamed component or
hyperparameter, a narrowed range) is dropped with a logged warning; one whose model is only
left out of this search (``exclude_models``, too many rows) is skipped quietly.

A config that would cost more than a trial may take is skipped too (``TrialAllowance``): the
knowledge base keeps, for each stored config, the seconds its matrix fit took on each past
dataset (or that it failed or ran out of time there), and its seconds on the past datasets
nearest in size, scaled by the rows trained on, estimate its cost here. A trial cut off at
its limit gives neither a model nor a score, and one borrowed config that takes a large share
of a short budget leaves little for what the search learns on this data. While the search
runs, a family whose warm trials took well over their estimates has its queued configs
checked again with their estimates scaled up (``WarmTrialCheck``).
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, zip_longest
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from automl.input.data import TASKS, Dataset
from automl.input.metafeatures import compute_metafeatures
from automl.space.compiled import CompiledSpace, Config, config_key, task_space
from automl.space.components import shipped_folder, space_version
from automl.trials.budget import SLOWDOWN_SLACK_SECONDS

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
# Nearest past datasets whose best configs start the search.
N_NEIGHBOURS = 5
# The leaderboard's sources of warm-start configs.
WARM_SOURCES = ("portfolio", "warmstart")


@dataclass(frozen=True)
class PastDataset:
    """One dataset of the corpus: its meta-features and best configs, best first, and the
    rows each matrix fit trained on there, summed over folds (0 when the file does not say)."""

    name: str
    metafeatures: dict[str, float]
    configs: tuple[Config, ...]
    fit_rows: float = 0.0


@dataclass(frozen=True)
class KnowledgeBase:
    """What the builder learned for one task: past datasets, the portfolio, and a header
    saying which corpus, library version, search-space version and budget it came from.

    ``costs`` maps a stored config's ``config_key`` to its matrix seconds on each past
    dataset it was scored on, ``inf`` where it failed or ran out of time there.
    """

    task: str
    header: dict[str, Any]
    datasets: tuple[PastDataset, ...]
    portfolio: tuple[Config, ...]
    costs: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def without(self, names: Iterable[str]) -> "KnowledgeBase":
        """The same knowledge with some past datasets left out (leave-one-dataset-out)."""
        names = set(names)
        kept = tuple(dataset for dataset in self.datasets if dataset.name not in names)
        return KnowledgeBase(self.task, self.header, kept, self.portfolio, self.costs)


@dataclass
class TrialAllowance:
    """What one warm-start trial may cost on the data at hand (the rows it trains on, summed
    over the folds, and the seconds it may take), and the estimates of the configs admitted.

    The estimates (see :func:`estimated_seconds`) are made before any trial runs, from past
    datasets' sizes, and are kept once the warm start is chosen; what the search then learns
    about this data is a :class:`WarmTrialCheck`'s, not the allowance's.
    """

    fit_rows: int
    seconds: float
    estimates: dict[str, float] = field(default_factory=dict)  # by config_key, as admitted

    def admits(self, config: Config, estimate: float | None) -> bool:
        """Whether ``config``, estimated at ``estimate`` seconds (None: no record), fits; the
        estimate is kept for the search's :class:`WarmTrialCheck`."""
        if estimate is not None:
            self.estimates[config_key(config)] = estimate
        return estimate is None or estimate <= self.seconds


class WarmTrialCheck:
    """The search's check of its queued warm configs against what their families' trials
    took here.

    The estimates cannot see what makes a family slow on this data alone (a one-hot encoding
    hundreds of columns wide, a kernel that converges slowly). So each warm trial's seconds
    are compared with its estimate, and a family that ran well over it has the estimates of
    its configs still queued scaled by the worst ratio seen (``slowdown``).
    """

    def __init__(self, allowance: TrialAllowance) -> None:
        self.allowance = allowance
        self.slowdown: dict[str, float] = {}  # by model family, at least 1

    def allows(self, config: Config) -> bool:
        """Whether ``config`` still fits, given what its family's trials took here."""
        estimate = self.allowance.estimates.get(config_key(config))
        return estimate is None or \
            estimate * self.slowdown.get(config["model"], 1.0) <= self.allowance.seconds

    def observe(self, config: Config, seconds: float) -> None:
        """Learn from a finished (or killed) trial of ``config`` that took ``seconds``. Only
        an overrun of more than ``SLOWDOWN_SLACK_SECONDS`` counts: below that, a worker's
        start-up and timing noise would read as a slowdown of small trials."""
        estimate = self.allowance.estimates.get(config_key(config))
        if estimate is None or not estimate > 0 or seconds - estimate <= SLOWDOWN_SLACK_SECONDS:
            return
        family = config["model"]
        self.slowdown[family] = max(self.slowdown.get(family, 1.0), seconds / estimate)


def knowledge_dir() -> Path:
    """The knowledge base shipped with the package (``metalearning/knowledge`` in a checkout)."""
    return shipped_folder("automl.metalearning", "metalearning") / "knowledge"


def load_knowledge_base(task: str, directory: str | os.PathLike | None = None
                        ) -> KnowledgeBase | None:
    """The knowledge base for ``task``; None (logged) when there is none or it is unusable."""
    path = Path(directory or knowledge_dir()) / f"{task}.json"
    try:
        modified = path.stat().st_mtime_ns
    except OSError:
        logger.info("no knowledge base at %s: the search starts cold", path)
        return None
    return _read(str(path), modified)


@lru_cache(maxsize=16)
def _read(path: str, modified: int) -> KnowledgeBase | None:
    """Parse one file (cached until the file changes)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        logger.warning("knowledge base %s is unreadable (%s): the search starts cold", path, error)
        return None
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        found = data.get("format_version") if isinstance(data, dict) else type(data).__name__
        logger.warning("knowledge base %s has format %r, this library reads %r: the search "
                       "starts cold", path, found, FORMAT_VERSION)
        return None
    try:
        datasets = tuple(PastDataset(str(entry["name"]), {str(name): float(value) for name, value
                                                          in entry["metafeatures"].items()},
                                     tuple(dict(item["config"]) for item in entry["configs"]),
                                     float(entry.get("matrix_fit_rows", 0)))
                         for entry in data["datasets"])
        portfolio = tuple(dict(item["config"]) for item in data["portfolio"])
        stored = [item for entry in data["datasets"] for item in entry["configs"][:1]]
        costs = {config_key(item["config"]): _costs(item.get("seconds", {}))
                 for item in stored + list(data["portfolio"])}
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        logger.warning("knowledge base %s is malformed (%s: %s): the search starts cold", path,
                       type(error).__name__, error)
        return None
    header = {key: value for key, value in data.items() if key not in ("datasets", "portfolio")}
    return KnowledgeBase(str(data.get("task")), header, datasets, portfolio, costs)


def _costs(seconds: dict[str, float | None]) -> dict[str, float]:
    """A config's matrix seconds by past dataset; a failure (null in the file) costs ``inf``."""
    return {str(name): math.inf if value is None else float(value)
            for name, value in seconds.items()}


def knowledge_summary(directory: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """One row per task with a knowledge base in ``directory`` (default: the shipped one):
    what it was learned from and how, and whether this library's search space is the one it
    was built for (when not, stored configs that no longer fit are dropped at fit time).
    Empty when the folder holds none."""
    rows, current, folder = [], space_version(), Path(directory or knowledge_dir())
    for task in TASKS:
        if not (folder / f"{task}.json").is_file():
            continue
        found = load_knowledge_base(task, folder)
        if found is None:
            rows.append({"task": task, "usable": False})
            continue
        header = found.header
        rows.append({
            "task": task, "usable": True, "past_datasets": len(found.datasets),
            "portfolio": [config["model"] for config in found.portfolio],
            "search_budget_seconds": header.get("search_budget_seconds"),
            "matrix_max_rows": header.get("matrix_max_rows"),
            "build_hours": round(float(header.get("build_seconds", 0.0)) / 3600, 2),
            "library_version": header.get("library_version"),
            "space_version": header.get("space_version"),
            "current_space": header.get("space_version") == current,
            "corpus": header.get("corpus")})
    return rows


@dataclass(frozen=True)
class WarmStart:
    """The configs a search starts from, each with its source (``portfolio`` or
    ``warmstart``), and the past datasets found nearest, nearest first, with their
    meta-feature distances: what the fitted model and its report say about where the search
    started and why."""

    configs: tuple[tuple[Config, str], ...] = ()
    nearest: tuple[tuple[PastDataset, float], ...] = ()

    def neighbours(self) -> list[dict[str, Any]]:
        """One row per nearest past dataset: name, distance, and the model of its best config
        (None where its search found no working pipeline)."""
        return [{"dataset": dataset.name, "distance": round(distance, 4),
                 "best_model": dataset.configs[0]["model"] if dataset.configs else None}
                for dataset, distance in self.nearest]


def warm_start_for(dataset: Dataset, space: CompiledSpace, knowledge: str | os.PathLike | bool,
                   seed: int = 0, allowance: TrialAllowance | None = None) -> WarmStart:
    """The warm start for ``dataset``: empty when ``knowledge`` is False or no knowledge base
    exists for its task; True reads the shipped one, a path another. Configs estimated to
    cost more than ``allowance`` are left out."""
    if knowledge is False:
        return WarmStart()
    found = load_knowledge_base(dataset.task, None if knowledge is True else knowledge)
    if found is None:
        return WarmStart()
    built_for, current = found.header.get("space_version"), space_version()
    if built_for != current:
        logger.info("the %s knowledge base was built for search space %s, this library's is "
                    "%s: its configs are checked against today's space, and hyperparameters "
                    "added since take their defaults", dataset.task, built_for, current)
    try:
        metafeatures = compute_metafeatures(dataset, seed)
    except Exception as error:  # a warm start is a help, never a reason for fit to fail
        logger.warning("meta-features failed (%s: %s): the search starts cold",
                       type(error).__name__, error)
        return WarmStart()
    nearest = nearest_with_distances(found, metafeatures)
    configs = warm_start_configs(found, space, metafeatures, allowance=allowance,
                                 nearest=[past for past, _ in nearest])
    logger.info("warm start: %d configs from the knowledge base; nearest past datasets: %s",
                len(configs), ", ".join(f"{past.name} ({distance:.2f})"
                                        for past, distance in nearest))
    return WarmStart(tuple(configs), tuple(nearest))


def nearest_datasets(knowledge: KnowledgeBase, metafeatures: dict[str, float],
                     k: int = N_NEIGHBOURS) -> list[PastDataset]:
    """The ``k`` past datasets nearest to ``metafeatures``, nearest first (see
    :func:`nearest_with_distances`)."""
    return [past for past, _ in nearest_with_distances(knowledge, metafeatures, k)]


def nearest_with_distances(knowledge: KnowledgeBase, metafeatures: dict[str, float],
                           k: int = N_NEIGHBOURS) -> list[tuple[PastDataset, float]]:
    """The ``k`` past datasets nearest to ``metafeatures``, nearest first, with distances.

    L1 distance over the meta-features both sides know, each scaled by its range over the
    past datasets (a feature constant across them says nothing and is left out).
    """
    if not knowledge.datasets:
        return []
    names = [name for name in metafeatures
             if all(name in dataset.metafeatures for dataset in knowledge.datasets)]
    past = np.array([[dataset.metafeatures[name] for name in names]
                     for dataset in knowledge.datasets], dtype=np.float64)
    spread = past.max(axis=0) - past.min(axis=0) if names else np.zeros(0)
    informative = spread > 0
    new = np.array([metafeatures[name] for name in names], dtype=np.float64)
    distances = (np.abs(past[:, informative] - new[informative]) / spread[informative]).sum(axis=1)
    order = np.argsort(distances, kind="stable")[:k]
    return [(knowledge.datasets[i], float(distances[i])) for i in order]


def warm_start_configs(knowledge: KnowledgeBase, space: CompiledSpace,
                       metafeatures: dict[str, float], k: int = N_NEIGHBOURS,
                       allowance: TrialAllowance | None = None,
                       nearest: list[PastDataset] | None = None) -> list[tuple[Config, str]]:
    """The configs to try first, each with its source (``portfolio`` or ``warmstart``).

    Portfolio configs and the nearest datasets' best configs (``nearest``, when the caller
    has found them already) alternate, so that a short budget sees some of each; duplicates,
    configs outside ``space`` and configs estimated to cost more than ``allowance`` (see
    :func:`estimated_seconds`) are dropped.
    """
    everything = task_space(space.task)
    if nearest is None:
        nearest = nearest_datasets(knowledge, metafeatures, k)
    neighbours = [dataset.configs[0] for dataset in nearest if dataset.configs]
    pairs = zip_longest(((config, "portfolio") for config in knowledge.portfolio),
                        ((config, "warmstart") for config in neighbours))
    chosen: list[tuple[Config, str]] = []
    seen: set[str] = set()
    stale: list[str] = []
    too_costly = 0
    for config, source in (pair for pair in chain.from_iterable(pairs) if pair is not None):
        usable = _usable(config, everything, space, stale)
        if usable is None or config_key(usable) in seen:
            continue
        seen.add(config_key(usable))
        # Costs are kept under the stored config's key.
        if allowance is not None and not allowance.admits(usable, estimated_seconds(
                knowledge, config, metafeatures, allowance.fit_rows)):
            too_costly += 1
            continue
        chosen.append((usable, source))
    if stale:
        logger.warning("dropped %d stored config(s) that no longer fit the search space (the "
                       "knowledge base is older than it; rebuild it with metalearning.build): %s",
                       len(stale), stale[0])
    if too_costly:
        logger.info("warm start: %d config(s) skipped, estimated to take over %.1f s a trial "
                    "here", too_costly, allowance.seconds)
    return chosen


def _usable(config: Config, everything: CompiledSpace, space: CompiledSpace,
            stale: list[str]) -> Config | None:
    """``config`` checked against this search's space; None (and the reason added to
    ``stale``) when it no longer fits the task's full space, None quietly when its model is
    only left out of this search."""
    try:
        everything.validate(config)
    except ValueError as error:
        stale.append(str(error))
        return None
    try:
        return space.validate(config)
    except ValueError:
        return None


def estimated_seconds(knowledge: KnowledgeBase, config: Config, metafeatures: dict[str, float],
                      fit_rows: int, k: int = N_NEIGHBOURS) -> float | None:
    """What a trial of ``config`` should take on data where it trains on ``fit_rows`` rows
    (summed over folds): the median, over the ``k`` past datasets nearest in size where the
    matrix ran it, of its seconds there, each scaled by the ratio of rows trained on.

    Size is the log of the rows trained on and of the columns (and of the classes, where
    there are more than two): what a fit's cost grows with, whatever the data say otherwise.
    Scaling by rows is linear, a rough guess that errs low for kernel methods; that is why
    datasets of about the same size are asked. ``inf`` when the config failed or ran out of
    time on most of them; None when the knowledge base has no record of it.
    """
    record = knowledge.costs.get(config_key(config), {})
    past = [dataset for dataset in knowledge.datasets
            if dataset.name in record and dataset.fit_rows > 0]
    if not past:
        return None
    here = _size(fit_rows, metafeatures)
    distances = [float(np.abs(_size(dataset.fit_rows, dataset.metafeatures) - here).sum())
                 for dataset in past]
    nearest = [past[i] for i in np.argsort(distances, kind="stable")[:k]]
    return float(np.median([record[dataset.name] * fit_rows / dataset.fit_rows
                            for dataset in nearest]))


def _size(fit_rows: float, metafeatures: dict[str, float]) -> np.ndarray:
    """Where a dataset sits for a fit's cost: log rows trained on, log columns, log classes."""
    return np.array([np.log(fit_rows), metafeatures.get("log_n_features", 0.0),
                     np.log(max(2.0, metafeatures.get("n_classes", 2.0)))])
