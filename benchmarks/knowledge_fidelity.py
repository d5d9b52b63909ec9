"""How much a knowledge-base build has to teach: read off its records, no fitting.

The warm start can only beat a cold search with configs better than what that search finds by
itself. Two things limit that, and both can be read off a build's work folder:

- **the searches**: how many trials each ran, how many found no working pipeline at all, and
  how many distinct candidates (search winners and family defaults) the matrix stage had;
- **the matrix's fidelity**: on datasets larger than its row cap, does the matrix rank best
  the same model family as the full-data search found best? A low agreement means the
  portfolio is chosen for the subsample, not for the data it will meet.

    python benchmarks/knowledge_fidelity.py                        # the shipped build's folder
    python benchmarks/knowledge_fidelity.py --work metalearning/work   # the 20 s build
    python benchmarks/knowledge_fidelity.py --work metalearning/work-300s \
        --against metalearning/work-120s      # a longer build's searches against a shorter's

Prints a table and writes benchmarks/results/knowledge-<work folder name>.md. ``--against``
adds, per task, how the datasets searched in both builds compare: trials, and whether the
longer search's best cross-validated score is higher (a build in progress can be compared on
the datasets it has done, before its matrix is scored).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from automl.data import TASKS  # noqa: E402
from metalearning.build import WORK_DIR  # noqa: E402
from metalearning.records import read_records, scored_for_all, task_candidates  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
BOOSTING = {"lightgbm", "hist_gradient_boosting"}


def dataset_rows(searches: dict[str, dict[str, Any]], matrix: dict[str, dict[str, Any]]
                 ) -> pd.DataFrame:
    """One row per searched dataset: its size, trials, and the family each stage found best."""
    rows = []
    for task in TASKS:
        family = {key: candidate["config"]["model"]
                  for key, candidate in task_candidates(task, searches).items()}
        for name, record in sorted(searches.items()):
            if record["task"] != task:
                continue
            row = matrix.get(name)
            # A row the matrix stage has not finished names no best: it is left out below.
            complete = row is not None and scored_for_all(row, family)
            scored = [(score, key) for key, score in row["scores"].items()
                      if score is not None and key in family] if complete else []
            rows.append({
                "dataset": name, "task": task,
                "rows": int(round(np.exp(record["metafeatures"]["log_n_rows"]))),
                "trials": record["n_trials"], "budget": record["budget_seconds"],
                "search_best": record["configs"][0]["model"] if record["configs"] else None,
                "matrix_best": family[max(scored)[1]] if scored else None,
                "matrix_rows": matrix.get(name, {}).get("max_rows"),
                "n_candidates": len(family)})
    return pd.DataFrame(rows)


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per task: search effort, candidate pool, and matrix-to-search agreement on large data."""
    lines = []
    for task, group in rows.groupby("task"):
        large = group[(group["rows"] > group["matrix_rows"].fillna(np.inf))
                      & group["search_best"].notna() & group["matrix_best"].notna()]
        lines.append({
            "task": task, "datasets": len(group),
            "search budget s": "/".join(f"{b:g}" for b in sorted(group["budget"].unique())),
            "no working trial": int(group["search_best"].isna().sum()),
            "median trials": float(group["trials"].median()),
            "median trials, large": float(large["trials"].median()) if len(large) else np.nan,
            "candidates": int(group["n_candidates"].iloc[0]),
            "large datasets": len(large),
            "same best family": int((large["search_best"] == large["matrix_best"]).sum()),
            "boosting best, search": int(large["search_best"].isin(BOOSTING).sum()),
            "boosting best, matrix": int(large["matrix_best"].isin(BOOSTING).sum())})
    return pd.DataFrame(lines)


def paired_searches(searches: dict[str, dict[str, Any]], reference: dict[str, dict[str, Any]]
                    ) -> pd.DataFrame:
    """Per task, over the datasets both builds searched and both found a working pipeline
    for: trial ratio, and how often and by how much the best CV score moved (positive:
    ``searches`` is better, as a fraction of the reference's score)."""
    rows = []
    for name in sorted(set(searches) & set(reference)):
        ours, theirs = searches[name], reference[name]
        if not ours["configs"] or not theirs["configs"]:
            continue
        best, before = ours["configs"][0]["score"], theirs["configs"][0]["score"]
        rows.append({"task": ours["task"],
                     "trial_ratio": ours["n_trials"] / max(theirs["n_trials"], 1),
                     "change": (best - before) / abs(before) if before else best - before,
                     "same_family": ours["configs"][0]["model"] == theirs["configs"][0]["model"]})
    if not rows:
        return pd.DataFrame()
    frame = pd.DataFrame(rows)
    return pd.DataFrame([{
        "task": task, "datasets in both": len(group),
        "median trial ratio": float(group["trial_ratio"].median()),
        "best CV higher / equal / lower": "{} / {} / {}".format(
            int((group["change"] > 0).sum()), int((group["change"] == 0).sum()),
            int((group["change"] < 0).sum())),
        "median change %": 100 * float(group["change"].median()),
        "same best family": int(group["same_family"].sum())}
        for task, group in [*frame.groupby("task"), ("all", frame)]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=WORK_DIR, help="a build's work folder")
    parser.add_argument("--against", type=Path, help="another build's work folder to pair "
                        "its searches with")
    args = parser.parse_args()
    searches = _searches(args.work)
    table = summary(dataset_rows(searches, read_records(args.work / "matrix")))
    text = "\n".join([
        f"Build records in `{args.work.name}`; \"large\" datasets have more rows than the "
        "matrix's row cap.", "", table.to_markdown(index=False, floatfmt=".1f"), ""])
    if args.against is not None:
        pairs = paired_searches(searches, _searches(args.against))
        text += "\n".join([
            "", f"Searches of `{args.work.name}` against `{args.against.name}` on the datasets "
            "both searched (best CV score: higher is better):", "",
            pairs.to_markdown(index=False, floatfmt=".2f") if len(pairs)
            else "no dataset was searched in both.", ""])
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"knowledge-{args.work.name}.md").write_text(text, encoding="utf-8")


def _searches(work: Path) -> dict[str, dict[str, Any]]:
    searches = read_records(work / "searches")
    if not searches:
        raise SystemExit(f"no search records in {str(work / 'searches')!r}: run "
                         "python -m metalearning.build --work on that folder first.")
    return searches


if __name__ == "__main__":
    main()
