"""One FLAML fit, run by ``long_budgets.py`` in FLAML's own virtual environment (never a
dependency of ours): reads a split written as CSV, writes its test predictions as CSV.

    FLAML_PYTHON benchmarks/flaml_fit.py FOLDER TASK BUDGET SEED
"""

import sys
import time
from pathlib import Path

import pandas as pd
from flaml import AutoML

METRICS = {"binary": "roc_auc", "multiclass": "log_loss", "regression": "rmse"}


def main() -> None:
    folder, task = Path(sys.argv[1]), sys.argv[2]
    budget, seed = float(sys.argv[3]), int(sys.argv[4])
    X_train = pd.read_csv(folder / "X_train.csv")
    y_train = pd.read_csv(folder / "y_train.csv").iloc[:, 0]
    X_test = pd.read_csv(folder / "X_test.csv")
    for column in X_train.columns[X_train.dtypes.map(pd.api.types.is_object_dtype)]:
        kinds = pd.api.types.union_categoricals([X_train[column].astype("category"),
                                                 X_test[column].astype("category")]).categories
        X_train[column] = pd.Categorical(X_train[column], categories=kinds)
        X_test[column] = pd.Categorical(X_test[column], categories=kinds)
    started = time.monotonic()
    model = AutoML()
    model.fit(X_train, y_train, task="classification" if task != "regression" else "regression",
              metric=METRICS[task], time_budget=budget, n_jobs=2, seed=seed, verbose=0)
    seconds = time.monotonic() - started
    predictions = (model.predict(X_test) if task == "regression"
                   else model.predict_proba(X_test))
    frame = pd.DataFrame(predictions)
    if task != "regression":
        frame.columns = [str(label) for label in model.classes_]
    frame.to_csv(folder / "predictions.csv", index=False)
    (folder / "seconds.txt").write_text(f"{seconds}\n")


if __name__ == "__main__":
    main()
