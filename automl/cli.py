"""``automl fit / predict / report / baseline / knowledge``: the library for people with files,
not code.

Data goes to stdout, logs, warnings and the progress bar to stderr. Exit codes: 0 success,
2 bad usage or bad input (a one-line message that names the problem), 3 ``fit`` or
``baseline`` saved a model that only predicts the training prior (every trial failed, or none
beat the prior), 1 anything else.
Every command is a thin layer over a Python function (``automl.workflow``,
``automl.persistence``, ``automl.report``), so what the command line does, a script can.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Any, Sequence

from tqdm import tqdm

from automl import __version__, diagnostics
from automl.base.exceptions import InputError
from automl.input.data import TASKS
from automl.input.tables import SUPPORTED, read_table, split_table
from automl.persistence import SavedModel, load_model, save_model

LEADERBOARD_COLUMNS = ["trial", "model", "score", "status", "fit_seconds",
                       "predict_ms_per_1000_rows", "size_mb", "source", "ensemble_weight"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    _configure_output(args.verbose, args.quiet)
    try:
        return args.run(args)
    except InputError as error:
        _fail(str(error), args.verbose)
        return 2
    except BrokenPipeError:  # `automl predict ... | head`: the reader has all it wants
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("automl: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # the command line's last resort: a line, not a traceback
        _fail(f"unexpected {type(error).__name__}: {error} (run with --verbose for the "
              f"traceback)", args.verbose)
        return 1


def run_fit(args: argparse.Namespace) -> int:
    _check_output_file(args.output)  # before the search: a fit is never lost to a bad path
    saved = _fit(args, holdout=args.holdout)
    path = save_model(saved, args.output)
    _print_leaderboard(saved.model, args.top)
    _log(args, f"model saved to {path}")
    return _prior_only_status(saved)


def run_predict(args: argparse.Namespace) -> int:
    from automl.workflow import predict_table
    _check_output_file(args.output)
    saved = load_model(args.model)
    submission = predict_table(saved, read_table(args.data), proba=args.proba)
    if args.output is None:
        submission.to_csv(sys.stdout, index=False)
    else:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        submission.to_csv(args.output, index=False)
        _log(args, f"{len(submission)} predictions written to {args.output}")
    return 0


def run_report(args: argparse.Namespace) -> int:
    from automl.report import write_report
    _check_output_file(args.output)
    saved = load_model(args.model)
    path = write_report(saved, args.output, _held_out_from_file(saved, args.data))
    _log(args, f"report written to {path}")
    print(path)
    return 0


def run_baseline(args: argparse.Namespace) -> int:
    from automl.report import write_report
    from automl.workflow import baseline_summary
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise InputError(f"--output {str(out)!r} is a file; give a folder for the model, "
                         f"report and summary.")
    saved = _fit(args, holdout=args.holdout)
    out.mkdir(parents=True, exist_ok=True)
    save_model(saved, out / "model.pkl")
    held_out, started = None, time.monotonic()
    _log(args, "scoring the held-out rows and writing the report (beyond the fit's budget; "
               f"permutation importance keeps to about {diagnostics.IMPORTANCE_SECONDS:g} s "
               f"or less)")
    if saved.holdout is not None:
        held_out = diagnostics.held_out_evaluation(saved.model, *saved.holdout,
                                                   saved.data_summary.get("prior"),
                                                   seed=saved.model.random_state_)
    write_report(saved, out / "report.html", held_out)
    _log(args, f"report written in {time.monotonic() - started:.1f} s")
    summary = baseline_summary(saved, held_out)
    (out / "summary.md").write_text(summary, encoding="utf-8")
    print(summary, end="")
    _log(args, f"model, report and summary written to {out}/ (model.pkl, report.html, "
               f"summary.md)")
    return _prior_only_status(saved)


def _prior_only_status(saved: SavedModel) -> int:
    """3, with a message on stderr, when the saved model only predicts the training prior
    (it is saved all the same, so that nothing is lost); else 0."""
    if not getattr(saved.model, "prior_only_", False):
        return 0
    print("automl: error: the saved model only predicts the training prior: no trial the "
          "search ran learnt anything that beat it (see the warning above and the leaderboard's "
          "status and error columns). Try a larger --time-budget, other --metric or model "
          "families, or check the target column.", file=sys.stderr)
    return 3


def run_knowledge(args: argparse.Namespace) -> int:
    from automl.search.warmstart import knowledge_dir, knowledge_summary
    folder = Path(args.knowledge) if args.knowledge else knowledge_dir()
    if not folder.is_dir():
        raise InputError(f"--knowledge {str(folder)!r}: no such folder; give the --knowledge "
                         f"folder of `python -m automl.metalearning.build`.")
    summary = knowledge_summary(folder)
    if not summary:
        raise InputError(f"--knowledge {str(folder)!r} holds no knowledge base (binary.json, "
                         f"multiclass.json or regression.json); build one with `python -m "
                         f"automl.metalearning.build`.")
    if args.data is None:
        print(f"knowledge base: {folder}")
        for row in summary:
            print(_describe_knowledge(row))
        return 0
    if args.target is None:
        raise InputError("--target COL is needed with DATA: the target column tells the task "
                         "and the meta-features.")
    _print_first_trials(args, folder)
    return 0


def _describe_knowledge(row: dict[str, Any]) -> str:
    """One task's knowledge base in two or three lines."""
    if not row["usable"]:
        return (f"{row['task']}: unreadable (the warm start of this task is cold; run with "
                f"--verbose to see why)")
    budgets = "/".join(f"{value:g}" for value in row["search_budget_seconds"] or [])
    space = "the current search space" if row["current_space"] else \
        (f"search space {str(row['space_version'])[:8]}, older than this library's (stored "
         f"configs that no longer fit are dropped at fit time)")
    return (f"{row['task']}: {row['past_datasets']} past datasets; portfolio of "
            f"{len(row['portfolio'])}: {', '.join(row['portfolio'])}\n"
            f"  learned from {budgets} s searches and a {row['matrix_max_rows']}-row matrix "
            f"({row['build_hours']:g} h of compute) on {row['corpus']}, with automl "
            f"{row['library_version']}, for {space}")


def _print_first_trials(args: argparse.Namespace, folder: Path) -> None:
    from automl.workflow import first_trials_table
    frame = read_table(args.data)
    plan = first_trials_table(frame, args.target, time_budget=args.time_budget,
                              id_column=args.id_column, source=Path(args.data).name,
                              random_state=args.seed, warm_start=str(folder),
                              **({"task": args.task} if args.task else {}))
    print(f"task {plan.task}; a trial may take {plan.trial_seconds:.3g} s, and a warm config "
          f"estimated to take over {plan.warm_trial_seconds:.3g} s is left out "
          f"({plan.left_out} {'was' if plan.left_out == 1 else 'were'})")
    if plan.neighbours.empty:
        print("no past dataset of this task in the knowledge base")
    else:
        print("nearest past datasets (distance in meta-features; the model of their best "
              "config):")
        print(plan.neighbours.to_string(index=False))
    trials = plan.trials.drop(columns="config")
    print(f"first {len(trials)} trials of a fit with --time-budget {args.time_budget:g} "
          f"({plan.n_warm} from the knowledge base), before TPE proposes its own:")
    print(trials.to_string(index=False, na_rep="-", float_format=lambda v: f"{v:.2f}"))
    if plan.preview_rows:
        print(f"(before them, a preview fits the first on {plan.preview_rows} rows: a usable "
              f"model within seconds)")
    if args.configs:
        for row in plan.trials.itertuples():
            print(f"{row.order}: {json.dumps(row.config, sort_keys=True)}")


def _fit(args: argparse.Namespace, holdout: float) -> SavedModel:
    from automl.workflow import fit_table
    warm_start = _warm_start(args.warm_start)
    frame = read_table(args.data)
    split_table(frame, args.target, args.id_column, source=f"data file {args.data!r}")
    options = dict(task=args.task, metric=args.metric, n_jobs=args.n_jobs,
                   max_trials=args.max_trials, log_dir=args.log_dir, warm_start=warm_start)
    return fit_table(frame, args.target, time_budget=args.time_budget, id_column=args.id_column,
                     holdout=holdout, source=Path(args.data).name, random_state=args.seed,
                     progress=not (args.quiet or args.verbose),  # --verbose logs each trial
                     **{k: v for k, v in options.items() if v is not None})


def _warm_start(value: str) -> bool | str:
    """``--warm-start``: on, off, or a knowledge base folder (checked before the data is read
    and searched, so that a mistyped folder costs no fit)."""
    if value in ("on", "off"):
        return value == "on"
    if not Path(value).is_dir():
        raise InputError(f"--warm-start {value!r}: no such folder; give on, off, or the "
                         f"--knowledge folder of `python -m automl.metalearning.build`.")
    return value


def _check_output_file(path: str | None) -> None:
    if path is not None and Path(path).is_dir():
        raise InputError(f"--output {path!r} is a folder; give a file name inside it, such as "
                         f"{str(Path(path) / 'out')!r}.")


def _held_out_from_file(saved: SavedModel, data: str | None) -> Any:
    if data is None:
        return None
    if saved.target is None:
        raise InputError("--data needs a model that knows its target column's name.")
    table = split_table(read_table(data), saved.target, None, source=f"data file {data!r}")
    X = table.X.drop(columns=[saved.id_column], errors="ignore") if saved.id_column else table.X
    return diagnostics.held_out_evaluation(saved.model, X, table.y,
                                           saved.data_summary.get("prior"),
                                           seed=saved.model.random_state_)


def _print_leaderboard(model: Any, top: int) -> None:
    board = model.leaderboard_.head(top)[LEADERBOARD_COLUMNS].copy()
    print(f"task {model.task_}, metric {model.metric_} ({diagnostics.direction(model)}), "
          f"{len(diagnostics.trials_only(model.leaderboard_))} trials in "
          f"{model.fit_seconds_:.1f} s; top {len(board)}:")
    print(board.to_string(index=False, float_format=lambda v: f"{v:.4g}"))


def _log(args: argparse.Namespace, message: str) -> None:
    if not args.quiet:
        print(message, file=sys.stderr)


def _fail(message: str, verbose: bool) -> None:
    if verbose:
        traceback.print_exc(file=sys.stderr)
    print(f"automl: error: {' '.join(message.split())}", file=sys.stderr)


def _configure_output(verbose: bool, quiet: bool) -> None:
    level = logging.INFO if verbose else logging.ERROR if quiet else logging.WARNING
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("automl").setLevel(level)
    if quiet:
        warnings.simplefilter("ignore")
    elif not verbose:  # --verbose keeps Python's form: where each warning came from
        warnings.showwarning = _show_warning


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: Any = None, line: str | None = None) -> None:
    """A warning as one line of its own, ``automl: warning: ...``, above the progress bar
    (tqdm.write clears the bar, writes the line and draws the bar again)."""
    tqdm.write(f"automl: warning: {' '.join(str(message).split())}", file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    volume = common.add_mutually_exclusive_group()
    volume.add_argument("-q", "--quiet", action="store_true",
                        help="errors only: no progress bar, warnings or messages")
    volume.add_argument("-v", "--verbose", action="store_true",
                        help="log every trial, and show tracebacks of errors")
    parser = argparse.ArgumentParser(prog="automl", description="Fit, predict, report and "
                                     "baseline tabular models from data files.")
    parser.add_argument("--version", action="version", version=f"automl {__version__}")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    fit = commands.add_parser("fit", parents=[common], help="fit a model on a data file",
                              description="Search for the best model of --target COL within the time "
                                          f"budget and save it. DATA: {SUPPORTED}.")
    _add_fit_arguments(fit)
    fit.add_argument("--output", "-o", default="model.pkl", help="model file (default model.pkl)")
    fit.add_argument("--holdout", type=float, default=0.0,
                     help="share of rows kept out of the fit and saved for the report "
                          "(default 0: every row trains the model)")
    fit.add_argument("--top", type=int, default=10, help="leaderboard rows printed (default 10)")
    fit.set_defaults(run=run_fit)

    predict = commands.add_parser("predict", parents=[common], help="predict a data file",
                                  description="Write predictions for DATA as CSV: the id column "
                                              "(when the model has one) and the prediction.")
    predict.add_argument("model", help="model file written by `automl fit`")
    predict.add_argument("data", help=f"rows to predict: {SUPPORTED}")
    predict.add_argument("--output", "-o", help="CSV file (default: stdout)")
    predict.add_argument("--proba", action="store_true",
                         help="one column of probabilities per class instead of the label")
    predict.set_defaults(run=run_predict)

    report = commands.add_parser("report", parents=[common], help="write an HTML report",
                                 description="One self-contained HTML page about a fitted model.")
    report.add_argument("model", help="model file written by `automl fit`")
    report.add_argument("--output", "-o", default="report.html",
                        help="HTML file (default report.html)")
    report.add_argument("--data", help="labelled rows the model has not seen, for feature "
                                       "importance and diagnostic plots (default: the rows "
                                       "`fit --holdout` kept back)")
    report.set_defaults(run=run_report)

    baseline = commands.add_parser("baseline", parents=[common],
                                   help="fit, report and summarise a new dataset",
                                   description="Fit on part of DATA, score the rest, write the "
                                               "model, an HTML report and a Markdown summary.")
    _add_fit_arguments(baseline)
    baseline.add_argument("--output", "-o", default="baseline",
                          help="folder for model.pkl, report.html, summary.md (default baseline)")
    baseline.add_argument("--holdout", type=float, default=0.25,
                          help="share of rows held out to score the model (default 0.25)")
    baseline.set_defaults(run=run_baseline)

    knowledge = commands.add_parser(
        "knowledge", parents=[common], help="show the warm start's knowledge base, or where "
                                            "a fit of DATA would start",
        description="Without DATA: what the knowledge base that warm-starts the search was "
                    "learned from. With DATA: the past datasets nearest to it and the trials a "
                    "fit would run first, in order, with their sources and estimated seconds; "
                    "nothing is fitted.")
    knowledge.add_argument("data", nargs="?", help=f"a data file: {SUPPORTED}")
    knowledge.add_argument("--target", "-t", metavar="COL", help="the column to predict "
                                                                  "(needed with DATA)")
    knowledge.add_argument("--task", choices=[*TASKS, "classification"],
                           help="default: inferred from the target")
    knowledge.add_argument("--time-budget", type=float, default=60.0, metavar="S",
                           help="the fit's budget: it sets the trial limit and what a warm "
                                "config may cost (default 60)")
    knowledge.add_argument("--id-column", metavar="COL", help="a row id column: not a feature")
    knowledge.add_argument("--seed", type=int, default=0, metavar="N",
                           help="random seed (default 0)")
    knowledge.add_argument("--knowledge", metavar="FOLDER",
                           help="a knowledge base built by python -m automl.metalearning.build "
                                "(default: the shipped one)")
    knowledge.add_argument("--configs", action="store_true",
                           help="print each first trial's whole config as JSON too")
    knowledge.set_defaults(run=run_knowledge)
    return parser


def _add_fit_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data", help=f"training data: {SUPPORTED}")
    parser.add_argument("--target", "-t", required=True, metavar="COL",
                        help="the column to predict")
    parser.add_argument("--task", choices=[*TASKS, "classification"],
                        help="default: inferred from the target")
    parser.add_argument("--metric", help="auto (default), accuracy, log_loss, roc_auc, rmse, "
                                         "mae, r2, ... or a scikit-learn scorer name")
    parser.add_argument("--time-budget", type=float, default=60.0, metavar="S",
                        help="seconds for the whole fit (default 60)")
    parser.add_argument("--id-column", metavar="COL", help="a row id column: not a feature, copied into "
                                            "predictions")
    parser.add_argument("--n-jobs", type=int, metavar="N", help="parallel trials (-1: one per core)")
    parser.add_argument("--max-trials", type=int, metavar="N",
                        help="stop after N trials (with the default --n-jobs and a fixed seed, "
                             "the same data gives the same trials)")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default 0)")
    parser.add_argument("--warm-start", default="on", metavar="on|off|FOLDER",
                        help="start from configs learned on past datasets: the shipped "
                             "knowledge base (on, the default), none (off), or one built by "
                             "python -m automl.metalearning.build")
    parser.add_argument("--log-dir", help="folder for the trial log (default: a new temporary "
                                          "folder)")


if __name__ == "__main__":
    sys.exit(main())
