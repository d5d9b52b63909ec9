import copy
import re

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


def test_the_page_says_which_way_is_better_and_explains_its_words(saved_classifier):
    page = build_report(saved_classifier)
    summary = page[:page.index("Data</h2>")]
    assert "log_loss (lower is better)" in summary
    board = page[page.index("Leaderboard</h2>"):page.index("Warm start</h2>")]
    for column in ("error", "predict_ms_per_1000_rows", "size_mb", "ensemble_weight"):
        assert f"<th>{column}</th>" in board
    if len(saved_classifier.model.ensemble_) > 1:
        assert "<td>ensemble</td>" in board
    glossary = page[page.index("Glossary</h2>"):]
    for word in ("portfolio", "warm start", "training prior", "fold models", "preview"):
        assert word in glossary
    assert "Target column <code>species</code>, rows per class" in page
    for wrong in ("Target target", "Positive label", " 1 configs"):
        assert wrong not in page


def test_a_fit_over_its_budget_is_flagged(saved_classifier):
    model = copy.copy(saved_classifier.model)
    model.fit_seconds_ = model.time_budget * 1.3
    page = build_report(type(saved_classifier)(**{**vars(saved_classifier), "model": model,
                                                  "holdout": None}))
    assert '<span class="warn">' in page and "OVER BUDGET by 9.0 s" in page
    assert "OVER BUDGET" not in build_report(type(saved_classifier)(
        **{**vars(saved_classifier), "holdout": None}))
