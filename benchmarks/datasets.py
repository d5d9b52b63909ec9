"""Loading benchmark datasets from ../shared/datasets and splitting them 75/25."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.model_selection import train_test_split

DATASETS_DIR = Path(__file__).resolve().parents[2] / "shared" / "datasets"

# Eight per task, spread over sizes (150 to 50k rows), with and without string
# categoricals, missing values and id columns.
CORE_SELECTION = {
    "binary": ["sonar", "breast_cancer_ljubljana", "titanic", "credit_g", "kr_vs_kp", "stroke",
               "bank_customer_churn", "adult"],
    "multiclass": ["glass", "soybean", "vehicle", "car_evaluation", "obesity_levels",
                   "wine_quality_white", "satimage", "pendigits"],
    "regression": ["autos_price", "tips", "auto_mpg", "concrete_strength", "medical_insurance",
                   "abalone", "nyc_taxis_fare", "california_housing"],
}

# Four per task for the longer (300 s) budget: small, medium and large of each.
LONG_SELECTION = {
    "binary": ["sonar", "credit_g", "stroke", "adult"],
    "multiclass": ["glass", "vehicle", "obesity_levels", "satimage"],
    "regression": ["autos_price", "concrete_strength", "abalone", "california_housing"],
}


def manifest(datasets_dir: Path = DATASETS_DIR) -> dict[str, dict[str, Any]]:
    """The corpus description, by dataset name."""
    entries = json.loads((datasets_dir / "manifest.json").read_text())
    return {entry["name"]: entry for entry in entries}


def load_split(entry: dict[str, Any], seed: int = 0, datasets_dir: Path = DATASETS_DIR):
    """X_train, X_test, y_train, y_test: 75/25, stratified for classification, id dropped."""
    frame = pd.read_csv(datasets_dir / entry["file"])
    y = frame.pop(entry["target"])
    if entry.get("id_column"):
        frame = frame.drop(columns=[entry["id_column"]])
    stratify = y if entry["task"] != "regression" else None
    return train_test_split(frame, y, test_size=0.25, random_state=seed, stratify=stratify)
