from __future__ import annotations

import numpy as np
import pytest

from automl.trials.prediction_store import PredictionStore


def _predictions(seed, n=100):
    return np.random.default_rng(seed).uniform(size=(n, 3))


def test_keeps_only_the_best_trials(tmp_path):
    store = PredictionStore(3, tmp_path / "oof")
    for trial, score in enumerate([0.5, 0.9, 0.1, 0.7, 0.8]):
        store.add(trial, score, _predictions(trial))
    assert store.trials == [1, 4, 3]
    np.testing.assert_array_equal(store.get(4), _predictions(4))
    with pytest.raises(KeyError, match="trial 0"):
        store.get(0)


def test_a_worse_trial_is_not_kept(tmp_path):
    store = PredictionStore(1, tmp_path / "oof")
    assert store.add(0, 0.9, _predictions(0))
    assert not store.add(1, 0.5, _predictions(1))
    assert store.trials == [0]


def test_spills_beyond_the_memory_cap_and_cleans_up(tmp_path):
    one = _predictions(0).nbytes
    store = PredictionStore(4, tmp_path / "oof", memory_bytes=2 * one)
    for trial in range(4):
        store.add(trial, float(trial), _predictions(trial))
    assert store.n_in_memory == 2
    assert len(list((tmp_path / "oof").glob("*.npy"))) == 2
    for trial in range(4):  # spilled or not, the same values come back
        np.testing.assert_array_equal(store.get(trial), _predictions(trial))
    store.add(9, 9.0, _predictions(9))  # pushes trial 0 out: its file goes
    assert store.trials == [9, 3, 2, 1]
    assert not (tmp_path / "oof" / "trial-0.npy").exists()
    store.clear()
    assert store.trials == [] and not (tmp_path / "oof").exists()


def test_a_better_trial_moves_back_into_memory(tmp_path):
    one = _predictions(0).nbytes
    store = PredictionStore(3, tmp_path / "oof", memory_bytes=one)
    store.add(0, 0.1, _predictions(0))
    store.add(1, 0.5, _predictions(1))
    assert store.n_in_memory == 1 and (tmp_path / "oof" / "trial-0.npy").exists()
    np.testing.assert_array_equal(store.get(0), _predictions(0))


def test_bad_capacity_is_refused(tmp_path):
    with pytest.raises(ValueError, match="ensemble_nbest"):
        PredictionStore(0, tmp_path)


def test_fold_model_files_go_with_their_trials(tmp_path):
    store = PredictionStore(2, tmp_path / "oof")
    files = {}
    for trial, score in enumerate([0.5, 0.9, 0.7]):
        path, threshold, seconds, least = store.fold_models_request(trial, 7.0, 0.6)
        assert (seconds, least) == (7.0, 0.6)
        # the score a new trial must beat: none until the store is full, then the worst kept
        assert threshold == (-np.inf if trial < 2 else 0.5)
        files[trial] = tmp_path / "oof" / f"trial-{trial}-folds.pkl"
        assert path == str(files[trial])
        files[trial].write_bytes(b"not a pickle" if trial == 2 else b"")
        store.add(trial, score, _predictions(trial), path)
    assert store.trials == [1, 2] and not files[0].exists()  # pushed out: its file went
    assert store.has_fold_models(2) and store.fold_models(2) is None  # unreadable: no fallback
    late = tmp_path / "oof" / "trial-3-folds.pkl"
    late.write_bytes(b"")
    assert not store.add(3, 0.1, _predictions(3), str(late))
    assert not late.exists()  # a trial not kept leaves no file behind
    store.add(4, 0.95, _predictions(4))  # a trial whose worker kept no fold models
    assert not store.has_fold_models(4) and store.fold_models(4) is None
    assert not files[2].exists()
    store.clear()
    assert not (tmp_path / "oof").exists()


def test_a_kept_trial_keeps_its_other_draws_and_loses_them_with_its_place(tmp_path):
    store = PredictionStore(2, tmp_path / "oof", memory_bytes=0)  # the first draw spilled
    store.add(0, 0.9, _predictions(0))
    store.add(1, 0.8, _predictions(1))
    assert store.add_split(0, _predictions(10)) and store.add_split(0, _predictions(11))
    assert store.n_splits(0) == 3 and store.n_splits(1) == 1 and store.n_splits(7) == 0
    first, second = store.splits(0, 2)
    np.testing.assert_array_equal(first, _predictions(0))
    np.testing.assert_array_equal(second, _predictions(10))
    assert store.nbytes(0) == _predictions(0).nbytes
    with pytest.raises(KeyError, match="4 draws"):
        store.splits(0, 4)
    store.add(2, 0.95, _predictions(2))
    store.add(3, 0.99, _predictions(3))  # pushes trial 0 out, with its draws
    assert store.n_splits(0) == 0 and not store.add_split(0, _predictions(12))
