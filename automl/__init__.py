"""Budgeted AutoML for tabular data.

>>> import automl
>>> model = automl.fit(X, y, time_budget=60)          # doctest: +SKIP
>>> model.predict(X_test), model.leaderboard_         # doctest: +SKIP
"""

from automl.base.exceptions import ComponentError, ConfigError, InputError, SchemaError
from automl.estimator import AutoMLClassifier, AutoMLRegressor, fit
from automl.persistence import SavedModel, load_model, save_model

__all__ = ["AutoMLClassifier", "AutoMLRegressor", "ComponentError", "ConfigError", "InputError",
           "SavedModel", "SchemaError", "fit", "load_model", "save_model"]
__version__ = "0.1.0"
