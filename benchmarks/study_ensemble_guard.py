"""Study: which guard keeps ensemble selection from losing to the best single pipeline?

Ensemble selection on few validation rows can fit their noise (issue 3's benchmark lost on
breast_cancer_ljubljana, tips and concrete_strength). This study collects, for datasets with
fewer than 5,000 validation rows, what any guard would see and what it would get:

1. one seeded ``automl.fit`` (ensembling on) on a 75/25 split; the candidates' out-of-fold
   predictions are captured where selection reads them;
2. every candidate refit on the whole training split (in this process) and scored on the
   test split.

The arrays go to ``<out>/<dataset>.npz``; ``--evaluate`` then replays each guard offline on
them (``automl.ensemble`` does the selection) and prints the test-split change against the
best single candidate. The study wraps one private function of ``automl.assemble`` to capture
the predictions: it is an experiment, not a test.

    python benchmarks/study_ensemble_guard.py --budget 30 --out /tmp/guard-study
    python benchmarks/study_ensemble_guard.py --budget 60 --datasets vehicle --seeds 0 1 2 3 4
    python benchmarks/study_ensemble_guard.py --evaluate --out /tmp/guard-study
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import automl  # noqa: E402
from automl import assemble, ensemble  # noqa: E402
from automl.evaluate import fit_final, predict_raw  # noqa: E402
from automl.metrics import get_metric  # noqa: E402
from datasets import load_split, manifest  # noqa: E402

SMALL = ["sonar", "breast_cancer_ljubljana", "titanic", "credit_g", "kr_vs_kp", "stroke",
         "haberman", "blood_transfusion", "glass", "soybean", "vehicle", "car_evaluation",
         "obesity_levels", "wine_quality_white", "yeast", "autos_price", "tips", "auto_mpg",
         "concrete_strength", "medical_insurance", "abalone", "bodyfat", "diabetes_progression"]


def collect(entry: dict, budget: float, out: Path, seed: int = 0) -> None:
    """Fit, capture the candidates' validation predictions, refit them all, save."""
    captured: dict = {}
    original = assemble._validation_predictions

    def capture(store, candidates, context):
        predictions, y = original(store, candidates, context)
        captured.update(candidates=candidates, predictions=predictions, y=y, context=context)
        return predictions, y

    X_train, X_test, y_train, y_test = load_split(entry, seed)
    assemble._validation_predictions = capture
    try:
        model = automl.fit(X_train, y_train, time_budget=budget, task=entry["task"],
                           random_state=seed)
    finally:
        assemble._validation_predictions = original
    context, n_classes = captured["context"], captured["context"].dataset.n_classes
    X_prepared = model._prepare(X_test)
    tests = [predict_raw(fit_final(trial.config, context, 2), X_prepared, n_classes)
             for trial in captured["candidates"]]
    y_codes = (np.searchsorted(model.classes_, np.asarray(y_test)) if n_classes
               else np.asarray(y_test, dtype=np.float64))
    np.savez(_path(out, entry["name"], seed), validation=np.stack(captured["predictions"]),
             y_validation=captured["y"], test=np.stack(tests), y_test=y_codes,
             scores=[trial.result.score for trial in captured["candidates"]],
             models=[str(trial.config.get("model")) for trial in captured["candidates"]],
             metric=context.metric.name, n_classes=n_classes, task=entry["task"])


def _path(out: Path, name: str, seed: int) -> Path:
    """Seed 0 keeps the plain name (the study's first runs); other splits get a suffix."""
    return out / (f"{name}.npz" if seed == 0 else f"{name}-split{seed}.npz")


def guards(predictions: np.ndarray, y: np.ndarray, metric, n_classes: int) -> dict:
    """Weights each guard would give (a one-hot vector means: the best single model)."""
    single = np.zeros(len(predictions))
    single[int(np.argmax([metric.score(y, p, n_classes) for p in predictions]))] = 1.0
    plain = ensemble.weights_from_counts(ensemble.select_ensemble(predictions, y, metric,
                                                                  n_classes, 25))
    chosen = {"single": single, "plain": plain}
    for repeats in (1, 5):
        gains = np.array(ensemble.held_out_gains(predictions, y, metric, n_classes, 25, seed=0,
                                                 repeats=repeats))
        chosen[f"check{repeats}"] = plain if gains.mean() > 0 else single
        chosen[f"check{repeats}_all"] = plain if (gains > 0).all() else single
        if repeats > 1:
            chosen[f"check{repeats}_most"] = (plain if gains.mean() > 0 and (gains > 0).mean() > 0.5
                                              else single)
    bagged = _bagged(predictions, y, metric, n_classes)
    chosen["bagged"] = bagged
    chosen["bagged_check5"] = bagged if chosen["check5"] is plain else single
    return chosen


def _bagged(predictions: np.ndarray, y: np.ndarray, metric, n_classes: int, bags: int = 20,
            share: float = 0.5) -> np.ndarray:
    """Bagged ensemble selection (Caruana et al. 2006): selections over random halves of the
    models, their counts summed."""
    rng = np.random.default_rng(0)
    counts = np.zeros(len(predictions))
    for _ in range(bags):
        subset = np.sort(rng.choice(len(predictions), max(2, int(share * len(predictions))),
                                    replace=False))
        counts[subset] += ensemble.select_ensemble(predictions[subset], y, metric, n_classes, 25)
    return ensemble.weights_from_counts(counts)


def evaluate(out: Path) -> None:
    """Replay the guards on the saved arrays; print the test change against single."""
    rows = []
    for path in sorted(out.glob("*.npz")):
        data = np.load(path)
        metric, n_classes = get_metric(str(data["metric"]), str(data["task"])), int(
            data["n_classes"])
        chosen = guards(data["validation"], data["y_validation"], metric, n_classes)
        test_scores = {name: metric.score(data["y_test"], np.tensordot(w, data["test"], axes=1),
                                          n_classes) for name, w in chosen.items()}
        base = test_scores["single"]
        row = {"dataset": path.stem, "task": str(data["task"]),
               "rows": len(data["y_validation"])}
        for name, score in test_scores.items():
            change = score - base
            row[name] = change if str(data["task"]) == "binary" else change / abs(base)
        rows.append(row)
    frame = pd.DataFrame(rows)
    print(frame.to_markdown(index=False, floatfmt="+.4f"))
    for name in frame.columns[3:]:
        bound = np.where(frame["task"] == "binary", -0.005, -0.01)
        print(f"{name:20s} wins {(frame[name] > 0).mean():.0%}  losses beyond bound "
              f"{int((frame[name] < bound).sum())}  median {frame[name].median():+.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=Path("/tmp/guard-study"))
    parser.add_argument("--datasets", nargs="*", default=SMALL)
    parser.add_argument("--seeds", nargs="*", type=int, default=[0],
                        help="75/25 splits (and fit seeds) to collect")
    parser.add_argument("--evaluate", action="store_true")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.evaluate:
        evaluate(args.out)
        return
    entries = manifest()
    for name in args.datasets:
        for seed in args.seeds:
            if _path(args.out, name, seed).exists():
                continue
            started = time.monotonic()
            collect(entries[name], args.budget, args.out, seed)
            print(f"{name} split {seed}: {time.monotonic() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
