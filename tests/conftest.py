"""Shared fixtures: the shipped penguins data and small synthetic frames of every dtype."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automl.base.clock import budget_limit  # noqa: F401 (the promise the tests hold fit to)
from automl.search.warmstart import FORMAT_VERSION

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SHARED_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
FAULTY_COMPONENTS = Path(__file__).resolve().parent / "faulty_components"


@pytest.fixture(scope="session")
def installed_wheel(tmp_path_factory) -> Path:
    """The package built as a wheel and installed (without dependencies) into a folder of its
    own: put it first on PYTHONPATH, in a process run elsewhere, to use what users install."""
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
                    str(folder / "dist"), str(EXAMPLES.parent)], check=True, capture_output=True)
    (wheel,) = (folder / "dist").glob("automl-*.whl")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target",
                    str(folder / "site"), str(wheel)], check=True, capture_output=True)
    return folder / "site"


# The quick tier (`pytest -m "not slow and not workers"`) leaves out every test that starts a
# process: worker pools, the command line, benchmark scripts, busy neighbours. A test is marked
# `workers` when it uses a fixture that fits, or its body calls what starts processes.
_PROCESS_FIXTURES = {"saved_classifier", "saved_regressor", "fitted", "quick_commands",
                     "installed_wheel", "spinners", "searched"}
_PROCESS_CALLS = ("automl.fit(", "AutoMLClassifier(", "AutoMLRegressor(", "fit_table(",
                  "WorkerPool(", "subprocess", "automl(", "automl_each(", "run_search(",
                  "_search_with_one_worker(", "start_workers(", "build(", "_fit(", "_script(")
_PROCESS_MODULES = {"test_benchmarks", "test_cli", "test_runner", "test_faults"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _starts_processes(item):
            item.add_marker(pytest.mark.workers)


def _starts_processes(item: pytest.Item) -> bool:
    import inspect
    if item.module.__name__.rsplit(".", 1)[-1] in _PROCESS_MODULES:
        return True
    if set(getattr(item, "fixturenames", ())) & _PROCESS_FIXTURES:
        return True
    params = getattr(getattr(item, "callspec", None), "params", {})
    if any(type(value).__name__.startswith("AutoML") for value in params.values()):
        return True  # scikit-learn's estimator checks fit it
    try:
        source = inspect.getsource(item.function)
    except (OSError, TypeError):
        return True  # unknown: keep it out of the quick tier
    return any(call in source for call in _PROCESS_CALLS)


@pytest.fixture(autouse=True)
def _quick_tier_starts_no_process(request):
    """With AUTOML_CHECK_QUICK=1, a test not marked `workers` fails if it left a child
    process behind or started a worker pool: the check that the marking above is right."""
    import os

    import psutil
    if os.environ.get("AUTOML_CHECK_QUICK") != "1" or \
            request.node.get_closest_marker("workers"):
        yield
        return
    from automl.trials import runner
    before = {child.pid for child in psutil.Process().children(recursive=True)}
    started = runner.WorkerPool.__init__
    calls = []

    def counted(self, *args, **kwargs):
        calls.append(1)
        return started(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runner.WorkerPool, "__init__", counted)
        yield
    after = {child.pid for child in psutil.Process().children(recursive=True)}
    assert not calls and after <= before, f"{request.node.nodeid} starts processes: mark it"


@pytest.fixture(autouse=True)
def _fits_learn_something(request):
    """Every fit a test runs in its process must leave a model that learnt something: one
    whose trials all failed, or that fell back to the training prior, fails the test (a test
    that passes then would pass with nothing working), unless the test is marked
    ``expects_prior``."""
    if request.node.get_closest_marker("expects_prior"):
        yield
        return
    from automl.estimator import _AutoMLBase
    fit = _AutoMLBase.fit

    def checked(self, X, y):
        fitted = fit(self, X, y)
        board = self.leaderboard_
        if self.prior_only_ or not (board["status"] == "ok").any():
            errors = board["error"].dropna().unique().tolist()[:3]
            pytest.fail(f"the fit learnt nothing (every trial failed, or the final model is "
                        f"the training prior; errors: {errors}); mark the test "
                        f"expects_prior if that is what it tests", pytrace=False)
        return fitted

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_AutoMLBase, "fit", checked)
        yield


@pytest.fixture(scope="session", autouse=True)
def _temporary_folders_under_pytest(tmp_path_factory):
    """Fits without a ``log_dir`` keep their trial log in a new temporary folder, by design;
    here those folders go under pytest's own, which it prunes, rather than piling up in the
    system's temporary folder run after run."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TMPDIR", str(tmp_path_factory.mktemp("tmp")))
        patch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
        yield


def context_of(X, y, *, task=None, metric="auto", strategy="auto", include_models=None):
    """The evaluation context (seed 0) of ``X, y`` and its compiled search space: what a
    search builds before its first trial, for tests that score, refit or assemble by hand."""
    from automl.base.metrics import get_metric
    from automl.input.data import validate_input
    from automl.space.compiled import compile_space
    from automl.space.components import load_components
    from automl.trials.evaluate import EvaluationContext, make_resampling

    dataset = validate_input(X, y, task=task)
    space = compile_space(load_components(), dataset.task, dataset.n_rows, include_models)
    resampling = make_resampling(dataset.y, dataset.task, strategy, seed=0)
    return EvaluationContext(dataset, space, resampling, get_metric(metric, dataset.task),
                             0), space


def toy_resampling(kind: str = "cv", n_folds: int = 5):
    """Splits of 100 rows, each training on the first 80: five for ``cv``, one otherwise."""
    from automl.trials.evaluate import Resampling
    folds = (np.arange(80), np.arange(80, 100))
    return Resampling(kind, tuple(folds for _ in range(n_folds if kind == "cv" else 1)))


def evaluation_context(frame: pd.DataFrame, target: str, metric="auto"):
    """``context_of`` the rest of ``frame`` and its ``target``, rows without a target dropped."""
    frame = frame.dropna(subset=[target])
    return context_of(frame.drop(columns=target), frame[target], metric=metric)


def boosting(space, learning_rate: float, min_samples_leaf: int) -> dict:
    """HistGradientBoosting's defaults with another learning rate and least leaf size, and
    300 rounds: at a learning rate of 1.0 and leaves of at least 50 rows it diverges on iris."""
    return {**space.default_config("hist_gradient_boosting"),
            "model.hist_gradient_boosting.learning_rate": learning_rate,
            "model.hist_gradient_boosting.min_samples_leaf": min_samples_leaf,
            "model.hist_gradient_boosting.max_iter": 300}


def write_knowledge_base(folder, space, datasets, portfolio, version=FORMAT_VERSION,
                         seconds=None):
    """A knowledge base file for ``space``'s task in ``folder``: ``datasets`` are (name,
    meta-features, best config) triples; ``seconds`` (config model -> {dataset: seconds or
    None}) gives the configs' matrix costs, and each dataset then trained on 1,000 rows a
    fit."""
    folder.mkdir(exist_ok=True)
    costs = (lambda config: {"seconds": seconds[config["model"]]}) if seconds else dict
    data = {"format_version": version, "task": space.task, "library_version": "test",
            "space_version": "test", "corpus": "test", "datasets": [
                {"name": name, "metafeatures": features, "metric": "roc_auc",
                 **({"matrix_fit_rows": 1000} if seconds else {}),
                 "configs": [{"config": config, "score": 0.9, "model": config["model"],
                              **costs(config)}]}
                for name, features, config in datasets],
            "portfolio": [{"config": config, "origin": "test", "mean_normalised_score": 1.0,
                           **costs(config)} for config in portfolio]}
    (folder / f"{space.task}.json").write_text(json.dumps(data))
    return folder


@pytest.fixture(scope="session")
def penguins() -> pd.DataFrame:
    return pd.read_csv(EXAMPLES / "penguins.csv")


@pytest.fixture()
def mixed_frame() -> tuple[pd.DataFrame, pd.Series]:
    """120 rows with numeric, string, category, bool, nullable-int and datetime columns."""
    rng = np.random.default_rng(0)
    n = 120
    signal = rng.normal(size=n)
    frame = pd.DataFrame({
        "number": signal + rng.normal(scale=0.3, size=n),
        "color": pd.Series(rng.choice(["red", "green", "blue"], size=n), dtype=object),
        "size": pd.Categorical(rng.choice(["S", "M", "L"], size=n)),
        "flag": rng.random(n) > 0.5,
        "count": pd.array(rng.integers(0, 5, size=n), dtype="Int64"),
        "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
    })
    frame.loc[::7, "number"] = np.nan
    frame.loc[::11, "color"] = None
    frame.loc[::13, "count"] = pd.NA
    y = pd.Series(np.where(signal > 0, "yes", "no"), name="target")
    return frame, y


@pytest.fixture(scope="session")
def saved_classifier():
    """A real fit (8 trials) on the Kaggle-style penguins, a quarter of the rows held out."""
    from automl.workflow import fit_table
    frame = pd.read_csv(EXAMPLES / "kaggle" / "train.csv")
    return fit_table(frame, "species", id_column="id", holdout=0.25, time_budget=30,
                     max_trials=8, source="train.csv", random_state=0)


@pytest.fixture(scope="session")
def saved_regressor():
    """A real fit (8 trials) of the penguins' body mass (two rows lack it), a quarter held out."""
    from automl.workflow import fit_table
    with pytest.warns(UserWarning, match="2 of 344 rows have no value in the target column"):
        return fit_table(pd.read_csv(EXAMPLES / "penguins.csv"), "body_mass_g", holdout=0.25,
                         time_budget=30, max_trials=8, source="penguins.csv", random_state=0)
