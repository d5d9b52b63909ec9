"""Input checks, task inference and the column schema remembered between fit and predict.

``validate_input`` turns whatever the user passed (a DataFrame with numeric, string, category,
bool, nullable or datetime columns, or a numpy array) into a :class:`Dataset`: a canonical
DataFrame whose columns have internal names (``c0``, ``c1``, ...) and only two kinds, float
numeric and object categorical (datetimes become numeric parts), plus the encoded target.
A column with no value at all at fit time is read as ``"empty"``: it is left out of the
canonical frame, with one warning at fit, and ignored at predict.
The :class:`Schema` replays the same conversion at predict time, so what a model sees is the
same whatever order or dtype the user's columns arrive in.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from automl.base.exceptions import InputError, SchemaError

logger = logging.getLogger(__name__)

Kind = Literal["numeric", "categorical", "datetime", "empty"]
TASKS = ("binary", "multiclass", "regression")
_DATETIME_PARTS = ("year", "month", "day", "weekday", "hour", "epoch_days")
# Integer targets with at most this many distinct values are read as class labels.
_MAX_INFERRED_CLASSES = 20


@dataclass(frozen=True)
class Column:
    """One user column: its name, its internal name and the kind it was read as."""

    name: Any
    internal: str
    kind: Kind
    dtype: str


@dataclass(frozen=True)
class Schema:
    """The columns seen at fit time, and how to turn new X into the same canonical frame."""

    columns: tuple[Column, ...]
    from_dataframe: bool

    @property
    def names(self) -> list[Any]:
        return [column.name for column in self.columns]

    @property
    def numeric_features(self) -> list[str]:
        """Internal names of the numeric columns of the canonical frame."""
        names = []
        for column in self.columns:
            if column.kind == "numeric":
                names.append(column.internal)
            elif column.kind == "datetime":
                names.extend(f"{column.internal}_{part}" for part in _DATETIME_PARTS)
        return names

    @property
    def categorical_features(self) -> list[str]:
        return [column.internal for column in self.columns if column.kind == "categorical"]

    @property
    def empty_columns(self) -> list[Any]:
        """The user's names of the columns with no value at fit time, left out of the frame."""
        return [column.name for column in self.columns if column.kind == "empty"]

    def transform(self, X: Any, owner: str = "the model") -> pd.DataFrame:
        """Check X against the schema and convert it to the canonical frame.

        Columns are matched by name when both sides have names (reordered columns are
        realigned, extra ones dropped with a warning), else by position.
        """
        frame = _as_frame(X, "X")
        if self.from_dataframe and isinstance(X, pd.DataFrame):
            frame = self._align_by_name(frame)
        elif frame.shape[1] != len(self.columns):
            raise SchemaError(f"X has {frame.shape[1]} features, but {owner} is expecting "
                              f"{len(self.columns)} features as input.")
        else:
            if self.from_dataframe:
                warnings.warn(f"X has no column names, but {owner} was fitted with named "
                              "columns; matching them by position.", UserWarning, stacklevel=3)
            frame.columns = self.names
        parts = [_canonical_column(frame.iloc[:, i], column) for i, column in enumerate(self.columns)
                 if column.kind != "empty"]
        return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=range(len(frame)))

    def _align_by_name(self, frame: pd.DataFrame) -> pd.DataFrame:
        given = [_column_key(name) for name in frame.columns]
        frame = frame.set_axis(given, axis=1)
        expected = [_column_key(name) for name in self.names]
        missing = [name for name in expected if name not in set(given)]
        if missing:
            raise SchemaError(f"X lacks {len(missing)} column(s) the model was fitted on: "
                              f"{missing[:10]}. Pass the same columns as at fit time.")
        extra = [name for name in given if name not in set(expected)]
        if extra:
            warnings.warn(f"X has {len(extra)} column(s) not seen at fit time, ignored: "
                          f"{extra[:10]}.", UserWarning, stacklevel=4)
        return frame[expected]


@dataclass(frozen=True)
class Dataset:
    """Validated training data: canonical X, encoded y, the task and the schema."""

    X: pd.DataFrame
    y: np.ndarray  # class codes 0..k-1 (int64) or float64 targets
    task: str
    classes: np.ndarray | None
    schema: Schema

    @property
    def n_rows(self) -> int:
        return len(self.y)

    @property
    def n_classes(self) -> int:
        return 0 if self.classes is None else len(self.classes)


def validate_input(X: Any, y: Any, task: str | None = None) -> Dataset:
    """Check X and y, infer the task when not given, and build the canonical dataset.

    Parameters
    ----------
    X : DataFrame, numpy array or array-like of shape (n_rows, n_columns)
    y : array-like of shape (n_rows,)
    task : "binary", "multiclass", "regression", "classification" or None (inferred)

    Raises
    ------
    InputError
        Empty X, a length mismatch, NaN or inf in y, a single class, an unknown task.
    """
    task = _check_task(task)
    frame = _as_frame(X, "X")
    if frame.shape[0] == 0:
        raise InputError(f"X is empty: 0 sample(s) (shape={frame.shape}); it needs rows.")
    if frame.shape[1] == 0:
        raise InputError(f"X is empty: 0 feature(s) (shape={frame.shape}) while a minimum of 1 "
                         "is required.")
    target = _as_target(y, frame.shape[0])
    if frame.shape[0] < 2:
        raise InputError("X has 1 sample (n_samples = 1); at least 2 are needed to fit.")
    task = task if task in TASKS else infer_task(target, classification=task == "classification")
    if task == "regression":
        encoded, classes = _regression_target(target), None
    else:
        encoded, classes = _classification_target(target)
        inferred = "binary" if len(classes) == 2 else "multiclass"
        if task in ("binary", "multiclass") and task != inferred:
            raise InputError(f"task={task!r} but y has {len(classes)} classes "
                             f"({list(classes[:5])}{'...' if len(classes) > 5 else ''}); pass "
                             f"task={inferred!r} or task='classification'.")
        task = inferred
    schema = _infer_schema(frame, from_dataframe=isinstance(X, pd.DataFrame))
    _check_empty_columns(schema)
    canonical = schema.transform(frame if isinstance(X, pd.DataFrame) else X)
    return Dataset(X=canonical, y=encoded, task=task, classes=classes, schema=schema)


def _check_empty_columns(schema: Schema) -> None:
    """Warn about the columns with no value at all, which no model can learn from: the
    imputers would drop them anyway, with a warning that names the internal column on every
    ``predict``. X made of such columns only is an error."""
    empty = schema.empty_columns
    if not empty:
        return
    if len(empty) == len(schema.columns):
        raise InputError(f"every column of X is missing in every row ({empty[:10]}); there is "
                         "nothing to learn from. Pass columns with values.")
    warnings.warn(f"X has {len(empty)} column(s) missing in every row, ignored: {empty[:10]}. "
                  "They are still expected at predict time.", UserWarning, stacklevel=4)


def infer_task(y: np.ndarray, classification: bool = False) -> str:
    """Classification for labels (strings, bools, few distinct integers), else regression."""
    values = pd.Series(y)
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if not classification and numeric:
        as_float = values.astype(float)
        integral = bool(np.all(np.mod(as_float, 1) == 0))
        if not integral or values.nunique() > _MAX_INFERRED_CLASSES:
            return "regression"
        logger.info("y holds %d distinct whole numbers: read as class labels (pass "
                    "task='regression' otherwise).", values.nunique())
    return "binary" if values.nunique() == 2 else "multiclass"


def _check_task(task: str | None) -> str | None:
    if task is None or task in TASKS or task == "classification":
        return task
    raise InputError(f"task must be one of {TASKS + ('classification',)} or None, got {task!r}.")


def _as_frame(X: Any, name: str) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        if X.columns.duplicated().any():
            duplicated = list(X.columns[X.columns.duplicated()])
            raise InputError(f"{name} has duplicated column names {duplicated[:10]}; rename them.")
        _check_names_stay_distinct(X.columns, name)
        return X.reset_index(drop=True)
    if scipy.sparse.issparse(X):
        raise TypeError(f"{name} is a scipy sparse matrix, which is not supported: this library "
                        f"works on dense tables. Pass {name}.toarray() or a DataFrame.")
    if isinstance(X, pd.Series):
        raise InputError(f"{name} is a single Series; pass a DataFrame (X.to_frame()) or a 2D "
                         "array.")
    array = np.asarray(X)
    if array.ndim != 2:
        raise InputError(f"Expected 2D array for {name}, got {array.ndim}D array instead "
                         f"(shape {array.shape}). Reshape your data with array.reshape(-1, 1) if "
                         "it has a single feature.")
    if np.iscomplexobj(array):
        raise InputError(f"Complex data not supported: {name} holds complex numbers, which no "
                         "model here accepts.")
    return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])


def _as_target(y: Any, n_rows: int) -> np.ndarray:
    if y is None:
        raise InputError("this estimator requires y to be passed, but the target y is None; "
                         "pass the target values, one per row of X.")
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise InputError(f"y has {y.shape[1]} columns; only one target column is supported.")
        y = y.iloc[:, 0]
    values = y.to_numpy() if isinstance(y, pd.Series) else np.asarray(y)
    if values.ndim == 2 and values.shape[1] != 1:
        raise InputError(f"y has shape {values.shape}; only one target column is supported.")
    values = column_or_1d(values, warn=True)
    if len(values) != n_rows:
        raise InputError(f"X has {n_rows} rows but y has {len(values)}; they must match.")
    if np.iscomplexobj(values):
        raise InputError("Complex data not supported: y holds complex numbers.")
    missing = pd.isna(values)
    if missing.any():
        raise InputError(f"y has {int(missing.sum())} missing value(s) (NaN/None), first at row "
                         f"{int(np.flatnonzero(missing)[0])}; drop those rows or fill the target.")
    if values.dtype.kind in "fc" and np.isinf(values).any():
        raise InputError(f"y has {int(np.isinf(values).sum())} infinite value(s); drop those rows.")
    return values


def _regression_target(y: np.ndarray) -> np.ndarray:
    try:
        values = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise InputError(f"regression needs a numeric y, got values such as {y[:3].tolist()}; "
                         "use a classifier for labels.") from error
    if not np.isfinite(values).all():
        raise InputError("y has NaN or infinite values; drop those rows.")
    largest = float(np.max(np.abs(values)))
    if largest > _largest_target(len(values)):
        raise InputError(f"y has values as large as {largest:.3g}: their squared errors overflow "
                         f"64-bit floats, so no model could be scored. Rescale y (divide it by "
                         f"a power of ten, or take its logarithm) before fitting.")
    return values


def _largest_target(n_rows: int) -> float:
    """The largest |y| whose squared errors, summed over ``n_rows`` rows, stay finite (an
    error can be twice the largest value)."""
    return float(np.sqrt(np.finfo(np.float64).max / (8.0 * max(n_rows, 1))))


def _classification_target(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if y.dtype.kind == "f":
        check_classification_targets(y)  # "Unknown label type" for continuous targets
    try:
        classes, codes = np.unique(y, return_inverse=True)
    except TypeError as error:
        raise InputError("y mixes label types (for example strings and numbers); convert them "
                         "to one type.") from error
    if len(classes) < 2:
        raise InputError(f"y has only 1 class ({classes[0]!r}); classification needs at least "
                         "two classes.")
    return codes.astype(np.int64), classes


def _column_key(name: Any) -> Any:
    return name if isinstance(name, str) else str(name)


def _check_names_stay_distinct(columns: pd.Index, name: str) -> None:
    """Refuse column names that differ only in type (``1`` and ``"1"``): columns are matched
    by their names as text, so at predict time such a pair could swap without a word."""
    by_key: dict[str, list[Any]] = {}
    for column in columns:
        by_key.setdefault(_column_key(column), []).append(column)
    clashes = [names for names in by_key.values() if len(names) > 1]
    if clashes:
        shown = "; ".join(" and ".join(repr(c) for c in names) for names in clashes[:5])
        raise InputError(f"{name} has column names that are the same as text: {shown}. Columns "
                         f"are matched by name as text; rename them so that they differ "
                         f"(for example X.columns = X.columns.map(str) after renaming one).")


def _infer_schema(frame: pd.DataFrame, from_dataframe: bool) -> Schema:
    columns = tuple(Column(name=_column_key(name), internal=f"c{i}", kind=_infer_kind(frame[name], name),
                           dtype=str(frame[name].dtype))
                    for i, name in enumerate(frame.columns))
    return Schema(columns=columns, from_dataframe=from_dataframe)


def _infer_kind(series: pd.Series, name: Any) -> Kind:
    if series.isna().all():
        return "empty"
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        if pd.api.types.is_complex_dtype(dtype):
            raise InputError(f"column {name!r} holds complex numbers, which no model accepts.")
        return "numeric"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_timedelta64_dtype(dtype):
        raise InputError(f"column {name!r} holds time differences; convert it to a number of "
                         "seconds (series.dt.total_seconds()).")
    if isinstance(dtype, pd.StringDtype):
        return "categorical"
    present = series.dropna()
    # pandas' C type inference settles the common cases in one pass; the per-value checks
    # below (two Python calls per value: seconds on 100k rows x 100 columns) are for mixes.
    inferred = pd.api.types.infer_dtype(present, skipna=True)
    if inferred in ("string", "empty"):
        return "categorical"
    if inferred in ("integer", "floating", "mixed-integer-float"):
        return "numeric"
    if len(present) and present.map(lambda v: isinstance(v, (int, float, np.number))
                                    and not isinstance(v, complex)).all():
        return "numeric"
    if len(present) and present.map(lambda v: isinstance(v, pd.Timestamp)).all():
        return "datetime"
    return "categorical"


def _canonical_column(series: pd.Series, column: Column) -> pd.DataFrame:
    if column.kind == "numeric":
        return pd.DataFrame({column.internal: _numeric(series, column)})
    if column.kind == "datetime":
        return _datetime_parts(series, column)
    values = series.astype(object)
    present = ~pd.isna(values)
    strings = np.full(len(values), np.nan, dtype=object)
    kept = values[present]
    if pd.api.types.infer_dtype(kept, skipna=True) != "string":
        kept = kept.map(str)  # numbers, bools, mixes: their text is the category
    strings[present.to_numpy()] = kept.to_numpy()
    return pd.DataFrame({column.internal: strings})


def _numeric(series: pd.Series, column: Column) -> np.ndarray:
    if pd.api.types.is_bool_dtype(series.dtype):
        series = series.astype("float64")
    try:
        values = pd.to_numeric(series, errors="raise").astype("float64").to_numpy(na_value=np.nan)
    except (TypeError, ValueError) as error:
        bad = series[pd.to_numeric(series, errors="coerce").isna() & series.notna()]
        raise SchemaError(f"column {column.name!r} was numeric at fit time but holds "
                          f"non-numeric values such as {bad.iloc[0]!r}.") from error
    infinite = np.isinf(values)
    if infinite.any():  # documented: +-inf in X is treated as missing
        values = np.where(infinite, np.nan, values)
    return values


def _datetime_parts(series: pd.Series, column: Column) -> pd.DataFrame:
    try:
        stamps = pd.to_datetime(series, utc=True)
    except (TypeError, ValueError) as error:
        raise SchemaError(f"column {column.name!r} held dates at fit time but has values that "
                          f"are not dates: {error}") from error
    epoch_days = (stamps - pd.Timestamp("1970-01-01", tz="UTC")) / pd.Timedelta(days=1)
    parts = {"year": stamps.dt.year, "month": stamps.dt.month, "day": stamps.dt.day,
             "weekday": stamps.dt.day_of_week, "hour": stamps.dt.hour, "epoch_days": epoch_days}
    return pd.DataFrame({f"{column.internal}_{name}": pd.to_numeric(part).astype("float64")
                         .to_numpy(na_value=np.nan) for name, part in parts.items()})
