"""The package's layering (docs/architecture.md): each stage is a sub-package, and no module
imports from a stage above its own. The modules at the top of the package are its faces."""

import ast
from pathlib import Path

import pytest

import automl

PACKAGE = Path(automl.__file__).resolve().parent
# The stages, bottom first; the search and the final model stand side by side, and the
# faces (the package's top level) stand on everything.
LEVELS = {"base": 0, "input": 1, "space": 2, "trials": 3, "search": 4, "final": 4, "faces": 5}


def _stage(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return "faces" if len(relative.parts) == 1 else relative.parts[0]


def _modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if "__pycache__" not in path.parts)


def _imported_stages(path: Path) -> set[str]:
    """The stages whose modules ``path`` imports, at any depth of its code."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("automl"):
            parts = node.module.split(".")
            names |= {parts[1]} if len(parts) > 1 else {alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {alias.name.split(".")[1] for alias in node.names
                      if alias.name.startswith("automl.")}
    return {name if name in LEVELS else "faces" for name in names}


def test_every_folder_of_the_package_is_a_stage():
    folders = {path.name for path in PACKAGE.iterdir()
               if path.is_dir() and path.name != "__pycache__" and (path / "__init__.py").exists()}
    assert folders == set(LEVELS) - {"faces"}, "a new folder is a new stage: add it here and " \
                                               "to docs/architecture.md"


def test_no_import_runs_up_a_stage():
    upward = []
    for path in _modules():
        stage = _stage(path)
        for other in _imported_stages(path) - {stage}:
            if LEVELS[other] >= LEVELS[stage]:
                upward.append(f"{path.relative_to(PACKAGE)} ({stage}) imports from {other}")
    assert upward == []


def test_the_architecture_document_names_every_module():
    document = PACKAGE.parent / "docs" / "architecture.md"
    if not document.exists():
        pytest.skip("docs/ is not shipped in the wheel")
    text = document.read_text(encoding="utf-8")
    missing = [str(path.relative_to(PACKAGE)) for path in _modules()
               if path.name != "__init__.py" and f"`{path.relative_to(PACKAGE)}`" not in text]
    assert missing == []


def test_the_readme_names_every_module_in_its_folder():
    readme = PACKAGE.parent / "README.md"
    if not readme.exists():
        pytest.skip("README.md is not shipped in the wheel")
    rows = {line.split("|")[1].strip(): line.split("|")[2]
            for line in readme.read_text(encoding="utf-8").splitlines()
            if line.startswith("| `automl/")}
    missing = []
    for path in _modules():
        if path.name in ("__init__.py", "__main__.py"):
            continue
        relative = path.relative_to(PACKAGE)
        folder = "`automl/`" if len(relative.parts) == 1 else f"`automl/{relative.parts[0]}/`"
        row = next((modules for name, modules in rows.items() if name.startswith(folder)), "")
        if f"`{path.stem}`" not in row:
            missing.append(str(relative))
    assert missing == []
