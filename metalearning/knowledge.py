"""Write the knowledge base files from the build's records: one JSON file per task.

Each file describes itself: format version, task, library and search-space versions, the
corpus, the search budget, the matrix fidelity, the compute the build took, the meta-feature
names, then the past datasets (meta-features and best configs, best first) and the portfolio
(configs in the order the greedy step chose them, with where each came from and the mean
normalised score the portfolio reached with it). Each config the warm start may queue (the
portfolio's, each dataset's best) carries its matrix seconds on every dataset of the task
(null where it failed or ran out of time), and each dataset the rows its matrix fits trained
on, so that ``automl.search.warmstart`` can tell a config too slow for the data at hand.

``exclude`` leaves datasets out entirely (their searches, their configs as candidates and
their columns of the matrix): leave-one-dataset-out evaluation compiles one such knowledge
base per dataset. Only the matrix rows that hold a result for every candidate choose the
portfolio (``n_matrix_datasets`` counts them): a build compiled before its matrix stage
finished is chosen on the datasets already done, never on half-scored ones.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Iterable

import numpy as np

import automl
from automl.input.data import TASKS
from automl.input.metafeatures import NAMES
from automl.search.warmstart import FORMAT_VERSION

from .portfolio import greedy_portfolio
from .records import candidate_key, family_defaults, scored_for_all, task_candidates, write_json

logger = logging.getLogger(__name__)

PORTFOLIO_SIZE = 8
# Best configs kept per past dataset (best per model family, best first); the warm start uses
# the first, the rest say what else worked.
CONFIGS_PER_DATASET = 3
# The matrix stage's cross-validation folds (``metalearning.build``): each candidate trains
# on (folds - 1) times the rows it is given.
MATRIX_FOLDS = 3


def compile_knowledge(searches: dict[str, dict[str, Any]], matrix: dict[str, dict[str, Any]],
                      folder: Path, corpus: str, max_rows: int,
                      exclude: Iterable[str] = ()) -> list[Path]:
    """Write ``<folder>/<task>.json`` for each task with at least one past dataset."""
    excluded = set(exclude)
    kept = {name: record for name, record in searches.items() if name not in excluded}
    written = []
    for task in TASKS:
        records = {name: record for name, record in kept.items() if record["task"] == task}
        if not records:
            continue
        all_rows = [matrix[name] for name in sorted(records) if name in matrix]
        candidates = _scored_candidates(task, task_candidates(task, records), all_rows)
        rows = _complete_rows(task, candidates, all_rows)
        portfolio = _portfolio(candidates, rows, queued_anyway(task))
        path = Path(folder) / f"{task}.json"
        write_json(path, {
            "format_version": FORMAT_VERSION, "task": task,
            "library_version": automl.__version__,
            "space_version": searched_space(records.values()),
            "corpus": corpus, "n_datasets": len(records), "n_matrix_datasets": len(rows),
            "n_candidates": len(candidates),
            "search_budget_seconds": sorted({r["budget_seconds"] for r in records.values()}),
            "matrix_max_rows": max_rows, "portfolio_size": PORTFOLIO_SIZE,
            "build_seconds": round(sum(r["seconds"] for r in records.values())
                                   + sum(sum(v for v in matrix[name]["seconds"].values())
                                         for name in records if name in matrix), 1),
            "metafeature_names": list(NAMES),
            "datasets": [{"name": name, "metafeatures": record["metafeatures"],
                          "metric": record["metric"],
                          "matrix_fit_rows": _fit_rows(record, matrix.get(name), max_rows),
                          "configs": _with_seconds(record["configs"][:1], all_rows)
                          + record["configs"][1:CONFIGS_PER_DATASET]}
                         for name, record in sorted(records.items())],
            "portfolio": _with_seconds(portfolio, all_rows)})
        written.append(path)
    return written


def searched_space(records: Iterable[dict[str, Any]]) -> str | None:
    """The search space the searches ran in, as their records say: the one every record
    names, else None (records from before the version was recorded, or a mix)."""
    versions = {record.get("space_version") for record in records}
    if len(versions) == 1 and None not in versions:
        return versions.pop()
    logger.warning("the searches ran in search spaces %s: the header names none", versions)
    return None


def _fit_rows(search: dict[str, Any], row: dict[str, Any] | None, max_rows: int) -> int:
    """The rows each matrix fit trained on for this dataset, summed over the folds."""
    n_rows = round(float(np.exp(search["metafeatures"]["log_n_rows"])))
    cap = int(row.get("max_rows", max_rows)) if row else max_rows
    return (MATRIX_FOLDS - 1) * min(n_rows, cap)


def _with_seconds(items: list[dict[str, Any]], rows: list[dict[str, Any]]
                  ) -> list[dict[str, Any]]:
    """Each config item with ``seconds``: its matrix seconds on every dataset that scored
    it, by name; None where it failed or ran out of time (the warm start reads that as too
    costly: a recorded time-out says only that it took longer than the limit)."""
    return [{**item, "seconds": {row["name"]: (round(row["seconds"][key], 3)
                                               if row["scores"][key] is not None else None)
                                 for row in rows
                                 if key in row["scores"] and key in row["seconds"]}}
            for item in items for key in [candidate_key(item["config"])]]


def _scored_candidates(task: str, candidates: dict[str, dict[str, Any]],
                       rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The candidates at least one matrix row has a result for.

    One that no row has is newer than the matrix: the search space changed after the matrix
    stage ran (a new default gives a family's defaults a new key). It cannot be judged until
    that stage scores it, and it must not make every row look unfinished, which would leave
    the portfolio empty.
    """
    unscored = [key for key in candidates if rows and not any(key in row["scores"]
                                                               for row in rows)]
    if unscored:
        logger.warning("%s: %d candidate(s) no matrix row has scored (%s) are left out of the "
                       "portfolio; run the matrix stage to score them", task, len(unscored),
                       ", ".join(candidates[key]["origin"] for key in unscored))
    return {key: value for key, value in candidates.items() if key not in unscored}


def _complete_rows(task: str, candidates: dict[str, dict[str, Any]],
                   rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The matrix rows scored for every candidate (a build can be compiled halfway through
    its matrix stage)."""
    complete = [row for row in rows if scored_for_all(row, candidates)]
    if len(complete) < len(rows):
        logger.warning("%s: %d of %d matrix rows lack scores for some candidates (the matrix "
                       "stage has not finished); the portfolio is chosen on the %d complete "
                       "ones", task, len(rows) - len(complete), len(rows), len(complete))
    return complete


def queued_anyway(task: str) -> set[str]:
    """The candidates every search runs whatever the knowledge base says: each model family's
    defaults (``fitting.initial_configs`` queues them all).

    The portfolio is chosen given them, so that no place goes to a config the search would
    run anyway: given the first default alone, 3 to 6 of the 8 places of the 20 s build's
    portfolios were other families' defaults, and the warm start added little a cold search
    did not try.
    """
    return {candidate_key(config) for config in family_defaults(task).values()}


def _portfolio(candidates: dict[str, dict[str, Any]], rows: list[dict[str, Any]],
               given_keys: set[str]) -> list[dict[str, Any]]:
    """The greedy portfolio over the datasets that have a matrix row, given the candidates
    of ``given_keys`` (run anyway: they take no place)."""
    keys = sorted(candidates)
    if not rows:
        return []
    scores = np.array([[_score(row, key) for key in keys] for row in rows], dtype=np.float64)
    given = [index for index, key in enumerate(keys) if key in given_keys]
    return [{"config": candidates[keys[index]]["config"],
             "origin": candidates[keys[index]]["origin"],
             "mean_normalised_score": round(reached, 4)}
            for index, reached in greedy_portfolio(scores, PORTFOLIO_SIZE, given)]


def _score(row: dict[str, Any], key: str) -> float:
    value = row["scores"].get(key)
    return np.nan if value is None else float(value)
