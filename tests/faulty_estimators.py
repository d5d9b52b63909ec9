"""Test-only estimators that misbehave on purpose, to show the search survives them."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


class _Faulty(ClassifierMixin, BaseEstimator):
    def predict_proba(self, X):  # never reached: fit does not return
        raise AssertionError("fit should not have returned")


class SleepForeverClassifier(_Faulty):
    """Hangs in fit: the runner must kill the worker at the trial's time limit."""

    def fit(self, X, y):
        time.sleep(10**6)


class RaisingClassifier(_Faulty):
    """Raises in fit: an ordinary failed trial."""

    def fit(self, X, y):
        raise RuntimeError("this estimator always fails")


class MemoryHogClassifier(_Faulty):
    """Allocates 100 MB blocks (touching every page) until something stops it."""

    def fit(self, X, y):
        blocks = []
        for _ in range(200):  # 20 GB at most, so a missing limit cannot take the machine
            blocks.append(np.ones(100 * 2**20 // 8))
            time.sleep(0.01)
        time.sleep(10**6)


class SelfKillingClassifier(_Faulty):
    """Kills its own process in fit, as a segfault in native code would end it."""

    def fit(self, X, y):
        os.kill(os.getpid(), signal.SIGKILL)


class RefitRaisingClassifier(ClassifierMixin, BaseEstimator):
    """A logistic regression that raises when fit on more than ``max_fit_rows`` rows.

    Cross-validation folds are smaller than the whole training set, so its trials succeed
    and only its refit on all rows fails: the ensemble must do without it.
    """

    def __init__(self, max_fit_rows=300, C=1.0, fit_seconds=0.15):
        self.max_fit_rows = max_fit_rows
        self.C = C
        self.fit_seconds = fit_seconds  # slow enough for its trials to keep fold models

    def fit(self, X, y):
        if len(X) > self.max_fit_rows:
            raise RuntimeError(f"refusing to fit on {len(X)} rows")
        time.sleep(self.fit_seconds)
        from sklearn.linear_model import LogisticRegression
        self.model_ = LogisticRegression(C=self.C, max_iter=1000).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)


class SlowRefitClassifier(RefitRaisingClassifier):
    """A logistic regression that hangs when fit on more than ``max_fit_rows`` rows: quick on
    the cross-validation folds, endless on all rows. A refit anywhere without a hard limit
    would break the budget."""

    def fit(self, X, y):
        if len(X) > self.max_fit_rows:
            time.sleep(10**6)
        return super().fit(X, y)
