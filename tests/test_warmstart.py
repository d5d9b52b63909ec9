from __future__ import annotations

import json
import logging
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import automl
from automl import AutoMLClassifier
from automl.input.data import validate_input
from automl.input.metafeatures import compute_metafeatures
from automl.leaderboard import trials_only
from automl.search.warmstart import (FORMAT_VERSION, KnowledgeBase, PastDataset, TrialAllowance,
                                     WarmStart, WarmTrialCheck, estimated_seconds, knowledge_dir,
                                     knowledge_summary, load_knowledge_base, nearest_datasets,
                                     nearest_with_distances, warm_start_configs, warm_start_for)
from automl.space.compiled import compile_space, config_key
from automl.space.components import load_components

from conftest import write_knowledge_base


@pytest.fixture(scope="module")
def space():
    return compile_space(load_components(), "binary", 200)


def test_nearest_datasets_scales_by_range_and_ignores_constant_features():
    past = [PastDataset(name, {"a": a, "b": b, "same": 1.0}, ())
            for name, a, b in [("near", 1.0, 10.0), ("middle", 2.0, 50.0), ("far", 3.0, 100.0)]]
    knowledge = KnowledgeBase("binary", {}, tuple(past), ())
    found = nearest_datasets(knowledge, {"a": 1.1, "b": 12.0, "same": 99.0, "unknown": 5.0}, k=2)
    assert [dataset.name for dataset in found] == ["near", "middle"]
    # Unscaled, b (range 90) would swamp a (range 2) and "middle" would be nearest.
    found = nearest_datasets(knowledge, {"a": 3.0, "b": 70.0, "same": 1.0}, k=1)
    assert found[0].name == "far"
    assert [d.name for d in nearest_datasets(knowledge.without(["far"]),
                                             {"a": 3.0, "b": 70.0}, k=1)] == ["middle"]
    # Distances: |1.1 - 1| / 2 + |12 - 10| / 90 for "near"; "same" is left out.
    (near, distance), _ = nearest_with_distances(knowledge, {"a": 1.1, "b": 12.0, "same": 99.0},
                                                 k=2)
    assert near.name == "near" and distance == pytest.approx(0.05 + 2 / 90)


def test_the_neighbours_say_each_past_dataset_s_best_family_or_none(space):
    solved = PastDataset("solved", {}, (space.default_config("svc"),))
    unsolved = PastDataset("unsolved", {}, ())  # its search found no working pipeline
    warm = WarmStart((), ((solved, 0.123456), (unsolved, 2.0)))
    assert warm.neighbours() == [{"dataset": "solved", "distance": 0.1235, "best_model": "svc"},
                                 {"dataset": "unsolved", "distance": 2.0, "best_model": None}]
    assert WarmStart().neighbours() == []


def test_portfolio_and_neighbours_alternate_without_duplicates(space):
    lightgbm, forest, logistic = (space.default_config(name) for name in
                                  ("lightgbm", "random_forest", "logistic_regression"))
    knowledge = KnowledgeBase("binary", {}, (
        PastDataset("one", {"a": 0.0}, (forest,)), PastDataset("two", {"a": 1.0}, (lightgbm,))),
        (lightgbm, logistic))
    configs = warm_start_configs(knowledge, space, {"a": 0.0})
    assert configs == [(lightgbm, "portfolio"), (forest, "warmstart"), (logistic, "portfolio")]


def test_stale_configs_are_dropped_with_one_warning(space, caplog):
    good = space.default_config("lightgbm")
    stale = [{"model": "lightgbm", "model.lightgbm.num_leaves": 10**9},  # out of range
             {"model": "xgboost_from_the_past"},                          # a removed model
             {**good, "model.lightgbm.renamed_option": 1}]                # an unknown key
    knowledge = KnowledgeBase("binary", {}, (), tuple(stale) + (good,))
    with caplog.at_level(logging.WARNING, logger="automl.search.warmstart"):
        configs = warm_start_configs(knowledge, space, {})
    assert configs == [(good, "portfolio")]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "dropped 3 stored config(s)" in warnings[0].getMessage()


def test_configs_of_models_left_out_are_skipped_quietly(caplog):
    space = compile_space(load_components(), "binary", 200, exclude_models=["random_forest"])
    knowledge = KnowledgeBase("binary", {}, (), (space.default_config("lightgbm"),
                              compile_space(load_components(), "binary", 200)
                              .default_config("random_forest")))
    with caplog.at_level(logging.WARNING, logger="automl.search.warmstart"):
        configs = warm_start_configs(knowledge, space, {})
    assert [config["model"] for config, _ in configs] == ["lightgbm"]
    assert not caplog.records


def test_reading_a_knowledge_base_folder(tmp_path, space, mixed_frame, caplog):
    X, y = mixed_frame
    dataset = validate_input(X, y)
    features = compute_metafeatures(dataset)
    folder = write_knowledge_base(tmp_path / "kb", space,
                                  [("twin", features, space.default_config("svc"))],
                                  [space.default_config("lightgbm")])
    knowledge = load_knowledge_base("binary", folder)
    assert knowledge.header["library_version"] == "test" and len(knowledge.datasets) == 1
    with caplog.at_level(logging.INFO, logger="automl.search.warmstart"):
        warm = warm_start_for(dataset, space, folder)
    assert "built for search space test, this library's is" in caplog.text
    assert [source for _, source in warm.configs] == ["portfolio", "warmstart"]
    assert warm.neighbours() == [{"dataset": "twin", "distance": 0.0, "best_model": "svc"}]
    assert warm_start_for(dataset, space, False) == WarmStart()
    assert load_knowledge_base("regression", folder) is None  # no file for that task
    # A rebuilt file is read again, not served from the cache.
    write_knowledge_base(folder, space, [], [space.default_config("svc")])
    assert [c["model"] for c in load_knowledge_base("binary", folder).portfolio] == ["svc"]


def test_cost_is_estimated_from_the_datasets_nearest_in_size_scaled_by_rows(space):
    forest = space.default_config("random_forest")
    size = {"log_n_features": np.log(10.0), "n_classes": 2.0}
    past = (PastDataset("small", size, (), fit_rows=1_000),
            PastDataset("large", size, (), fit_rows=100_000),
            PastDataset("wide", {**size, "log_n_features": np.log(1000.0)}, (), fit_rows=2_000),
            PastDataset("unscored", size, (), fit_rows=2_000))
    costs = {config_key(forest): {"small": 1.0, "large": 200.0, "wide": 30.0}}
    knowledge = KnowledgeBase("binary", {}, past, (forest,), costs)
    # Nearest in size to 2,000 rows of 10 columns: small (scaled to 2 s), large (4 s), wide (30 s).
    assert estimated_seconds(knowledge, forest, size, 2_000, k=1) == pytest.approx(2.0)
    assert estimated_seconds(knowledge, forest, size, 2_000, k=3) == pytest.approx(4.0)
    assert estimated_seconds(knowledge, space.default_config("svc"), size, 2_000) is None
    # Failing (or running out of time) on most of them makes it too costly at any allowance.
    failed = {config_key(forest): {"small": math.inf, "large": math.inf, "wide": 30.0}}
    assert estimated_seconds(KnowledgeBase("binary", {}, past, (), failed), forest, size,
                             2_000, k=3) == math.inf


def test_configs_estimated_over_the_allowance_are_skipped(tmp_path, space, mixed_frame, caplog):
    X, y = mixed_frame
    dataset = validate_input(X, y)
    features = compute_metafeatures(dataset)
    lightgbm, forest, svc = (space.default_config(name)
                             for name in ("lightgbm", "random_forest", "svc"))
    folder = write_knowledge_base(tmp_path / "kb", space, [("twin", features, svc)],
                                  [lightgbm, forest],
                                  seconds={"lightgbm": {"twin": 0.5},
                                           "random_forest": {"twin": 40.0},
                                           "svc": {"twin": None}})
    knowledge = load_knowledge_base("binary", folder)
    assert knowledge.costs[config_key(svc)] == {"twin": math.inf}
    with caplog.at_level(logging.INFO, logger="automl.search.warmstart"):
        warm = warm_start_for(dataset, space, folder, allowance=TrialAllowance(2_000, 5.0))
    assert warm.configs == ((lightgbm, "portfolio"),)  # the forest would take 80 s, the SVC failed
    assert "2 config(s) skipped, estimated to take over 5.0 s" in caplog.text
    assert len(warm_start_for(dataset, space, folder).configs) == 3  # no allowance: none skipped
    assert len(warm_start_for(dataset, space, folder,
                              allowance=TrialAllowance(20, 5.0)).configs) == 2
    # A skipped config's dataset is still named among the nearest.
    assert [row["dataset"] for row in warm.neighbours()] == ["twin"]


def test_a_family_that_overran_its_estimates_has_its_queued_configs_checked_again(space):
    svc, other_svc, forest = (space.default_config("svc"),
                              {**space.default_config("svc"), "scaler": "robust"},
                              space.default_config("random_forest"))
    allowance = TrialAllowance(2_000, 10.0)
    assert allowance.admits(svc, 2.0) and allowance.admits(other_svc, 3.0)
    lda = space.default_config("linear_discriminant_analysis")
    assert allowance.admits(forest, 4.0) and allowance.admits(lda, None)
    assert not allowance.admits({**forest, "imputer": "mean"}, 11.0)
    check = WarmTrialCheck(allowance)
    check.observe(svc, 2.8)  # within the slack: timing noise, not a slowdown
    assert check.slowdown == {} and check.allows(other_svc)
    check.observe(svc, 15.0)  # ran into a 15 s trial limit: at least 7.5 times its estimate
    assert check.slowdown == {"svc": 7.5}
    assert not check.allows(other_svc)  # 3 s x 7.5 is over the 10 s allowed
    assert check.allows(forest)  # another family is not judged by the SVC
    check.observe(other_svc, 4.0)  # a smaller overrun never lowers what was learned
    assert check.slowdown == {"svc": 7.5}
    check.observe(lda, 60.0)  # no estimate: nothing to learn from
    assert "linear_discriminant_analysis" not in check.slowdown
    assert allowance.estimates[config_key(svc)] == 2.0  # the plan's allowance is unchanged


@pytest.mark.parametrize("content", ["{not json", json.dumps({"format_version": 999}), "[1, 2]",
                                     json.dumps({"format_version": FORMAT_VERSION}),
                                     json.dumps({"format_version": FORMAT_VERSION, "portfolio": [],
                                                 "datasets": [{"name": "x"}]}),
                                     # costs the warm start cannot read
                                     json.dumps({"format_version": FORMAT_VERSION, "datasets": [],
                                                 "portfolio": [{"config": {}, "seconds": [1]}]}),
                                     json.dumps({"format_version": FORMAT_VERSION, "portfolio": [],
                                                 "datasets": [{"name": "x", "metafeatures": {},
                                                               "configs": [],
                                                               "matrix_fit_rows": "many"}]})])
def test_an_unusable_knowledge_base_means_a_cold_start(tmp_path, caplog, content):
    (tmp_path / "binary.json").write_text(content)
    with caplog.at_level(logging.WARNING, logger="automl.search.warmstart"):
        assert load_knowledge_base("binary", tmp_path) is None
    assert "starts cold" in caplog.text


def test_the_shipped_knowledge_base_is_found_and_fits_the_space():
    for task in ("binary", "multiclass", "regression"):
        knowledge = load_knowledge_base(task)
        assert knowledge is not None, f"no shipped knowledge base for {task} in {knowledge_dir()}"
        assert knowledge.portfolio and knowledge.datasets
        space = compile_space(load_components(), task, 1)
        for config in knowledge.portfolio:
            space.validate(config)


def test_the_demo_tables_are_not_in_the_shipped_knowledge_base(penguins):
    # A warm start that finds the very table it fits looks better than it will on new data:
    # the examples' penguins and scikit-learn's load_* tables are left out of the build.
    demos = {"penguins", "wdbc", "iris", "wine_recognition", "diabetes_progression"}
    for task in ("binary", "multiclass", "regression"):
        assert not demos & {past.name for past in load_knowledge_base(task).datasets}
    frame = penguins.dropna(subset=["species"])
    plan = AutoMLClassifier(time_budget=60).first_trials(frame.drop(columns="species"),
                                                         frame["species"])
    assert not demos & set(plan.neighbours["dataset"]) and len(plan.neighbours)


def test_the_summary_says_what_each_knowledge_base_was_learned_from(tmp_path, space):
    shipped = knowledge_summary()
    assert [row["task"] for row in shipped] == ["binary", "multiclass", "regression"]
    for row in shipped:
        header = load_knowledge_base(row["task"]).header
        assert row["usable"] and row["past_datasets"] > 0 and len(row["portfolio"]) > 0
        assert row["space_version"] == header["space_version"]
        assert row["search_budget_seconds"] == header["search_budget_seconds"]
    folder = write_knowledge_base(tmp_path / "kb", space, [("twin", {"log_n_rows": 1.0},
                                                            space.default_config("svc"))],
                                  [space.default_config("random_forest")])
    (folder / "regression.json").write_text("{not json")
    binary, regression = knowledge_summary(folder)
    assert binary["past_datasets"] == 1 and binary["portfolio"] == ["random_forest"]
    assert not binary["current_space"]  # written for a space called "test"
    assert regression == {"task": "regression", "usable": False}
    assert knowledge_summary(tmp_path) == []


def test_the_knowledge_base_is_found_from_an_installed_wheel(installed_wheel, tmp_path):
    """Read the knowledge base from the installed wheel, in a process that does not see the
    checkout."""
    code = ("import automl, automl.search.warmstart as w; print(automl.__file__); "
            "print(all(w.load_knowledge_base(t) for t in ('binary', 'multiclass', 'regression')))")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": str(installed_wheel)})
    assert result.returncode == 0, result.stderr
    where, found = result.stdout.split()
    assert Path(where).is_relative_to(installed_wheel) and found == "True"
    described = subprocess.run([sys.executable, "-m", "automl", "knowledge"], cwd=tmp_path,
                               capture_output=True, text=True,
                               env={**os.environ, "PYTHONPATH": str(installed_wheel)})
    assert described.returncode == 0, described.stderr
    folder = Path(described.stdout.splitlines()[0].removeprefix("knowledge base: "))
    assert folder.is_relative_to(installed_wheel) and folder.name == "knowledge"
    assert described.stdout.count("past datasets; portfolio of") == 3


def test_fit_starts_from_the_knowledge_base_and_tpe_learns_from_it(tmp_path, penguins):
    X, y = penguins.drop(columns="species"), penguins["species"]
    space = compile_space(load_components(), "multiclass", len(X))
    features = compute_metafeatures(validate_input(X, y))
    twin = ("twin", features, space.default_config("k_nearest_neighbors"))
    folder = write_knowledge_base(tmp_path / "kb", space, [twin],
                                  [space.default_config("random_forest"),
                                   space.default_config("svc")])
    others = [name for name in space.model_names[1:]
              if name not in ("random_forest", "k_nearest_neighbors", "svc")]
    warm = automl.fit(X, y, time_budget=60, random_state=0, max_trials=5 + len(others),
                      warm_start=folder, ensemble=False)
    board = warm.leaderboard_.sort_values("trial")
    assert list(board["source"]) == (["default", "portfolio", "warmstart", "portfolio"]
                                     + ["default"] * len(others) + ["tpe"])
    assert list(board["model"])[:4] == ["lightgbm", "random_forest", "k_nearest_neighbors", "svc"]
    assert list(board["model"])[4:-1] == others  # then the other families' defaults
    assert (board["status"] == "ok").all()
    assert warm.warm_start_neighbours_.to_dict("records") == [
        {"dataset": "twin", "distance": 0.0, "best_model": "k_nearest_neighbors"}]
    cold = automl.fit(X, y, time_budget=60, random_state=0, max_trials=3, warm_start=False,
                      ensemble=False)
    assert set(trials_only(cold.leaderboard_)["source"]) == {"default"}
    assert cold.warm_start_neighbours_.empty
    assert list(cold.warm_start_neighbours_.columns) == ["dataset", "distance", "best_model"]
