"""``python -m benchmarks SUITE [options]``: one entry point for the benchmarks.

Each suite is a script of this folder, run with the options that follow its name
(``python -m benchmarks core --help`` lists them); each writes its results file under
``benchmarks/results/`` and prints one table. Run from the repository root, one at a time:
a benchmark owns the machine while it runs.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUITES = {
    "core": ("run_core", "the search at a budget on 24 datasets: the final model against "
                         "LightGBM's defaults, the ensemble against its best member"),
    "ensemble": ("ensemble_summary", "the ensemble against its best member, with a sign test and "
                                     "intervals, from a core run's results file"),
    "warmstart": ("run_warmstart", "the warm start against a cold search, leave-one-dataset-out"),
    "busy": ("busy_machine", "the quickstart beside two multi-threaded neighbours"),
    "threads": ("thread_fits", "one fit with 1 and 2 threads, idle and busy"),
    "long": ("long_budgets", "60 s against 300 s on 12 small tables: change, same-seed spread, "
                             "FLAML at 300 s"),
    "pairs": ("core_pairs", "two core result files of the same datasets, paired"),
}


def usage() -> str:
    width = max(map(len, SUITES))
    lines = [f"  {name:{width}s}  {description} ({script}.py)"
             for name, (script, description) in SUITES.items()]
    return "usage: python -m benchmarks SUITE [options]\n\nsuites:\n" + "\n".join(lines)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0
    if argv[0] not in SUITES:
        print(f"{usage()}\n\nbenchmarks: error: unknown suite {argv[0]!r}; choose one of "
              f"{', '.join(SUITES)}.", file=sys.stderr)
        return 2
    script = SUITES[argv[0]][0]
    sys.path.insert(0, str(HERE))
    module = importlib.import_module(script)
    sys.argv = [f"python -m benchmarks {argv[0]}", *argv[1:]]
    module.main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
