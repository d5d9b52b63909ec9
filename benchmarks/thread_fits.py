"""One LightGBM and one HistGradientBoosting fit with 1 and with 2 threads, idle and beside
two 2-thread LightGBM neighbours: the measurements behind ``automl/threads.py``.

Each size (rows x 20 columns, a noisy binary target) is fitted twice per setting; the
neighbours (``busy_machine.NEIGHBOUR``) start 2 s before the busy half and are stopped after.
``--omp-passive`` runs the idle half again with ``OMP_WAIT_POLICY=PASSIVE``.

    python benchmarks/thread_fits.py [--omp-passive]

Prints a table and writes benchmarks/results/thread-fits.csv.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from busy_machine import NEIGHBOUR  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "thread-fits.csv"

FITS = """
import sys, time
import numpy as np, lightgbm
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_limits
rng = np.random.default_rng(1)
print("rows,repeat,threads,lightgbm_s,hist_gradient_boosting_s")
for n in (1000, 5000, 10000, 20000, 40000):
    X = rng.normal(size=(n, 20)); y = (X[:, 0] + rng.normal(size=n) > 0).astype(int)
    for repeat in range(2):
        for threads in (1, 2):
            started = time.perf_counter()
            lightgbm.LGBMClassifier(n_jobs=threads, verbose=-1).fit(X, y)
            lgb = time.perf_counter() - started
            with threadpool_limits(threads):
                started = time.perf_counter()
                HistGradientBoostingClassifier(early_stopping=False).fit(X, y)
                hgb = time.perf_counter() - started
            print(f"{n},{repeat},{threads},{lgb:.3f},{hgb:.3f}", flush=True)
"""


def measure(label: str, neighbours: int, env: dict[str, str]) -> pd.DataFrame:
    others = [subprocess.Popen([sys.executable, "-c", NEIGHBOUR, "600"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
              for _ in range(neighbours)]
    try:
        time.sleep(2 if neighbours else 0)
        done = subprocess.run([sys.executable, "-c", FITS], capture_output=True, text=True,
                              env=env, check=True, timeout=1200)
    finally:
        for other in others:
            other.kill()
            other.wait()
    return pd.read_csv(io.StringIO(done.stdout)).assign(machine=label)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--omp-passive", action="store_true")
    args = parser.parse_args()
    runs = [measure("idle", 0, dict(os.environ)), measure("busy", 2, dict(os.environ))]
    if args.omp_passive:
        runs.append(measure("idle, OMP_WAIT_POLICY=PASSIVE", 0,
                            dict(os.environ, OMP_WAIT_POLICY="PASSIVE")))
    frame = pd.concat(runs, ignore_index=True)
    table = frame.pivot_table(index=["machine", "rows"], columns="threads",
                              values=["lightgbm_s", "hist_gradient_boosting_s"], aggfunc="median")
    print(table.round(3).to_string())
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(RESULTS, index=False)


if __name__ == "__main__":
    main()
