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
