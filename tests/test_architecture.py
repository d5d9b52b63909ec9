"""The package's layering (docs/architecture.md): no module imports from a stage above its own."""

import ast
from pathlib import Path

import pytest

import automl

PACKAGE = Path(automl.__file__).resolve().parent
# The stages, bottom first; the search and the final model stand side by side.
STAGES = {
    "base": (0, {"exceptions", "clock", "metrics"}),
    "input": (1, {"data", "tables", "metafeatures"}),
    "space": (2, {"components", "space", "pipeline", "models"}),
    "trials": (3, {"runner", "jobs", "evaluate", "threads", "model_size", "trial_log",
                   "prediction_store", "run_dirs"}),
    "search": (4, {"search", "warmstart"}),
    "final model": (4, {"assemble", "ensemble", "refit", "refit_check", "prior_blend"}),
    "faces": (5, {"first_trials", "fitting", "estimator", "leaderboard", "progress",
                  "persistence", "workflow", "diagnostics", "plots", "report", "cli",
                  "__init__", "__main__"}),
}
STAGE_OF = {module: stage for stage, (_, modules) in STAGES.items() for module in modules}


def _imported(path: Path) -> set[str]:
    """The package's modules that ``path`` imports, at any depth of its code."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("automl"):
            parts = node.module.split(".")
            names |= {parts[1]} if len(parts) > 1 else {alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {alias.name.split(".")[1] for alias in node.names
                      if alias.name.startswith("automl.")}
    return names & set(STAGE_OF)


def test_every_module_has_a_stage():
    modules = {path.stem for path in PACKAGE.glob("*.py")}
    assert modules - set(STAGE_OF) == set(), "place the new module in a stage (and the docs)"


def test_no_import_runs_up_a_stage():
    upward = []
    for path in sorted(PACKAGE.glob("*.py")):
        stage = STAGE_OF.get(path.stem)
        if stage is None:
            continue
        level = STAGES[stage][0]
        for other in _imported(path):
            other_stage = STAGE_OF[other]
            if STAGES[other_stage][0] > level or \
                    (STAGES[other_stage][0] == level and other_stage != stage):
                upward.append(f"{path.stem} ({stage}) imports {other} ({other_stage})")
    assert upward == []


def test_the_architecture_document_names_every_module():
    document = PACKAGE.parent / "docs" / "architecture.md"
    if not document.exists():
        pytest.skip("docs/ is not shipped in the wheel")
    text = document.read_text(encoding="utf-8")
    missing = [module for module in STAGE_OF if f"`{module}.py`" not in text]
    assert missing == []
