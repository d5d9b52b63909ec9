"""The real commands, run in subprocesses on the data shipped in examples/."""

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import EXAMPLES

TRAIN, TEST = EXAMPLES / "kaggle" / "train.csv", EXAMPLES / "kaggle" / "test.csv"
# Small, reproducible fits: the budget is a ceiling, --max-trials ends the search.
QUICK = ["--time-budget", "30", "--max-trials", "6"]


def automl(*args, cwd=None, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "automl", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


# Each command in a process of its own, forked from one that imported automl.cli once: the
# command line's ``main`` as ``python -m automl`` runs it, without paying the three seconds
# of imports (scikit-learn, pandas, LightGBM) once per command. The forking process runs
# nothing else, so no thread or worker pool is copied into the children.
_FORKED = """
import json, os, sys, tempfile, traceback
from automl.cli import main

def run(argv):
    out, err = (tempfile.TemporaryFile("w+") for _ in range(2))
    sys.stdout.flush(); sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child never returns into the loop
        code = 1
        try:
            os.dup2(out.fileno(), 1); os.dup2(err.fileno(), 2)
            code = main(argv) or 0
        except SystemExit as exit:
            code = 0 if exit.code is None else exit.code if isinstance(exit.code, int) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush(); sys.stderr.flush()
            os._exit(code)
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    out.seek(0); err.seek(0)
    return {"returncode": code, "stdout": out.read(), "stderr": err.read()}

print(json.dumps([run(argv) for argv in json.load(sys.stdin)]))
"""


def automl_each(commands: list[list]) -> list[subprocess.CompletedProcess]:
    """Run each command (the arguments after ``automl``) as :func:`automl` would, each in a
    process forked for it (see ``_FORKED``); their results in order."""
    argvs = [[str(arg) for arg in command] for command in commands]
    done = subprocess.run([sys.executable, "-c", _FORKED], input=json.dumps(argvs),
                          capture_output=True, text=True, timeout=60 + 10 * len(argvs))
    assert done.returncode == 0, done.stderr
    return [subprocess.CompletedProcess(["automl", *argv], **result)
            for argv, result in zip(argvs, json.loads(done.stdout))]


@pytest.fixture(scope="module")
def fitted(tmp_path_factory) -> Path:
    """`automl fit` with an id column and a held-out quarter: the model file."""
    folder = tmp_path_factory.mktemp("cli")
    done = automl("fit", TRAIN, "--target", "species", "--id-column", "id", "--holdout", "0.25",
                  *QUICK, "--output", folder / "model.pkl")
    assert done.returncode == 0, done.stderr
    assert "task multiclass, metric log_loss" in done.stdout  # the leaderboard on stdout
    assert "lightgbm" in done.stdout
    assert "trials 6, best log_loss" in done.stderr  # the progress on stderr: plain lines
    assert "\r" not in done.stderr and "(lower is better)" in done.stderr
    return folder / "model.pkl"


def test_predict_writes_a_submission_with_the_ids(fitted, tmp_path):
    done = automl("predict", fitted, TEST, "--output", tmp_path / "submission.csv")
    assert done.returncode == 0, done.stderr
    submission = pd.read_csv(tmp_path / "submission.csv")
    test = pd.read_csv(TEST)
    assert list(submission.columns) == ["id", "species"]
    assert submission["id"].tolist() == test["id"].tolist()
    assert set(submission["species"]) <= {"Adelie", "Chinstrap", "Gentoo"}
    proba = automl("predict", fitted, TEST, "--proba")  # to stdout
    assert proba.returncode == 0, proba.stderr
    header, first = proba.stdout.splitlines()[:2]
    assert header == "id,Adelie,Chinstrap,Gentoo"
    assert abs(sum(map(float, first.split(",")[1:])) - 1) < 1e-6


def test_report_renders_in_headless_chromium(fitted, tmp_path):
    report = tmp_path / "report.html"
    done = automl("report", fitted, "--output", report)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(report)
    images, errors = _open_in_chromium(report)
    alts = {alt for alt, _ in images}
    assert {"optimisation history", "best score per model family",
            "permutation feature importance", "confusion matrix", "ROC curve"} <= alts
    assert all(width > 0 for _, width in images), images  # every image decoded and drawn
    assert errors == []


def test_report_on_labelled_data_from_a_file(fitted, tmp_path):
    labelled = tmp_path / "labelled.csv.gz"
    pd.read_csv(TRAIN).tail(60).to_csv(labelled, index=False)
    done = automl("report", fitted, "--data", labelled, "--output", tmp_path / "r.html",
                  "--quiet")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # --quiet: errors only
    assert "on 60 held-out rows" in (tmp_path / "r.html").read_text(encoding="utf-8")


BAD_INPUT = [
    (["fit", "missing.csv", "--target", "y"], "data file 'missing.csv' does not exist"),
    (["fit", TRAIN, "--target", "kind"], "has no target column 'kind'"),
    (["fit", TRAIN, "--target", "species", "--id-column", "key"], "has no id column 'key'"),
    (["fit", EXAMPLES / "README.md", "--target", "y"], "unknown format '.md'"),
    (["fit", TRAIN, "--target", "species", "--time-budget", "-5"],
     "time_budget must be a positive number of seconds, got -5.0"),
    (["fit", TRAIN, "--target", "species", "--holdout", "2"], "holdout must be a share"),
    (["fit", TRAIN, "--target", "species", "--metric", "rmse"], "does not apply to task"),
    (["predict", TRAIN, TEST], "is not a model saved by automl"),
    (["fit", TRAIN, "--target", "species", "--output", EXAMPLES], "is a folder"),
    (["report", "nowhere.pkl"], "model file 'nowhere.pkl' does not exist"),
    (["fit", EXAMPLES, "--target", "species"], "is a folder; give a CSV or Parquet file"),
    (["predict", EXAMPLES, TEST], "is a folder; give the file `automl fit` wrote"),
    (["baseline", EXAMPLES, "--target", "species"], "is a folder; give a CSV or Parquet file"),
    (["fit", TRAIN], "the following arguments are required: --target"),
    (["fit", TRAIN, "--target", "species", "--time-budget", "soon"], "invalid float value"),
    (["fit", TRAIN, "--target", "species", "--warm-start", "no-such-kb"],
     "--warm-start 'no-such-kb': no such folder; give on, off, or the --knowledge folder"),
    (["knowledge", "--knowledge", "no-such-kb"], "--knowledge 'no-such-kb': no such folder"),
    (["knowledge", "--knowledge", EXAMPLES], "holds no knowledge base (binary.json"),
    (["knowledge", TRAIN], "--target COL is needed with DATA"),
    (["knowledge", TRAIN, "--target", "kind"], "has no target column 'kind'"),
    (["knowledge", TRAIN, "--target", "species", "--time-budget", "0"],
     "time_budget must be a positive number of seconds, got 0.0"),
]
COMMANDS = ["fit", "predict", "report", "baseline", "knowledge"]


@pytest.fixture(scope="module")
def quick_commands() -> dict[tuple, subprocess.CompletedProcess]:
    """The commands that fail on their input or only print help, by arguments: one forked
    process each (see :func:`automl_each`)."""
    commands = [args for args, _ in BAD_INPUT] + [[command, "--help"] for command in COMMANDS]
    return {tuple(done.args[1:]): done for done in automl_each(commands)}


@pytest.mark.parametrize("args, message", BAD_INPUT)
def test_bad_input_exits_2_and_names_the_problem(quick_commands, args, message):
    done = quick_commands[tuple(map(str, args))]
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_warm_start_off_gives_a_cold_search(tmp_path):
    from automl.persistence import load_model
    done = automl("fit", TRAIN, "--target", "species", "--id-column", "id", "--time-budget", "30",
                  "--max-trials", "3", "--warm-start", "off", "--output", tmp_path / "cold.pkl")
    assert done.returncode == 0, done.stderr
    model = load_model(tmp_path / "cold.pkl").model
    assert set(model.leaderboard_["source"]) <= {"default", "preview", "tpe", "ensemble"}
    assert model.warm_start_neighbours_.empty


def test_knowledge_describes_the_shipped_knowledge_base():
    from automl.search.warmstart import knowledge_dir
    done = automl("knowledge")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"knowledge base: {knowledge_dir()}"
    for task in ("binary", "multiclass", "regression"):
        assert any(line.startswith(f"{task}: ") and "past datasets; portfolio of" in line
                   for line in lines), done.stdout
    assert done.stdout.count(" s searches and a ") == 3


def test_knowledge_of_a_data_file_shows_where_a_fit_would_start():
    done = automl("knowledge", TRAIN, "--target", "species", "--id-column", "id",
                  "--time-budget", "30", "--configs")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("task multiclass; a trial may take 10 s, and a warm config "
                          "estimated to take over 5 s is left out (")
    assert "nearest past datasets" in out and " from the knowledge base)" in out
    table = out[out.index(" order "):].splitlines()
    rows = [line.split() for line in table[1:] if line.split()[0].isdigit()]
    assert rows[0][1:3] == ["default", "lightgbm"]
    assert {row[1] for row in rows} >= {"default", "portfolio", "warmstart"}
    configs = [line for line in table if line.split(":")[0].isdigit()]
    assert len(configs) == len(rows) and '"model": "lightgbm"' in configs[0]


def test_knowledge_without_past_datasets_of_the_task_says_so(tmp_path):
    from automl.search.warmstart import FORMAT_VERSION
    (tmp_path / "multiclass.json").write_text(json.dumps({
        "format_version": FORMAT_VERSION, "task": "multiclass", "datasets": [],
        "portfolio": []}))
    done = automl("knowledge", TRAIN, "--target", "species", "--id-column", "id",
                  "--knowledge", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "no past dataset of this task in the knowledge base" in done.stdout
    assert "(0 from the knowledge base)" in done.stdout


def test_predict_input_problems_exit_2(fitted, tmp_path):
    no_ids = tmp_path / "no_ids.csv"
    pd.read_csv(TEST).drop(columns="id").to_csv(no_ids, index=False)
    done = automl("predict", fitted, no_ids)
    assert done.returncode == 2 and "no id column 'id'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1  # one line that names the problem
    done = automl("predict", fitted, tmp_path)
    assert done.returncode == 2 and "is a folder; give a CSV or Parquet file" in done.stderr


def test_a_model_that_only_predicts_the_prior_exits_3_and_predict_warns(tmp_path):
    # 0.3 s: no worker is ready in time for any trial, so the saved model is the prior's
    model = tmp_path / "model.pkl"
    done = automl("fit", TRAIN, "--target", "species", "--id-column", "id",
                  "--time-budget", "0.3", "--output", model)
    assert done.returncode == 3, done.stderr
    assert "only predicts the training prior" in done.stderr and model.exists()
    predicted = automl("predict", model, TEST)
    assert predicted.returncode == 0
    assert "only predicts the training prior" in predicted.stderr
    for stderr in (done.stderr, predicted.stderr):  # warnings: one line each, no source
        warned = [line for line in stderr.splitlines() if "warning:" in line.lower()]
        assert warned and all(line.startswith("automl: warning: ") for line in warned)
        assert "UserWarning" not in stderr and "warnings.warn(" not in stderr
    assert len(set(pd.read_csv(io.StringIO(predicted.stdout))["species"])) == 1


def test_anything_unexpected_exits_1_with_one_line_or_a_traceback(tmp_path):
    from automl.persistence import SavedModel, save_model
    broken = save_model(SavedModel(model=None, target="species"), tmp_path / "broken.pkl")
    done = automl("predict", broken, TEST)
    assert done.returncode == 1
    assert done.stderr.startswith("automl: error: unexpected AttributeError")
    assert "--verbose" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    verbose = automl("predict", broken, TEST, "--verbose")
    assert verbose.returncode == 1 and "Traceback" in verbose.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(quick_commands, command):
    done = quick_commands[(command, "--help")]
    assert done.returncode == 0 and f"usage: automl {command}" in done.stdout


def test_a_forked_command_says_what_the_command_line_says():
    """The forked runner against ``python -m automl`` itself, on a failure and on help."""
    commands = [["fit", "missing.csv", "--target", "y"], ["knowledge", "--help"]]
    for args, forked in zip(commands, automl_each(commands)):
        alone = automl(*args)
        assert (forked.returncode, forked.stdout, forked.stderr) == (
            alone.returncode, alone.stdout, alone.stderr)


@pytest.mark.slow
def test_kaggle_example_writes_a_submission(tmp_path):
    done = _example("kaggle_submission.sh", tmp_path)
    submission = pd.read_csv(tmp_path / "submission.csv")
    assert len(submission) == len(pd.read_csv(TEST)) and list(submission.columns) == [
        "id", "species"]
    assert done.stdout.count("\n") >= 5


@pytest.mark.slow
def test_baseline_example_writes_model_report_and_summary(tmp_path):
    done = _example("baseline.sh", tmp_path / "out")
    assert "## Baseline: penguins.csv -> body_mass_g" in done.stdout
    assert "dummy baseline (training prior): rmse" in done.stdout
    assert "left out of the fit" in done.stderr  # the two penguins without a body mass
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "model.pkl", "report.html", "summary.md"]
    assert (tmp_path / "out" / "summary.md").read_text() == done.stdout


def _example(script: str, out: Path) -> subprocess.CompletedProcess:
    """Run an example script with this interpreter's `automl` command first on PATH."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(["bash", str(EXAMPLES / script), str(out), "8"], env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return done


def _open_in_chromium(page: Path) -> tuple[list[tuple[str, int]], list[dict]]:
    """The page's images (alt text, decoded width) and its console errors, from Debian's
    chromium driven by chromedriver. CI (.ci/run) installs both and sets
    AUTOML_REQUIRE_BROWSER, so there a missing browser fails instead of skipping."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        if os.environ.get("AUTOML_REQUIRE_BROWSER"):
            pytest.fail("chromium and chromedriver are required (apt-get install chromium "
                        "chromium-driver)")
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    webdriver = pytest.importorskip("selenium.webdriver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(options=options,
                               service=webdriver.ChromeService(executable_path=driver))
    try:
        browser.get(page.as_uri())
        images = browser.execute_script(
            "return Array.from(document.images).map(i => [i.alt, i.complete ? i.naturalWidth : 0])")
        errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    finally:
        browser.quit()
    return [tuple(image) for image in images], errors
