import copy
import re

import pytest

from automl.report import build_report, write_report


def _images(page: str) -> list[str]:
    return re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,', page)


def test_classification_report_has_every_section(saved_classifier, tmp_path):
    path = write_report(saved_classifier, tmp_path / "report.html")
    page = path.read_text(encoding="utf-8")
    for heading in ("Summary", "Data", "Leaderboard", "Warm start", "Optimisation history",
                    "Best score per model family", "Held-out evaluation",
                    "Permutation feature importance", "Confusion matrix and ROC curve"):
        assert f"{heading}</h" in page
    images = _images(page)
    for alt in ("optimisation history", "best score per model family",
                "permutation feature importance", "confusion matrix", "ROC curve"):
        assert alt in images
    assert "http://" not in page and "https://" not in page  # self-contained


def test_the_report_names_the_nearest_past_datasets_or_says_the_search_was_cold(
        saved_classifier):
    model = saved_classifier.model
    page = build_report(saved_classifier)
    section = page[page.index("Warm start</h2>"):page.index("Optimisation history</h2>")]
    warm = model.leaderboard_["source"].isin(["portfolio", "warmstart"]).sum()
    assert f"The search began with {warm} configs learned on past datasets" in section
    assert model.warm_start_neighbours_["dataset"].iloc[0] in section
    cold_model = copy.copy(model)
    cold_model.leaderboard_ = model.leaderboard_.assign(source="default")
    cold_model.warm_start_neighbours_ = model.warm_start_neighbours_.iloc[:0]
    cold = build_report(type(saved_classifier)(**{**vars(saved_classifier), "model": cold_model}))
    assert "The search started cold" in cold
    del cold_model.warm_start_neighbours_  # a model saved before the attribute existed
    assert "The search started cold" in build_report(
        type(saved_classifier)(**{**vars(saved_classifier), "model": cold_model}))


def test_regression_report_shows_residuals(saved_regressor):
    page = build_report(saved_regressor)
    assert "residual plot" in _images(page)
    assert "confusion matrix" not in _images(page)


def test_without_held_out_rows_the_report_says_how_to_get_them(saved_regressor):
    saved = type(saved_regressor)(**{**vars(saved_regressor), "holdout": None})
    page = build_report(saved)
    assert "No held-out rows" in page and "--data" in page
    assert "permutation feature importance" not in _images(page)


def test_text_from_the_data_is_escaped(saved_classifier):
    saved = type(saved_classifier)(**{**vars(saved_classifier), "holdout": None,
                                      "data_summary": {**saved_classifier.data_summary,
                                                       "source": "<script>x</script>"}})
    page = build_report(saved)
    assert "<script>" not in page and "&lt;script&gt;" in page


@pytest.mark.parametrize("missing", ["matplotlib"])
def test_missing_matplotlib_names_the_extra(saved_classifier, monkeypatch, missing):
    import builtins
    from automl.exceptions import MissingDependencyError
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.split(".")[0] == missing:
            raise ImportError(f"No module named {missing!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(MissingDependencyError, match=r"automl\[report\]"):
        build_report(saved_classifier)
