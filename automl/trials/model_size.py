"""How long handing a fitted model over from a worker takes: pickling it there, loading it here.

A refit on all rows is not done when its fit ends: the worker pickles the model to a file and
this process loads it, and both grow with the model. A forest's fully grown trees grow with
the rows, and its handover can take longer than its fit; left out of the refit's estimate,
that time came after the budget (benchmarks/RESULTS.md, "The budget").

Pickling a model to measure it would cost the same time again, so the size is counted from
the fitted objects instead, in about a millisecond for a 200-tree forest: numpy arrays by their
bytes, scikit-learn's trees by their nodes, LightGBM's boosters by their leaves.
The rates below, measured on this project's 2-core machine, turn that into seconds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

_MB = 2**20
# Arrays and scikit-learn trees, written to a file by a worker and loaded from it by ``fit``
# (large forests). The load comes after a refit's time limit, so its rate errs long: a load
# sharing its core with the next refit.
_ARRAY_DUMP_SECONDS_PER_MB = 2.0e-3
_ARRAY_LOAD_SECONDS_PER_MB = 4.5e-3
# LightGBM pickles its model as text, about 120 bytes a leaf. A tree has one leaf more than
# it has splits, and the booster counts its splits by feature in a millisecond;
# ``num_leaves`` would be a poor bound: trees often grow far fewer leaves than it allows.
_BOOSTER_DUMP_SECONDS_PER_MB = 22e-3
_BOOSTER_LOAD_SECONDS_PER_MB = 6.6e-3
_BOOSTER_BYTES_PER_LEAF = 120
# A scikit-learn tree node: two children, feature, threshold, impurity, two sample counts and
# a missing-value flag, padded (``sklearn.tree._tree.NODE_DTYPE``).
_TREE_NODE_BYTES = 64
# An object's own attributes (its parameters, names, scalars), pickled: about 375 bytes for
# each of gradient boosting's small trees.
_OBJECT_BYTES = 300
# Nesting deeper than this is not followed (a fitted pipeline's models sit at about 8).
_MAX_DEPTH = 32


@dataclass(frozen=True)
class Handover:
    """Estimated seconds to pickle a fitted model to a file (in the worker) and to load it
    (in this process), and the bytes it pickles to (0: not measured)."""

    dump_seconds: float = 0.0
    load_seconds: float = 0.0
    nbytes: int = 0

    @property
    def seconds(self) -> float:
        return self.dump_seconds + self.load_seconds

    def scaled(self, factor: float) -> "Handover":
        """The handover of a model ``factor`` times as large: trees grow with the rows."""
        return Handover(self.dump_seconds * factor, self.load_seconds * factor,
                        round(self.nbytes * factor))


def estimate_handover(model: Any) -> Handover:
    """Seconds to pickle ``model`` and load it again, from its size (see the module doc);
    none when the model cannot be measured: an estimate must never fail the trial."""
    try:
        arrays, booster = _sizes(model, set(), 0)
    except Exception as error:  # a component's object that refuses to be looked into
        logger.info("could not measure a %s: %s: %s", type(model).__name__,
                    type(error).__name__, error)
        return Handover()
    return Handover(arrays / _MB * _ARRAY_DUMP_SECONDS_PER_MB
                    + booster / _MB * _BOOSTER_DUMP_SECONDS_PER_MB,
                    arrays / _MB * _ARRAY_LOAD_SECONDS_PER_MB
                    + booster / _MB * _BOOSTER_LOAD_SECONDS_PER_MB, arrays + booster)


def estimated_pickle_bytes(model: Any) -> int:
    """About how many bytes ``model`` pickles to (its arrays, trees and boosters)."""
    return sum(_sizes(model, set(), 0))


def _sizes(value: Any, seen: set[int], depth: int) -> tuple[int, int]:
    """(bytes of arrays and scikit-learn trees, bytes of LightGBM model text) under ``value``."""
    if id(value) in seen or depth > _MAX_DEPTH or isinstance(value, (str, bytes, int, float)):
        return 0, 0
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        if value.dtype != object:
            return value.nbytes, 0
        return _total((_sizes(item, seen, depth + 1) for item in value.ravel()), value.nbytes)
    kind = (type(value).__module__, type(value).__name__)
    if kind == ("sklearn.tree._tree", "Tree"):
        return value.node_count * _TREE_NODE_BYTES + value.value.nbytes, 0
    if kind[0].startswith("lightgbm") and kind[1] == "Booster":
        leaves = int(np.sum(value.feature_importance("split"))) + value.num_trees()
        return 0, leaves * _BOOSTER_BYTES_PER_LEAF
    if isinstance(value, dict):
        return _total(_sizes(item, seen, depth + 1) for item in value.values())
    if isinstance(value, (list, tuple, set, frozenset)):
        return _total(_sizes(item, seen, depth + 1) for item in value)
    if hasattr(value, "__dict__"):
        arrays, booster = _sizes(vars(value), seen, depth + 1)
        return arrays + _OBJECT_BYTES, booster
    return 0, 0


def _total(parts: Any, arrays: int = 0) -> tuple[int, int]:
    booster = 0
    for part_arrays, part_booster in parts:
        arrays, booster = arrays + part_arrays, booster + part_booster
    return arrays, booster
