"""Budgeted AutoML for tabular data.

>>> import automl
>>> model = automl.fit(X, y, time_budget=60)          # doctest: +SKIP
>>> model.predict(X_test), model.leaderboard_         # doctest: +SKIP
"""

from automl.estimator import AutoMLClassifier, AutoMLRegressor, fit

__all__ = ["AutoMLClassifier", "AutoMLRegressor", "fit"]
__version__ = "0.1.0"
