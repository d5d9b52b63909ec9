"""Fit on the shipped penguins data, print the leaderboard and a held-out score.

    python examples/quickstart.py [--time-budget 30] [--target species]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from sklearn.metrics import accuracy_score, log_loss, root_mean_squared_error
from sklearn.model_selection import train_test_split

import automl

DATA = Path(__file__).resolve().parent / "penguins.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-budget", type=float, default=30.0)
    parser.add_argument("--target", default="species", choices=["species", "sex", "body_mass_g"])
    args = parser.parse_args()

    frame = pd.read_csv(DATA).dropna(subset=[args.target])
    y = frame.pop(args.target)
    stratify = None if args.target == "body_mass_g" else y
    X_train, X_test, y_train, y_test = train_test_split(frame, y, test_size=0.25,
                                                        random_state=0, stratify=stratify)
    model = automl.fit(X_train, y_train, time_budget=args.time_budget, random_state=0)

    columns = ["trial", "model", "score", "status", "fit_seconds", "predict_ms_per_1000_rows",
               "source", "ensemble_weight"]
    print(model.leaderboard_[columns].head(10).to_string(index=False))
    trials = (~model.leaderboard_["source"].isin(["preview", "ensemble"])).sum()
    direction = "higher" if model.higher_is_better_ else "lower"
    print(f"\ntask: {model.task_}, metric: {model.metric_} ({direction} is better), "
          f"trials: {trials}, fit took {model.fit_seconds_:.1f} s of {args.time_budget:g} s")
    members = ", ".join(f"{row.model} (trial {row.trial}, weight {row.weight:.2f})"
                        for row in model.ensemble_.itertuples())
    print(f"final model: {members or 'fallback (training prior)'}")
    if model.task_ == "regression":
        print(f"held-out RMSE: {root_mean_squared_error(y_test, model.predict(X_test)):.2f}")
    else:
        print(f"held-out accuracy: {accuracy_score(y_test, model.predict(X_test)):.3f}, "
              f"log loss: {log_loss(y_test, model.predict_proba(X_test), labels=model.classes_):.3f}")


if __name__ == "__main__":
    main()
