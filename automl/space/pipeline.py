"""Build the scikit-learn Pipeline that a readable config describes.

Numeric columns go through imputer -> scaler -> feature step, categorical columns through the
encoder; the model follows. With the ``native`` encoder and a model that splits on
categories itself (LightGBM, HistGradientBoosting), the codes reach the model as pandas
categoricals; any other model sees them as plain ordinal codes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.feature_selection import SelectorMixin, SelectPercentile
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted, validate_data

from automl.input.data import Schema
from automl.space.compiled import CompiledSpace, Config, label
from automl.space.components import ComponentSpec, resolve, task_family


class _ColumnCodes(TransformerMixin, BaseEstimator):
    """A step that learns something per column at fit and recodes each column with it.

    Always returns a DataFrame (categoricals need one; the encoders keep its names), so
    ``set_output`` has nothing to change.
    """

    def fit(self, X: pd.DataFrame, y: Any = None) -> "_ColumnCodes":
        frame = pd.DataFrame(X)
        self.learned_ = [self._learn(frame[c]) for c in frame.columns]
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self)
        frame = pd.DataFrame(X)
        columns = {column: self._recode(frame[column], learned)
                   for column, learned in zip(frame.columns, self.learned_)}
        return pd.DataFrame(columns, index=frame.index)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return self.feature_names_in_

    def set_output(self, *, transform: Any = None) -> "_ColumnCodes":
        return self

    def _learn(self, values: pd.Series) -> Any:
        raise NotImplementedError

    def _recode(self, values: pd.Series, learned: Any) -> Any:
        raise NotImplementedError


class CategoryCodes(_ColumnCodes):
    """Turn ordinal codes into pandas categoricals with the levels seen at fit.

    Codes outside those levels (unseen -1, missing -2) become missing values, which
    LightGBM and HistGradientBoosting route on their own.
    """

    def _learn(self, values: pd.Series) -> int:
        return int(max(np.nanmax(values.to_numpy(dtype=float), initial=-1), -1)) + 1

    def _recode(self, values: pd.Series, n_levels: int) -> pd.Categorical:
        codes = values.to_numpy(dtype=float)
        codes = np.where((codes >= 0) & (codes < n_levels), codes, -1).astype(int)  # -1: missing
        return pd.Categorical.from_codes(codes, categories=range(n_levels))


class LevelCodes(_ColumnCodes):
    """Strings to numbers: each level's rank among the levels seen at fit, -1 for a level
    not seen then, NaN for a missing value.

    scikit-learn's encoders handle object columns one Python call per value (counting levels
    for ``max_categories`` alone took 17 s of CPU on 80k rows x 20 string columns); on these
    float codes they take numpy's vectorised paths. Ranks keep the sorted order the encoders
    would have given the strings, so the encodings, and the models, are the same.
    """

    def _learn(self, values: pd.Series) -> pd.Index:
        return pd.Index(np.sort(values.dropna().unique().astype(str)))

    def _recode(self, values: pd.Series, levels: pd.Index) -> np.ndarray:
        codes = levels.get_indexer(values.astype(object)).astype(np.float64)
        codes[pd.isna(values).to_numpy()] = np.nan
        return codes


class KeepColumns(SelectorMixin, BaseEstimator):
    """A feature step that keeps a fixed set of columns and learns nothing from the data.

    It stands in for a selector (``select_percentile``) in a refit on all rows when the
    selector would keep other columns there than in the fits the config was validated with:
    see ``automl.trials.evaluate.fit_final``.
    """

    def __init__(self, support: Any = None) -> None:
        self.support = support

    def fit(self, X: Any, y: Any = None) -> "KeepColumns":
        validate_data(self, X, ensure_all_finite=False)
        if len(self.support) != self.n_features_in_:
            raise ValueError(f"KeepColumns has a support of {len(self.support)} columns but "
                             f"was fitted on {self.n_features_in_}.")
        return self

    def _get_support_mask(self) -> np.ndarray:
        return np.asarray(self.support, dtype=bool)


class SelectPercentileKeepOne(SelectPercentile):
    """``SelectPercentile`` that keeps at least the best-scoring column.

    scikit-learn's keeps ``int(n * percentile / 100)`` columns among tied scores, which can be
    none: with a single numeric column, any percentile under 100 drops it. The numeric branch
    then feeds no column to the model, every transform (each ``predict`` of the final model
    too) warns "No features were selected", and on data with no other column the trial fails.
    The percentile is meant to say how many columns to keep, not whether to keep any.
    """

    def _get_support_mask(self) -> np.ndarray:
        mask = super()._get_support_mask()
        if len(mask) and not mask.any():
            mask = mask.copy()
            mask[int(np.argmax(np.nan_to_num(self.scores_, nan=-np.inf)))] = True
        return mask


def numeric_selection(pipeline: Pipeline) -> Pipeline | None:
    """The unfitted numeric columns' sub-pipeline when its feature step selects columns (a
    scikit-learn selector); None otherwise."""
    preprocess = pipeline.named_steps.get("preprocess")
    for name, steps, _ in getattr(preprocess, "transformers", ()):
        if name == "numeric" and isinstance(steps.named_steps["feature"], SelectorMixin):
            return steps
    return None


def build_pipeline(config: Config, space: CompiledSpace, schema: Schema, n_threads: int = 1,
                   seed: int = 0) -> Pipeline:
    """The unfitted pipeline for one config (validated against ``space``)."""
    config = space.validate(config)
    task = space.task
    model_spec = space.component("model", config["model"])
    native = config["encoder"] == "native" and model_spec.native_categorical
    transformers = []
    if schema.numeric_features:
        numeric = Pipeline([(slot, _make(space.component(slot, config[slot]), config, task))
                            for slot in ("imputer", "scaler", "feature")])
        transformers.append(("numeric", numeric, schema.numeric_features))
    if schema.categorical_features:
        encoder = _make(space.component("encoder", config["encoder"]), config, task)
        steps = [("levels", LevelCodes()), ("encode", encoder)]
        steps += [("categories", CategoryCodes())] if native else []
        transformers.append(("categorical", Pipeline(steps), schema.categorical_features))
    preprocess = ColumnTransformer(transformers, remainder="drop", sparse_threshold=0.0,
                                   verbose_feature_names_out=False)
    if native:
        preprocess.set_output(transform="pandas")
    model = _make(model_spec, config, task, n_threads=n_threads, seed=seed)
    if task == "regression" and model_spec.scale_target:
        model = TransformedTargetRegressor(regressor=model, transformer=StandardScaler())
    return Pipeline([("preprocess", preprocess), ("model", model)])


def _make(spec: ComponentSpec, config: Config, task: str, n_threads: int = 1, seed: int = 0) -> Any:
    """Instantiate one component's estimator with its fixed and tuned arguments."""
    path = spec.estimator_path(task)
    if path == "passthrough":
        return "passthrough"
    params: dict[str, Any] = dict(spec.fixed)
    for name, callable_path in spec.callables.get(task_family(task), {}).items():
        params[name] = resolve(callable_path)
    for hyperparameter in spec.hyperparameters:
        key = label(spec, hyperparameter)
        if key in config:
            params[hyperparameter.name] = config[key]
    if spec.threads_param:
        params[spec.threads_param] = n_threads
    if spec.seed_param:
        params[spec.seed_param] = seed
    return resolve(path)(**params)
