"""The knowledge-base builder: portfolio, near-duplicates, compile, and a real tiny build."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest

from automl.search.warmstart import load_knowledge_base
from automl.space.compiled import config_key, task_space
from automl.space.components import space_version
from metalearning.build import build
from metalearning.build import main as build_main
from metalearning.corpus import near_duplicates
from metalearning.knowledge import compile_knowledge, queued_anyway, searched_space
from metalearning.portfolio import greedy_portfolio, normalise
from metalearning.records import candidate_key, read_records


def test_normalise_rows_and_failures():
    scores = np.array([[0.5, 1.0, np.nan], [3.0, 3.0, 3.0], [np.nan, np.nan, np.nan]])
    np.testing.assert_allclose(normalise(scores), [[0, 1, 0], [1, 1, 1], [0, 0, 0]])
    # One disaster does not squeeze the others: they spread from the median to the best.
    np.testing.assert_allclose(normalise(np.array([[-1e6, 0.0, 1.0, 2.0, 3.0]])),
                               [[0, 0, 0, 0.5, 1]])


def test_greedy_portfolio_adds_what_covers_the_datasets_left():
    # Candidate 1 is best on datasets 0-1, 0 on dataset 3 only, 2 on dataset 2 only; 0 is a
    # good second everywhere, but that earns nothing once 1 is in.
    scores = np.array([[0.8, 1.0, 0.0], [0.8, 1.0, 0.0], [0.9, 0.0, 1.0], [1.0, 0.0, 0.0]])
    chosen = greedy_portfolio(scores, size=10)
    assert [index for index, _ in chosen] == [1, 0, 2]  # then nothing improves: it stops
    reached = [value for _, value in chosen]
    assert reached == sorted(reached) and reached[-1] == pytest.approx(1.0)


def test_a_given_candidate_takes_no_place_and_the_portfolio_covers_what_it_misses():
    # Candidate 0 (a default, run anyway) is best on datasets 0-1: the first place goes
    # to 2, which covers dataset 2, not to 1, which duplicates 0.
    scores = np.array([[1.0, 0.9, 0.0], [1.0, 0.9, 0.0], [0.0, 0.5, 1.0], [0.0, 0.0, 0.0]])
    chosen = greedy_portfolio(scores, size=10, given=[0])
    assert [index for index, _ in chosen][0] == 2
    assert 0 not in [index for index, _ in chosen]


def test_greedy_portfolio_matches_brute_force_on_its_first_pick():
    rng = np.random.default_rng(0)
    scores = rng.random((6, 5))
    first, _ = greedy_portfolio(scores, 1)[0]
    assert first == int(np.argmax(normalise(scores).mean(axis=0)))


def test_near_duplicates_share_target_and_most_columns():
    columns = {"red": ("quality", {"acid", "sugar", "ph", "alcohol", "sulphates"}),
               "white": ("quality", {"acid", "sugar", "ph", "alcohol", "sulphates"}),
               "other": ("quality", {"x", "y", "ph"}),
               "same_columns_other_target": ("price", {"acid", "sugar", "ph", "alcohol",
                                                       "sulphates"})}
    assert near_duplicates("red", columns) == {"red", "white"}
    assert near_duplicates("other", columns) == {"other"}


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory):
    """Three small datasets, one per task, in the corpus layout (manifest + csv.gz)."""
    folder = tmp_path_factory.mktemp("corpus")
    rng = np.random.default_rng(0)
    frames = {}
    X = rng.normal(size=(160, 4))
    frames["binary_toy"] = (pd.DataFrame(X, columns=list("abcd")).assign(
        label=np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")), "label", "binary")
    frames["multiclass_toy"] = (pd.DataFrame(X[:, :3], columns=list("efg")).assign(
        colour=pd.Series(rng.choice(["r", "g"], 160)), kind=np.digitize(X[:, 2], [-0.5, 0.5])),
        "kind", "multiclass")
    frames["regression_toy"] = (pd.DataFrame(X, columns=list("hijk")).assign(
        value=X[:, 0] * 3 + rng.normal(size=160)), "value", "regression")
    entries = []
    for name, (frame, target, task) in frames.items():
        frame.to_csv(folder / f"{name}.csv.gz", index=False)
        entries.append({"name": name, "file": f"{name}.csv.gz", "target": target, "task": task,
                        "id_column": None})
    (folder / "manifest.json").write_text(json.dumps(entries))
    return folder


@pytest.mark.slow
def test_a_real_tiny_build_is_resumable_and_loads(tiny_corpus, tmp_path, caplog):
    work, knowledge = tmp_path / "work", tmp_path / "knowledge"
    # 6 s searches: at 2 s the workers' start left no time for a single trial, and the build
    # recorded no config at all.
    options = dict(corpus=tiny_corpus, work=work, knowledge=knowledge, budget=6.0, max_rows=120,
                   candidate_seconds=10.0)
    build(**options, names=["binary_toy", "regression_toy"], stages=("search",))
    first = (work / "searches" / "binary_toy.json").stat().st_mtime_ns
    build(**options)  # goes on: only the missing search runs, then matrix and compile
    assert (work / "searches" / "binary_toy.json").stat().st_mtime_ns == first
    searches, matrix = read_records(work / "searches"), read_records(work / "matrix")
    assert set(searches) == set(matrix) == {"binary_toy", "multiclass_toy", "regression_toy"}
    assert all(record["configs"] for record in searches.values()), "a search found no config"
    for name, row in matrix.items():
        scored = [score for score in row["scores"].values() if score is not None]
        assert len(scored) >= len(row["scores"]) / 2, f"most candidates failed on {name}"
    for task in ("binary", "multiclass", "regression"):
        loaded = load_knowledge_base(task, knowledge)
        assert len(loaded.datasets) == 1
        # Each family's defaults run in every search: the portfolio spends no place on them.
        defaults = queued_anyway(task)
        assert not any(candidate_key(config) in defaults for config in loaded.portfolio)
        assert loaded.header["n_datasets"] == 1 and loaded.header["build_seconds"] > 0
        # What the warm start needs to tell a config too slow for new data: the rows each
        # matrix fit trained on (3-fold CV on the 120-row cap) and each config's seconds.
        past = loaded.datasets[0]
        assert past.fit_rows == 2 * 120
        for config in past.configs[:1] + loaded.portfolio:
            assert set(loaded.costs[config_key(config)]) == {past.name}
            assert loaded.costs[config_key(config)][past.name] > 0
    # A compile-only run keeps the row cap the matrix was scored at, not the option's default.
    build(**{**options, "max_rows": 999}, stages=("compile",))
    assert load_knowledge_base("binary", knowledge).header["matrix_max_rows"] == 120
    # The header names the space the searches ran in, as their records say.
    assert load_knowledge_base("binary", knowledge).header["space_version"] == space_version()
    # Demo tables (or any named) are left out of a build: no search, no dataset, no candidate.
    build(**{**options, "knowledge": tmp_path / "no-demo"}, stages=("compile",),
          exclude=("multiclass_toy",))
    assert sorted(path.stem for path in (tmp_path / "no-demo").glob("*.json")) == \
        ["binary", "regression"]
    # Leave-one-dataset-out: the left-out dataset and its configs are gone.
    loo = tmp_path / "loo"
    written = compile_knowledge(searches, matrix, loo, corpus="tiny", max_rows=120,
                                exclude=["binary_toy"])
    assert {path.stem for path in written} == {"multiclass", "regression"}
    # A candidate no matrix row has scored is newer than the matrix (the space changed since):
    # it is left out, and the portfolio is chosen from the others.
    row = matrix["regression_toy"]
    unscored = {**row, "scores": dict(list(row["scores"].items())[1:])}
    with caplog.at_level(logging.WARNING, logger="metalearning.knowledge"):
        compile_knowledge(searches, {**matrix, "regression_toy": unscored}, tmp_path / "new",
                          corpus="tiny", max_rows=120)
    assert "1 candidate(s) no matrix row has scored" in caplog.text
    new = load_knowledge_base("regression", tmp_path / "new")
    assert new.header["n_matrix_datasets"] == 1
    assert new.header["n_candidates"] == len(row["scores"]) - 1
    # A row still missing a candidate that another row has (its stage unfinished) chooses
    # nothing: the candidate not yet scored there must not count as having failed.
    twins = {**searches, "regression_twin": searches["regression_toy"]}
    with caplog.at_level(logging.WARNING, logger="metalearning.knowledge"):
        compile_knowledge(twins, {**matrix, "regression_twin": unscored}, tmp_path / "half",
                          corpus="tiny", max_rows=120)
    assert "1 of 2 matrix rows lack scores" in caplog.text
    assert load_knowledge_base("regression", tmp_path / "half").header["n_matrix_datasets"] == 1
    assert load_knowledge_base("binary", tmp_path / "half").header["n_matrix_datasets"] == 1
    # A search winner that beats every family's defaults takes the portfolio's first place.
    tuned = {**task_space("regression").default_config("ridge"), "model.ridge.alpha": 3.25}
    record = searches["regression_toy"]
    better = {**searches, "regression_toy": {**record, "configs": [
        {"config": tuned, "score": 0.0, "model": "ridge"}]}}
    best = max(score for score in row["scores"].values() if score is not None)
    scored = {**matrix, "regression_toy": {**row, "scores": {**row["scores"],
                                                             candidate_key(tuned): best + 1.0}}}
    compile_knowledge(better, scored, tmp_path / "tuned", corpus="tiny", max_rows=120)
    assert load_knowledge_base("regression", tmp_path / "tuned").portfolio == (tuned,)


def test_a_build_killed_alone_takes_its_workers_and_their_searches_with_it(tiny_corpus,
                                                                          tmp_path):
    """``kill`` or ``pkill -f`` reaches the build process only; its pool workers used to go on
    with their searches, writing records while a resumed build ran the same datasets."""
    build_process = subprocess.Popen(
        [sys.executable, "-m", "metalearning.build", "--corpus", str(tiny_corpus),
         "--work", str(tmp_path / "work"), "--knowledge", str(tmp_path / "knowledge"),
         "--datasets", "binary_toy", "regression_toy", "--budget", "60", "--workers", "2",
         "--stages", "search"],
        cwd=Path(__file__).resolve().parent.parent, stderr=subprocess.DEVNULL)
    try:
        searching = _wait_for_search_workers(psutil.Process(build_process.pid))
    finally:
        build_process.send_signal(signal.SIGTERM)
        build_process.wait(10)
    _, alive = psutil.wait_procs(searching, timeout=20)
    assert not alive, [process.cmdline() for process in alive]
    assert not (tmp_path / "work" / "searches").exists() or not any(
        (tmp_path / "work" / "searches").iterdir())


def _wait_for_search_workers(build_process: psutil.Process, seconds: float = 60.0) -> list:
    """The build's descendants, once both datasets' searches have their evaluation workers."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        descendants = build_process.children(recursive=True)
        serving = [process for process in descendants
                   if "serve" in " ".join(_cmdline(process))]
        if len(serving) >= 2:
            return descendants
        time.sleep(0.5)
    raise AssertionError(f"no two search workers under the build within {seconds} s")


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []


def test_unknown_dataset_names_are_refused(tiny_corpus, tmp_path):
    with pytest.raises(ValueError, match="not in the corpus manifest: \\['nope'\\]"):
        build(corpus=tiny_corpus, work=tmp_path, knowledge=tmp_path, names=["nope"])
    # a mistyped --exclude would leave the dataset in: refused (the demo tables need no check)
    with pytest.raises(ValueError, match="--exclude names datasets not in the corpus manifest: "
                                         "\\['nope'\\]"):
        build(corpus=tiny_corpus, work=tmp_path, knowledge=tmp_path, exclude=("nope",))


@pytest.mark.parametrize("option, value", [("--budget", "0"), ("--budget", "nan"),
                                           ("--workers", "0"), ("--matrix-rows", "5"),
                                           ("--candidate-seconds", "-1")])
def test_bad_build_options_are_refused_before_any_work(tmp_path, capsys, option, value):
    with pytest.raises(SystemExit) as stopped:
        build_main(["--corpus", str(tmp_path), "--work", str(tmp_path / "work"),
                    "--knowledge", str(tmp_path / "knowledge"), option, value])
    assert stopped.value.code == 2
    assert f"{option} must be at least" in capsys.readouterr().err
    assert not (tmp_path / "work").exists()


def test_a_corpus_folder_without_a_manifest_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no manifest.json in the corpus folder .*--corpus"):
        build(corpus=tmp_path, work=tmp_path / "work", knowledge=tmp_path / "knowledge")


@pytest.mark.parametrize("manifest, message", [
    ("{not json", "is not valid JSON"),
    ('{"name": "x"}', "must hold a list of datasets, got dict"),
    ('["iris.csv"]', "manifest entry 0 \\('iris.csv'\\): expected an object"),
    ('[{"name": "iris", "file": "iris.csv", "task": "multiclass"}]',
     "manifest entry 0 \\('iris'\\): missing \\['target'\\]"),
    ('[{"name": "iris", "file": "iris.csv", "target": "species", "task": "classification"}]',
     "task must be one of \\('binary', 'multiclass', 'regression'\\), got 'classification'"),
    ('[{"name": "iris", "file": "a.csv", "target": "y", "task": "binary"}, '
     '{"name": "iris", "file": "b.csv", "target": "y", "task": "binary"}]',
     "manifest entry 1: the name 'iris' is taken by an earlier entry"),
])
def test_a_hand_written_manifest_that_cannot_be_built_from_is_named(tmp_path, capsys, manifest,
                                                                   message):
    (tmp_path / "manifest.json").write_text(manifest)
    with pytest.raises(ValueError, match=message):
        build(corpus=tmp_path, work=tmp_path / "work", knowledge=tmp_path / "knowledge")
    with pytest.raises(SystemExit) as stopped:  # the command line: one line, no traceback
        build_main(["--corpus", str(tmp_path), "--work", str(tmp_path / "work"),
                    "--knowledge", str(tmp_path / "knowledge")])
    assert stopped.value.code == 2
    assert re.search(message, capsys.readouterr().err.replace("\n", " "))


@pytest.mark.slow
def test_the_builder_runs_from_an_installed_wheel_into_folders_it_is_given(installed_wheel,
                                                                            tiny_corpus, tmp_path):
    """From a wheel the defaults would write the knowledge base over the shipped one inside
    site-packages: the builder asks for both folders, then builds into them, and a fit reads
    what it built."""
    environment = {**os.environ, "PYTHONPATH": str(installed_wheel)}
    command = [sys.executable, "-m", "automl.metalearning.build", "--corpus", str(tiny_corpus),
               "--datasets", "binary_toy", "--budget", "6", "--matrix-rows", "120"]
    refused = subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True,
                             text=True, timeout=60)
    assert refused.returncode == 2
    assert "--work and --knowledge are required when the builder runs from an installed" \
        in refused.stderr
    built = subprocess.run(command + ["--work", "work", "--knowledge", "kb"], cwd=tmp_path,
                           env=environment, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    code = ("import sys, automl.search.warmstart as w; kb = w.load_knowledge_base('binary', 'kb'); "
            "print(w.knowledge_dir().is_relative_to(sys.argv[1]), [d.name for d in kb.datasets])")
    read = subprocess.run([sys.executable, "-c", code, str(installed_wheel)], cwd=tmp_path,
                          env=environment, capture_output=True, text=True, timeout=60)
    assert read.stdout.split(maxsplit=1) == ["True", "['binary_toy']\n"], read.stderr


def test_the_header_names_the_space_its_searches_ran_in_or_none():
    assert searched_space([{"space_version": "a6f2"}, {"space_version": "a6f2"}]) == "a6f2"
    assert searched_space([{"space_version": "a6f2"}, {}]) is None  # a record from before
    assert searched_space([{"space_version": "a6f2"}, {"space_version": "1259"}]) is None
