"""Meta-features: a dataset described by a fixed vector of numbers, so that past datasets
like it can be found (auto-sklearn 1.0's k nearest datasets).

The classic groups (Brazdil et al., *Metalearning*, 2009; Feurer et al. 2015):

- simple: sizes as logs, the share of categorical columns, missing values, cardinality;
- the target: class entropy and balance, or the skewness and kurtosis of a regression target;
- statistical: summaries of the numeric columns' skewness and kurtosis;
- information-theoretic: columns binned into at most ten quantile bins (or their categories),
  then their mean entropy and mutual information with the (binned) target, the equivalent
  number of features and the noise-to-signal ratio;
- landmarkers: 2-fold scores of a decision stump, naive Bayes (linear regression for
  regression) and 1-nearest-neighbour on a small subsample.

Everything after the simple group runs on at most ``MAX_ROWS`` sampled rows and ``MAX_COLUMNS``
sampled columns, so that 100k rows by 100 columns cost well under half a second. A feature that
is undefined on the data (no numeric column, a constant column) is 0, never NaN, so that
distances between datasets stay defined.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mutual_info_score
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from automl.input.data import Dataset

# Rows and columns the statistical and information-theoretic features read, and the rows
# the landmarkers fit on: enough for stable summaries, cheap on 100k x 100.
MAX_ROWS = 5000
MAX_COLUMNS = 50
LANDMARK_ROWS = 1000
_BINS = 10

NAMES = (
    "log_n_rows", "log_n_features", "log_features_per_row", "n_classes", "categorical_share",
    "missing_share", "rows_with_missing_share", "columns_with_missing_share",
    "mean_log_cardinality", "max_log_cardinality",
    "class_entropy", "minority_class_share", "majority_class_share", "target_skewness",
    "target_kurtosis",
    "skewness_min", "skewness_mean", "skewness_max", "skewness_std",
    "kurtosis_min", "kurtosis_mean", "kurtosis_max", "kurtosis_std",
    "feature_entropy_mean", "mutual_information_mean", "mutual_information_max",
    "equivalent_n_features", "noise_signal_ratio",
    "landmark_stump", "landmark_simple_model", "landmark_nearest_neighbour",
)


def compute_metafeatures(dataset: Dataset, seed: int = 0) -> dict[str, float]:
    """The meta-features of ``dataset``, by name in the order of :data:`NAMES`."""
    rng = np.random.default_rng(seed)
    X, y = dataset.X, dataset.y
    rows = _sample(len(y), MAX_ROWS, rng)
    columns = list(X.columns[_sample(X.shape[1], MAX_COLUMNS, rng)])
    sample = X.iloc[rows][columns]
    values = {**_simple(dataset), **_target(dataset), **_moments(sample, dataset),
              **_information(sample, y[rows], dataset.n_classes),
              **_landmarks(sample, y[rows], dataset, rng)}
    return {name: _finite(values[name]) for name in NAMES}


def _sample(n: int, limit: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted positions of at most ``limit`` of ``n`` items."""
    return np.arange(n) if n <= limit else np.sort(rng.choice(n, limit, replace=False))


def _finite(value: float) -> float:
    value = float(value)
    return value if math.isfinite(value) else 0.0


def _simple(dataset: Dataset) -> dict[str, float]:
    X, schema = dataset.X, dataset.schema
    n_rows, n_features = len(dataset.y), len(schema.columns)
    # Columns with no value at all are left out of X; they still count as missing here, so
    # the data are described as the user gave them.
    empty = len(schema.empty_columns)
    missing = np.hstack([X.isna().to_numpy(), np.ones((n_rows, empty), dtype=bool)])
    categorical = schema.categorical_features
    cardinality = [np.log(X[name].nunique() + 1) for name in categorical]
    return {"log_n_rows": np.log(n_rows), "log_n_features": np.log(n_features),
            "log_features_per_row": np.log(n_features / n_rows),
            "n_classes": dataset.n_classes,
            "categorical_share": len(categorical) / n_features,
            "missing_share": missing.mean(), "rows_with_missing_share": missing.any(axis=1).mean(),
            "columns_with_missing_share": missing.any(axis=0).mean(),
            "mean_log_cardinality": np.mean(cardinality) if cardinality else 0.0,
            "max_log_cardinality": np.max(cardinality) if cardinality else 0.0}


def _target(dataset: Dataset) -> dict[str, float]:
    values = dict.fromkeys(("class_entropy", "minority_class_share", "majority_class_share",
                            "target_skewness", "target_kurtosis"), 0.0)
    if dataset.n_classes:
        shares = np.bincount(dataset.y, minlength=dataset.n_classes) / len(dataset.y)
        values["class_entropy"] = _entropy(shares) / np.log(dataset.n_classes)
        values["minority_class_share"], values["majority_class_share"] = shares.min(), shares.max()
    else:
        target = pd.Series(dataset.y)
        values["target_skewness"], values["target_kurtosis"] = target.skew(), target.kurt()
    return values


def _moments(sample: pd.DataFrame, dataset: Dataset) -> dict[str, float]:
    """Summaries of the numeric columns' skewness and kurtosis (pandas skips missing values)."""
    numeric_features = set(dataset.schema.numeric_features)
    numeric = [name for name in sample.columns if name in numeric_features]
    values = {}
    for moment, per_column in (("skewness", sample[numeric].skew()),
                               ("kurtosis", sample[numeric].kurt())):
        finite = per_column.to_numpy(dtype=np.float64)
        finite = finite[np.isfinite(finite)]
        for summary, function in (("min", np.min), ("mean", np.mean), ("max", np.max),
                                  ("std", np.std)):
            values[f"{moment}_{summary}"] = function(finite) if finite.size else 0.0
    return values


def _information(sample: pd.DataFrame, y: np.ndarray, n_classes: int) -> dict[str, float]:
    """Entropy and mutual information of binned columns with the (binned) target."""
    target = y if n_classes else _bin(pd.Series(y))
    target_entropy = _entropy(np.bincount(target) / len(target))
    entropies, informations = [], []
    for name in sample.columns:
        codes = _bin(sample[name])
        n_levels = codes.max() + 1
        if n_levels > 1:
            entropies.append(_entropy(np.bincount(codes) / len(codes)) / np.log(n_levels))
        # The contingency table given directly: scikit-learn then skips its per-call label
        # checks, which cost more than the computation on 50 columns.
        table = np.bincount(target * n_levels + codes, minlength=(target.max() + 1) * n_levels)
        informations.append(mutual_info_score(None, None, contingency=table.reshape(-1, n_levels)))
    mean_information = float(np.mean(informations)) if informations else 0.0
    mean_entropy = float(np.mean(entropies)) if entropies else 0.0
    useful = mean_information > 1e-12
    return {"feature_entropy_mean": mean_entropy, "mutual_information_mean": mean_information,
            "mutual_information_max": max(informations, default=0.0),
            "equivalent_n_features": target_entropy / mean_information if useful else 0.0,
            "noise_signal_ratio": (mean_entropy - mean_information) / mean_information
            if useful else 0.0}


def _bin(column: pd.Series) -> np.ndarray:
    """Integer codes: quantile bins for numbers, categories otherwise; missing is a code."""
    if pd.api.types.is_numeric_dtype(column):
        ranks = column.rank(pct=True, method="dense").to_numpy(dtype=np.float64)
        codes = np.where(np.isnan(ranks), _BINS, np.minimum(ranks * _BINS, _BINS - 1))
        _, codes = np.unique(codes.astype(np.int64), return_inverse=True)
        return codes
    return pd.factorize(column, use_na_sentinel=False)[0].astype(np.int64)


def _entropy(shares: np.ndarray) -> float:
    shares = shares[shares > 0]
    return float(-(shares * np.log(shares)).sum())


def _landmarks(sample: pd.DataFrame, y: np.ndarray, dataset: Dataset,
               rng: np.random.Generator) -> dict[str, float]:
    """2-fold scores of three fast models on a subsample (accuracy, or R² for regression)."""
    rows = _sample(len(y), LANDMARK_ROWS, rng)
    X = _numeric_matrix(sample.iloc[rows])
    y = y[rows]
    classification = bool(dataset.n_classes)
    if (classification and np.bincount(y).max() == len(y)) or len(y) < 4:
        return dict.fromkeys(("landmark_stump", "landmark_simple_model",
                              "landmark_nearest_neighbour"), 0.0)
    if classification and np.bincount(y)[np.bincount(y) > 0].min() >= 2:
        folds = StratifiedKFold(2, shuffle=True, random_state=int(rng.integers(2**31 - 1)))
    else:
        folds = KFold(2, shuffle=True, random_state=int(rng.integers(2**31 - 1)))
    models = {
        "landmark_stump": (DecisionTreeClassifier if classification else DecisionTreeRegressor)(
            max_depth=1, random_state=0),
        "landmark_simple_model": GaussianNB() if classification else LinearRegression(),
        "landmark_nearest_neighbour": (KNeighborsClassifier if classification
                                       else KNeighborsRegressor)(n_neighbors=1),
    }
    scoring = "accuracy" if classification else "r2"
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        # Degenerate data (a constant column, a class in one fold only) makes these models
        # warn; a score that comes out undefined becomes 0 like any other meta-feature.
        warnings.simplefilter("ignore")
        return {name: np.mean(cross_val_score(model, X, y, cv=folds, scoring=scoring,
                                              error_score=0.0))
                for name, model in models.items()}


def _numeric_matrix(frame: pd.DataFrame) -> np.ndarray:
    """Numbers standardised with missing as 0, categories as their integer codes."""
    columns = []
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_numeric_dtype(column):
            values = column.to_numpy(dtype=np.float64)
        else:
            values = pd.factorize(column)[0].astype(np.float64)
            values[values < 0] = np.nan
        spread = np.nanstd(values) if np.isfinite(values).any() else 0.0
        centred = (values - np.nanmean(values)) / spread if spread > 0 else np.zeros_like(values)
        columns.append(np.nan_to_num(centred))
    return np.column_stack(columns) if columns else np.zeros((len(frame), 1))
