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
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, zip_longest
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from automl.components import shipped_folder
from automl.data import Dataset
from automl.metafeatures import compute_metafeatures
from automl.space import CompiledSpace, Config, config_key, task_space

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
# Nearest past datasets whose best configs start the search.
N_NEIGHBOURS = 5


@dataclass(frozen=True)
class PastDataset:
    """One dataset of the corpus: its meta-features and best configs, best first."""

    name: str
    metafeatures: dict[str, float]
    configs: tuple[Config, ...]


@dataclass(frozen=True)
class KnowledgeBase:
    """What the builder learned for one task: past datasets, the portfolio, and a header
    saying which corpus, library version, search-space version and budget it came from."""

    task: str
    header: dict[str, Any]
    datasets: tuple[PastDataset, ...]
    portfolio: tuple[Config, ...]

    def without(self, names: Iterable[str]) -> "KnowledgeBase":
        """The same knowledge with some past datasets left out (leave-one-dataset-out)."""
        names = set(names)
        kept = tuple(dataset for dataset in self.datasets if dataset.name not in names)
        return KnowledgeBase(self.task, self.header, kept, self.portfolio)


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
                                     tuple(dict(item["config"]) for item in entry["configs"]))
                         for entry in data["datasets"])
        portfolio = tuple(dict(item["config"]) for item in data["portfolio"])
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        logger.warning("knowledge base %s is malformed (%s: %s): the search starts cold", path,
                       type(error).__name__, error)
        return None
    header = {key: value for key, value in data.items() if key not in ("datasets", "portfolio")}
    return KnowledgeBase(str(data.get("task")), header, datasets, portfolio)


def warm_start_for(dataset: Dataset, space: CompiledSpace, knowledge: str | os.PathLike | bool,
                   seed: int = 0) -> list[tuple[Config, str]]:
    """The warm-start configs for ``dataset``: none when ``knowledge`` is False or no
    knowledge base exists for its task; True reads the shipped one, a path another."""
    if knowledge is False:
        return []
    found = load_knowledge_base(dataset.task, None if knowledge is True else knowledge)
    if found is None:
        return []
    try:
        metafeatures = compute_metafeatures(dataset, seed)
    except Exception as error:  # a warm start is a help, never a reason for fit to fail
        logger.warning("meta-features failed (%s: %s): the search starts cold",
                       type(error).__name__, error)
        return []
    configs = warm_start_configs(found, space, metafeatures)
    logger.info("warm start: %d configs from the knowledge base", len(configs))
    return configs


def nearest_datasets(knowledge: KnowledgeBase, metafeatures: dict[str, float],
                     k: int = N_NEIGHBOURS) -> list[PastDataset]:
    """The ``k`` past datasets nearest to ``metafeatures``, nearest first.

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
    return [knowledge.datasets[i] for i in order]


def warm_start_configs(knowledge: KnowledgeBase, space: CompiledSpace,
                       metafeatures: dict[str, float], k: int = N_NEIGHBOURS
                       ) -> list[tuple[Config, str]]:
    """The configs to try first, each with its source (``portfolio`` or ``warmstart``).

    Portfolio configs and the nearest datasets' best configs alternate, so that a short
    budget sees some of each; duplicates and configs outside ``space`` are dropped.
    """
    everything = task_space(space.task)
    neighbours = [dataset.configs[0] for dataset in nearest_datasets(knowledge, metafeatures, k)
                  if dataset.configs]
    pairs = zip_longest(((config, "portfolio") for config in knowledge.portfolio),
                        ((config, "warmstart") for config in neighbours))
    chosen: list[tuple[Config, str]] = []
    seen: set[str] = set()
    stale: list[str] = []
    for config, source in (pair for pair in chain.from_iterable(pairs) if pair is not None):
        try:
            everything.validate(config)
        except ValueError as error:
            stale.append(str(error))
            continue
        try:
            usable = space.validate(config)
        except ValueError:  # its model is left out of this search: not stale, just not wanted
            continue
        key = config_key(usable)
        if key not in seen:
            seen.add(key)
            chosen.append((usable, source))
    if stale:
        logger.warning("dropped %d stored config(s) that no longer fit the search space (the "
                       "knowledge base is older than it; rebuild it with metalearning.build): %s",
                       len(stale), stale[0])
    return chosen
