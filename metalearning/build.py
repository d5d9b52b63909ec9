"""Build the knowledge base that warm starts the search, from a corpus of past datasets.

    python -m metalearning.build                          # the whole corpus, all stages
    python -m metalearning.build --datasets iris tips --budget 10 --workers 2

Three stages, each resumable and incremental: every result is written per dataset, atomically,
into the work folder, and a stage skips what is already there, so a build killed halfway, or
spread over several runs (or machines sharing the folder), goes on where it stopped; adding
datasets or candidates later computes only what is new, and a larger ``--budget`` re-runs the
searches recorded at a smaller one.

1. **search**: the library's own cold search (``warm_start=False``, ``ensemble=False``) on each
   dataset for ``--budget`` seconds; its meta-features and best configs, one per model family,
   go to ``<work>/searches/<name>.json``.
2. **matrix**: the candidates of a task are every search's best config plus each model family's
   defaults; each is scored on every dataset of its task at a cheap fidelity (at most
   ``--matrix-rows`` rows, 3-fold CV, ``--candidate-seconds`` per candidate) in a worker
   process, into ``<work>/matrix/<name>.json``.
3. **compile**: a greedy portfolio per task from that matrix (``metalearning.portfolio``) and
   the knowledge base files ``<knowledge>/<task>.json`` (see ``metalearning.knowledge``).

``--workers N`` runs N datasets at once, each in its own process with one core; the total
compute (wall seconds summed over datasets) is recorded in the knowledge base's header.
Stopping the build (Ctrl-C, or a signal to its process alone) stops its workers too, within
about a second; the searches they were running are repeated by the next run.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Callable

import psutil
from sklearn.model_selection import train_test_split

import automl
from automl.base.metrics import get_metric
from automl.input.data import validate_input
from automl.input.metafeatures import compute_metafeatures
from automl.space.compiled import CompiledSpace, Config, compile_space
from automl.space.components import load_components, space_version
from automl.trials.evaluate import EvaluationContext, make_resampling
from automl.trials.jobs import EvaluateJob
from automl.trials.runner import WorkerPool, default_memory_limit_mb

from .corpus import DEFAULT_CORPUS, CorpusError, load_dataset, read_manifest
from .knowledge import MATRIX_FOLDS, compile_knowledge
from .records import read_records, task_candidates, write_json

logger = logging.getLogger(__name__)

# The shipped knowledge base's build state and the settings it was built with: the 20 s and
# 300 s builds it was compared with did worse or no better (benchmarks/RESULTS.md).
WORK_DIR = Path(__file__).resolve().parent / "work-120s"
BUDGET_SECONDS, MATRIX_ROWS, CANDIDATE_SECONDS = 120.0, 5000, 10.0
KNOWLEDGE_DIR = Path(__file__).resolve().parent / "knowledge"
# Left out of the shipped build: the repository's example table and scikit-learn's bundled
# ones (load_breast_cancer, load_iris, load_wine, load_diabetes), the tables a first try
# uses; a warm start that finds the very table it fits looks better than it will on new data.
DEMO_DATASETS = ("penguins", "wdbc", "iris", "wine_recognition", "diabetes_progression")
SEED = 0
# Run from a source checkout (the defaults above are its folders) or from an installed
# package (``python -m automl.metalearning.build``), where the default knowledge folder is the
# shipped knowledge base inside site-packages.
IN_CHECKOUT = (Path(__file__).resolve().parents[1] / "pyproject.toml").is_file()


def search_dataset(entry: dict[str, Any], corpus: Path, budget: float, work: Path) -> str:
    """Stage 1 for one dataset: a cold search, its meta-features and best configs."""
    started = time.monotonic()
    X, y = load_dataset(entry, corpus)
    dataset = validate_input(X, y, task=entry["task"])
    metafeatures = compute_metafeatures(dataset, SEED)
    with tempfile.TemporaryDirectory(prefix="automl-build-") as log_dir:
        model = automl.fit(X, y, time_budget=budget, task=entry["task"], random_state=SEED,
                           n_jobs=1, warm_start=False, ensemble=False, log_dir=log_dir)
    board = model.leaderboard_[model.leaderboard_["status"] == "ok"]
    sign = 1.0 if model.higher_is_better_ else -1.0
    best_per_family = board.drop_duplicates("model")  # the leaderboard is best first
    write_json(work / "searches" / f"{entry['name']}.json", {
        "name": entry["name"], "task": entry["task"], "target": entry["target"],
        "features": [str(column) for column in X.columns], "metric": model.metric_,
        # ensemble=False: the leaderboard has no ensemble row, only trials
        "budget_seconds": budget, "n_trials": len(model.leaderboard_),
        "metafeatures": metafeatures,
        # Stored in the search's form (larger is better), as the matrix's scores are.
        "configs": [{"config": row.config, "score": sign * row.score, "model": row.model}
                    for row in best_per_family.itertuples()],
        "library_version": automl.__version__, "space_version": space_version(),
        "seconds": time.monotonic() - started})
    return entry["name"]


def score_candidates(entry: dict[str, Any], corpus: Path, candidates: dict[str, dict[str, Any]],
                     work: Path, max_rows: int, candidate_seconds: float) -> str:
    """Stage 2 for one dataset: every candidate not yet scored on it, at a cheap fidelity."""
    path = work / "matrix" / f"{entry['name']}.json"
    record = json.loads(path.read_text()) if path.exists() else {
        "name": entry["name"], "task": entry["task"], "max_rows": max_rows, "scores": {},
        "seconds": {}}
    missing = [key for key in candidates if key not in record["scores"]]
    if not missing:
        return entry["name"]
    context = _cheap_context(entry, corpus, max_rows)
    pool = WorkerPool(context, 1, 1, default_memory_limit_mb(1))
    try:
        for key in missing:
            score, seconds = _score_one(pool, context.space, candidates[key]["config"],
                                        candidate_seconds)
            record["scores"][key], record["seconds"][key] = score, seconds
            write_json(path, record)
    finally:
        pool.close()
    return entry["name"]


def _cheap_context(entry: dict[str, Any], corpus: Path, max_rows: int) -> EvaluationContext:
    """At most ``max_rows`` rows (stratified for classes), 3-fold CV, the task's metric."""
    X, y = load_dataset(entry, corpus)
    if len(y) > max_rows:
        stratify = y if entry["task"] != "regression" and y.value_counts().min() >= 2 else None
        X, _, y, _ = train_test_split(X, y, train_size=max_rows, random_state=SEED,
                                      stratify=stratify)
    dataset = validate_input(X, y, task=entry["task"])
    space = compile_space(load_components(), dataset.task, dataset.n_rows)
    resampling = make_resampling(dataset.y, dataset.task, "cv", MATRIX_FOLDS, SEED)
    return EvaluationContext(dataset, space, resampling, get_metric("auto", dataset.task), SEED)


def _score_one(pool: WorkerPool, space: CompiledSpace, config: Config,
               limit: float) -> tuple[float | None, float]:
    """The candidate's validation score (None when it does not fit the space or fails)."""
    try:
        config = space.validate(config)
    except ValueError:
        return None, 0.0
    while not pool.n_idle:
        pool.poll()
    pool.submit("candidate", EvaluateJob(config), limit)
    while True:
        for _, outcome in pool.poll():
            if outcome.status != "done":
                return None, outcome.seconds
            result, _ = outcome.value
            return (result.score if result.status == "ok" else None), outcome.seconds


def run_stage(jobs: list[Callable[[], str]], workers: int) -> None:
    """Run jobs one per process; a failed job is logged and left for the next run.

    Each process is pinned to its share of the cores, so that the fits it runs use that many
    threads: unpinned, two fits each using every core made LightGBM ten times slower.
    """
    if not jobs:
        return
    # Spawned, not forked: a process that already ran a fit holds threads (its parked
    # workers' readers), and a child forked while one held a lock hung on it for good.
    context = multiprocessing.get_context("spawn")
    claimed = context.Value("i", 0)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                             initargs=(claimed, workers, os.getpid())) as executor:
        futures = [executor.submit(job) for job in jobs]
        for future in as_completed(futures):
            try:
                logger.info("done: %s", future.result())
            except Exception as error:  # one dataset's failure must not stop the build
                logger.warning("a build job failed (it is retried on the next run): %s: %s",
                               type(error).__name__, error)


def _start_worker(claimed: Any, workers: int, parent: int) -> None:
    """Pin this worker to its share of the cores, and have it end when the build ends."""
    _pin_to_share(claimed, workers)
    threading.Thread(target=_end_with_parent, args=(parent,), name="end-with-parent",
                     daemon=True).start()


def _end_with_parent(parent: int, every: float = 1.0) -> None:
    """Kill this worker, and the search workers under it, once the build process is gone.

    A build stopped by a signal to its own process alone (``kill``, ``pkill -f``, a job
    scheduler) leaves its pool's workers running: each went on with its search for up to the
    budget and wrote its record while a resumed build was already running the same dataset
    again. The unfinished search is lost either way; the next run repeats it.
    """
    while os.getppid() == parent:
        time.sleep(every)
    logger.warning("the build process %d is gone: this worker and its searches stop", parent)
    for child in psutil.Process().children(recursive=True):
        try:
            child.kill()
        except psutil.Error:
            pass
    os._exit(1)


def _pin_to_share(claimed: Any, workers: int) -> None:
    """Pin this worker process to every ``workers``-th core, starting at its own index."""
    if not hasattr(os, "sched_setaffinity") or workers < 2:
        return
    with claimed.get_lock():
        index, claimed.value = claimed.value, claimed.value + 1
    cores = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, cores[index % workers::workers] or cores)


def build(corpus: Path = DEFAULT_CORPUS, work: Path = WORK_DIR, knowledge: Path = KNOWLEDGE_DIR,
          names: list[str] | None = None, budget: float = BUDGET_SECONDS,
          max_rows: int = MATRIX_ROWS, candidate_seconds: float = CANDIDATE_SECONDS,
          workers: int = 1,
          stages: tuple[str, ...] = ("search", "matrix", "compile"),
          exclude: tuple[str, ...] = DEMO_DATASETS) -> None:
    """Run the stages over the corpus (or ``names`` of it), less ``exclude``; see the module
    docstring."""
    manifest = read_manifest(corpus)
    unknown = sorted(set(names or ()) - set(manifest))
    if unknown:
        raise CorpusError(f"datasets not in the corpus manifest: {unknown}.")
    # The demo tables are left out wherever they are; a name given besides must be a dataset.
    unknown = sorted(set(exclude) - set(DEMO_DATASETS) - set(manifest))
    if unknown:
        raise CorpusError(f"--exclude names datasets not in the corpus manifest: {unknown}.")
    entries = [manifest[name] for name in (names or sorted(manifest)) if name not in exclude]
    if "search" in stages:  # a search recorded at a smaller budget is run again
        done = {name for name, record in read_records(work / "searches").items()
                if record["budget_seconds"] >= budget}
        run_stage([_Job(search_dataset, entry, corpus, budget, work)
                   for entry in entries if entry["name"] not in done], workers)
    searches = {name: record for name, record in read_records(work / "searches").items()
                if name not in exclude}
    if "matrix" in stages:
        by_task = {task: task_candidates(task, searches) for task in ("binary", "multiclass",
                                                                      "regression")}
        run_stage([_Job(score_candidates, entry, corpus, by_task[entry["task"]], work, max_rows,
                        candidate_seconds)
                   for entry in entries if entry["name"] in searches], workers)
    if "compile" in stages:
        matrix = read_records(work / "matrix")
        compile_knowledge(searches, matrix, knowledge, corpus=str(corpus),
                          max_rows=_matrix_rows(matrix, max_rows), exclude=exclude)


def _matrix_rows(matrix: dict[str, dict[str, Any]], default: int) -> int:
    """The row cap the matrix was scored at, as its records say: a compile-only run must not
    write ``--matrix-rows``'s default into the header of a matrix built at another."""
    recorded = {int(row["max_rows"]) for row in matrix.values() if "max_rows" in row}
    if len(recorded) > 1:
        logger.warning("the matrix was scored at several row caps %s; the header gives the "
                       "largest", sorted(recorded))
    return max(recorded, default=default)


class _Job:
    """A picklable call (a lambda cannot cross to a worker process)."""

    def __init__(self, function: Callable[..., str], *args: Any) -> None:
        self.function, self.args = function, args

    def __call__(self) -> str:
        return self.function(*self.args)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help="folder with manifest.json and the datasets")
    parser.add_argument("--work", type=Path, help="resumable build state (default, in a "
                        f"checkout: {WORK_DIR.parent.name}/{WORK_DIR.name})")
    parser.add_argument("--knowledge", type=Path, help="where the knowledge base files go "
                        f"(default, in a checkout: {KNOWLEDGE_DIR.parent.name}/knowledge, the "
                        "one shipped in the wheel)")
    parser.add_argument("--datasets", nargs="*", help="names from the manifest (default: all)")
    parser.add_argument("--budget", type=float, default=BUDGET_SECONDS,
                        help="seconds per cold search")
    parser.add_argument("--matrix-rows", type=int, default=MATRIX_ROWS)
    parser.add_argument("--candidate-seconds", type=float, default=CANDIDATE_SECONDS)
    parser.add_argument("--workers", type=int, default=1, help="datasets at once")
    parser.add_argument("--stages", nargs="*", default=["search", "matrix", "compile"],
                        choices=["search", "matrix", "compile"])
    parser.add_argument("--exclude", nargs="*", default=list(DEMO_DATASETS), metavar="NAME",
                        help="datasets left out (default: the demo tables "
                             f"{', '.join(DEMO_DATASETS)}; give none to use every one)")
    args = parser.parse_args(argv)
    for option, value, least in (("--budget", args.budget, 1.0),
                                 ("--candidate-seconds", args.candidate_seconds, 1.0),
                                 ("--matrix-rows", args.matrix_rows, 20),
                                 ("--workers", args.workers, 1)):
        if not value >= least:  # a NaN budget fails too
            parser.error(f"{option} must be at least {least}, got {value}")
    if not IN_CHECKOUT and (args.work is None or args.knowledge is None):
        parser.error("--work and --knowledge are required when the builder runs from an "
                     "installed package: their defaults are folders of a source checkout, and "
                     f"the knowledge base would overwrite the shipped one in {KNOWLEDGE_DIR}. "
                     "Then fit with warm_start=<the --knowledge folder>.")
    args.work, args.knowledge = args.work or WORK_DIR, args.knowledge or KNOWLEDGE_DIR
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        build(args.corpus, args.work, args.knowledge, args.datasets, args.budget,
              args.matrix_rows, args.candidate_seconds, args.workers, tuple(args.stages),
              tuple(args.exclude))
    except (CorpusError, FileNotFoundError) as error:  # before any work: say it in one line
        parser.error(str(error))


if __name__ == "__main__":
    main()
