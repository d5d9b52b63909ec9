import pickle

import pytest
from sklearn.dummy import DummyClassifier

from automl import persistence
from automl.base.exceptions import InputError
from automl.persistence import SavedModel, load_model, save_model


def _saved() -> SavedModel:
    model = DummyClassifier().fit([[0], [1]], ["a", "b"])
    return SavedModel(model=model, target="y", id_column="id", data_summary={"rows": 2})


def test_round_trip_keeps_model_context_and_versions(tmp_path):
    path = save_model(_saved(), tmp_path / "sub" / "model.pkl")
    loaded = load_model(path)
    assert loaded.target == "y" and loaded.id_column == "id"
    assert loaded.data_summary == {"rows": 2}
    assert loaded.model.predict([[0]]).tolist() == ["a"]
    assert loaded.versions["automl"] and loaded.versions["scikit-learn"]
    assert loaded.created_at
    assert [p.name for p in path.parent.iterdir()] == ["model.pkl"]  # no temporary left


def test_a_failed_write_leaves_the_old_file_whole(tmp_path, monkeypatch):
    path = save_model(_saved(), tmp_path / "model.pkl")
    before = path.read_bytes()

    def broken_dump(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(persistence.pickle, "dump", broken_dump)
    with pytest.raises(OSError, match="disk full"):
        save_model(_saved(), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.pkl"]


def test_output_that_is_a_folder_is_refused(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        save_model(_saved(), tmp_path)


def test_files_that_are_not_saved_models(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_model(tmp_path / "missing.pkl")
    garbage = tmp_path / "garbage.pkl"
    garbage.write_bytes(b"\x00\x01 not a pickle")
    with pytest.raises(InputError, match="not a model saved by automl, or it is damaged"):
        load_model(garbage)
    foreign = tmp_path / "foreign.pkl"
    foreign.write_bytes(pickle.dumps({"some": "dict"}))
    with pytest.raises(InputError, match="holds a dict"):
        load_model(foreign)


def test_newer_format_is_an_error_and_other_versions_a_warning(tmp_path):
    saved = _saved()
    path = save_model(saved, tmp_path / "model.pkl")
    saved = load_model(path)
    saved.format_version = persistence.FORMAT_VERSION + 1
    path.write_bytes(pickle.dumps(saved))
    with pytest.raises(InputError, match="upgrade automl"):
        load_model(path)
    saved.format_version = persistence.FORMAT_VERSION
    saved.versions = dict(saved.versions, **{"scikit-learn": "0.1"})
    path.write_bytes(pickle.dumps(saved))
    with pytest.warns(UserWarning, match=r"scikit-learn 0\.1 -> "):
        load_model(path)


def test_a_format_1_model_gets_its_scores_in_the_metrics_units(saved_classifier, tmp_path):
    # Format 1 kept the search's form: log loss negated, no higher_is_better_.
    import copy
    old = copy.deepcopy(saved_classifier)
    model = old.model
    del model.higher_is_better_
    for name in ("best_score_", "ensemble_score_", "prior_score_"):
        if getattr(model, name) is not None:
            setattr(model, name, -getattr(model, name))
    model.leaderboard_ = model.leaderboard_.assign(score=-model.leaderboard_["score"])
    model.ensemble_ = model.ensemble_.assign(score=-model.ensemble_["score"])
    old.format_version = 1
    loaded = load_model(save_model(old, tmp_path / "old.pkl"))
    new = saved_classifier.model
    assert loaded.format_version == persistence.FORMAT_VERSION
    assert loaded.model.higher_is_better_ is False and loaded.model.best_score_ > 0
    assert loaded.model.best_score_ == new.best_score_
    assert loaded.model.prior_score_ == new.prior_score_
    assert loaded.model.leaderboard_["score"].equals(new.leaderboard_["score"])
    assert loaded.model.ensemble_["score"].equals(new.ensemble_["score"])


def test_a_model_saved_before_the_stage_packages_loads(saved_classifier, tmp_path):
    """A model saved by the flat package names its classes by the old modules
    (``automl.ensemble``, ``automl.pipeline``, ...): it is pickled here under those names."""
    import inspect
    import sys

    with pytest.MonkeyPatch.context() as patch:
        for old, new in persistence._MOVED.items():
            module = sys.modules.get(new)
            if module is None:
                continue
            patch.setitem(sys.modules, f"automl.{old}", module)
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if cls.__module__ == new:
                    patch.setattr(cls, "__module__", f"automl.{old}")
        path = save_model(saved_classifier, tmp_path / "flat.pkl")
        assert b"automl.final" not in path.read_bytes()
    loaded = load_model(path)
    X = saved_classifier.holdout[0]
    assert (loaded.model.predict(X) == saved_classifier.model.predict(X)).all()
