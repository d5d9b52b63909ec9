"""How long the warm start's own steps take: meta-features, and the first usable model.

The issue's bounds: meta-features at most 0.5 s on 100k rows x 100 columns, and a first usable
model within 5 s of the start of ``fit`` on data up to that size. Synthetic data of several
shapes and class counts (a fifth of the columns strings, 2 % missing values; the classes are
bands of a signal; multiclass LightGBM grows a tree per class each round, so many classes
make the first trial slow on far fewer rows); meta-features are timed best of
three after one warm-up call; the first model is the first successful trial's (or preview's)
finish time in a 20 s ``fit`` with the shipped knowledge base, with no spare worker left by an
earlier fit (each as if the first ``fit`` of a fresh process).

    python benchmarks/warmstart_latency.py

Prints a table and writes benchmarks/results/warmstart-latency.md.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import automl  # noqa: E402
from automl.data import validate_input  # noqa: E402
from automl.metafeatures import compute_metafeatures  # noqa: E402
from automl.runner import discard_spares  # noqa: E402

# (rows, columns, classes)
SHAPES = [(1_000, 10, 2), (10_000, 50, 2), (100_000, 100, 2), (100_000, 20, 2), (20_000, 300, 2),
          (4_000, 40, 11), (2_000, 100, 10), (100_000, 100, 10)]
RESULTS = Path(__file__).resolve().parent / "results"


def synthetic(n_rows: int, n_columns: int, n_classes: int, seed: int = 0
              ) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n_rows, n_columns)), columns=[f"x{i}" for i in range(n_columns)])
    for i in range(0, n_columns, 5):
        X[f"x{i}"] = pd.Series(rng.choice(list("abcdefgh"), size=n_rows), dtype=object)
    X = X.mask(rng.random(X.shape) < 0.02)
    signal = X.select_dtypes("number").fillna(0).to_numpy()[:, :3].sum(axis=1)
    noisy = signal + rng.normal(size=n_rows)
    bands = np.quantile(noisy, np.linspace(0, 1, n_classes + 1)[1:-1])
    return X, np.searchsorted(bands, noisy)


def metafeature_seconds(X: pd.DataFrame, y: np.ndarray) -> float:
    dataset = validate_input(X, y)
    compute_metafeatures(dataset)
    times = []
    for _ in range(3):
        started = time.perf_counter()
        compute_metafeatures(dataset)
        times.append(time.perf_counter() - started)
    return min(times)


def first_model_seconds(X: pd.DataFrame, y: np.ndarray, task: str) -> float:
    discard_spares()  # the first fit of a process: its workers start from nothing
    model = automl.fit(X, y, time_budget=20, task=task, random_state=0)
    ok = model.leaderboard_[model.leaderboard_["status"] == "ok"]
    return float(ok["finished_at_seconds"].min())


def main() -> None:
    rows = []
    for n_rows, n_columns, n_classes in SHAPES:
        X, y = synthetic(n_rows, n_columns, n_classes)
        task = "binary" if n_classes == 2 else "multiclass"
        rows.append({"rows": n_rows, "columns": n_columns, "classes": n_classes,
                     "metafeatures_seconds": metafeature_seconds(X, y),
                     "first_model_seconds": first_model_seconds(X, y, task)})
        print(rows[-1], flush=True)
    table = pd.DataFrame(rows).to_markdown(index=False, floatfmt=".3f")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "warmstart-latency.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
