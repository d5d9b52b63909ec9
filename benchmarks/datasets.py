"""The benchmark selections of ../shared/datasets. Reading the manifest and the 75/25 split
(stratified for classification, id column dropped) are ``metalearning.corpus``'s."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from metalearning.corpus import load_split  # noqa: E402
from metalearning.corpus import read_manifest as manifest  # noqa: E402

__all__ = ["CORE_SELECTION", "LONG_BUDGET_SELECTION", "LONG_SELECTION", "load_split", "manifest"]

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

# Four per task of 1,000 to 5,000 rows, noisy enough that a search can overtune its folds:
# where five times the time must still buy a better model (``long_budgets``).
LONG_BUDGET_SELECTION = {
    "binary": ["credit_g", "nhanes_age", "spambase", "churn_mlc"],
    "multiclass": ["cmc", "yeast", "wine_quality_red", "led24"],
    "regression": ["concrete_strength", "medical_insurance", "islr_wage", "abalone"],
}
