"""Command line: ``python -m experiments`` (also installed as ``brain-vs-ann``).

    python -m experiments list
    python -m experiments run NAME [NAME ...] | all  --quick | --full  [--seed N] [--out DIR]
                              [--set KEY=VALUE ...]
    python -m experiments plot NAME --from RUN_DIR
    python -m experiments sweep NAME --quick | --full --seeds 0-9 [--set KEY=V1,V2 ...]
                                [--workers N | --scheduler ADDRESS] --out DIR
    python -m experiments aggregate DIR [--by COL,COL] [--confidence 0.95]
    python -m experiments report DIR [--output FILE]

Every command takes ``--plugin MODULE_OR_FILE`` (repeatable) and loads the
installed plugins (:mod:`experiments.plugins`) first.

A run names its preset: ``--quick`` (minutes) or ``--full`` (the study, up to
hours; ``list`` shows each experiment's times); without one it stops with a
one-line error, so the full study never starts by accident.

Mistakes (a wrong experiment name, a bad flag value, an unwritable or
existing output directory, a plugin that fails to import, an unregistered
name in the settings, a damaged sweep directory) give one line on stderr and
exit status 2 before any work, never a traceback. A sweep whose runs partly
failed exits with status 1 after the other runs finished (the tracebacks are
in DIR/manifest.json).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

from experiments._base import EXPERIMENTS


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage dump
        raise UsageError(f"{self.prog}: {message}")


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--seed must be a non-negative integer, got {text!r}"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"--seed must be a non-negative integer, got {text!r}")
    return value


def _add_preset(parser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--quick",
        dest="preset",
        action="store_const",
        const="quick",
        help="the quick preset: small samples, one seed, minutes (see `list`)",
    )
    group.add_argument(
        "--full",
        dest="preset",
        action="store_const",
        const="full",
        help="the full preset: the study, up to hours (see `list`)",
    )
    group.add_argument("--preset", choices=("quick", "full"), help="the same as --quick or --full")


def _add_plugin(parser) -> None:
    parser.add_argument(
        "--plugin",
        dest="plugins",
        action="append",
        default=[],
        metavar="MODULE",
        help="load a module registering rules, protocols, tasks or experiments: "
        "a .py file or an importable module name (repeatable)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="brain-vs-ann", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    listing = commands.add_parser(
        "list", help="every experiment with the expected time of its presets"
    )
    _add_plugin(listing)

    run = commands.add_parser("run", help="run experiments and save results and figures")
    run.add_argument("names", nargs="+", metavar="NAME", help="experiment names, or 'all'")
    _add_preset(run)
    run.add_argument("--seed", type=_seed, default=0, help="master seed (default 0)")
    run.add_argument("--out", default="results", help="output directory (default results/)")
    run.add_argument(
        "--run-id",
        default=None,
        help="run directory name (default quick-seedN or full-seedN, plus the --set values)",
    )
    run.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="change one setting of the preset (repeatable; dotted keys reach into dict "
        "settings, e.g. params.ann.epochs=5); one experiment at a time",
    )
    _add_plugin(run)

    plot = commands.add_parser("plot", help="redraw an experiment's figures from a saved run")
    plot.add_argument("name", metavar="NAME")
    plot.add_argument("--from", dest="run_dir", required=True, metavar="RUN_DIR")
    _add_plugin(plot)

    sweep = commands.add_parser(
        "sweep",
        help="every (setting, seed) of an experiment as independent runs on Dask; restartable",
    )
    sweep.add_argument("name", metavar="NAME")
    _add_preset(sweep)
    sweep.add_argument(
        "--seeds", required=True, help="the runs' master seeds: 0-9, 3, 0,2,5 or 0-4,10-14"
    )
    sweep.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="KEY=V1,V2",
        help="sweep a setting over values (repeatable; the "
        "grid is their product); dotted keys reach into dict settings",
    )
    engine = sweep.add_mutually_exclusive_group()
    engine.add_argument(
        "--workers",
        type=_count,
        default=None,
        help="local Dask worker processes (default: the cores available); "
        "0 runs in this process without Dask",
    )
    engine.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786",
    )
    sweep.add_argument("--out", required=True, metavar="DIR", help="the sweep directory")
    _add_plugin(sweep)

    aggregate = commands.add_parser(
        "aggregate",
        help="mean and confidence interval per setting across a sweep's seeds, and figures",
    )
    aggregate.add_argument("directory", metavar="DIR")
    aggregate.add_argument(
        "--by",
        default=None,
        metavar="COL,COL",
        help="metrics columns identifying an observation within a run (default: inferred)",
    )
    aggregate.add_argument(
        "--confidence",
        type=_fraction,
        default=0.95,
        help="confidence level of the t intervals (default 0.95)",
    )
    _add_plugin(aggregate)

    report = commands.add_parser(
        "report", help="one self-contained HTML page of every run and sweep under a folder"
    )
    report.add_argument("directory", metavar="DIR", help="a results folder, e.g. results/")
    report.add_argument(
        "--output", default=None, metavar="FILE", help="the page (default DIR/report.html)"
    )
    _add_plugin(report)

    columns = commands.add_parser(
        "columns", help="print the data dictionary of every metrics.csv (docs/metrics.md)"
    )
    _add_plugin(columns)
    return parser


def _count(text: str) -> int:
    if not re.fullmatch(r"[0-9]+", text):
        raise argparse.ArgumentTypeError(f"--workers must be a non-negative integer, got {text!r}")
    return int(text)


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"--confidence must be a number in (0, 1), got {text!r}")
    return value


def _unknown(name: str, extra: str = "") -> UsageError:
    return UsageError(
        f"unknown experiment {name!r}; known: {', '.join(EXPERIMENTS)}{extra} "
        "(a plugin's experiments need --plugin or an installed plugin package)"
    )


def _preset(args, name: str) -> str:
    if args.preset is None:
        from experiments.expected_time import describe

        hint = ""
        if name in EXPERIMENTS:
            experiment = EXPERIMENTS[name]
            hint = (
                f" ({name}: quick {describe(experiment, 'quick')}, "
                f"full {describe(experiment, 'full')})"
            )
        raise UsageError(
            f"choose a preset: --quick (minutes) or --full (the study, up to hours){hint}"
        )
    return args.preset


def _sweep(args) -> int:
    from experiments.names import check_names
    from experiments.sweep import parse_grid, plan_sweep, run_sweep

    if args.name not in EXPERIMENTS:
        raise _unknown(args.name)
    experiment = EXPERIMENTS[args.name]
    quick = _preset(args, args.name) == "quick"
    # Everything is validated before the sweep directory is touched.
    plan = plan_sweep(
        experiment,
        quick=quick,
        seeds=args.seeds,
        grid=parse_grid(args.assignments, experiment, quick=quick),
    )
    for setting in {id(run.settings): run.settings for run in plan.runs}.values():
        check_names(setting)
    try:
        report = run_sweep(
            plan,
            args.out,
            workers=args.workers,
            scheduler=args.scheduler,
            log=lambda line: print(line, flush=True),
        )
    except OSError as error:
        # The sweep directory cannot be written (errors inside runs are recorded instead).
        raise UsageError(f"sweep directory {args.out}: {error}") from None
    print(
        f"{args.name}: {report.computed} computed, {report.finished_before} finished before, "
        f"{len(report.failed)} failed in {report.seconds:.0f} s -> {report.directory}",
        flush=True,
    )
    if report.failed:
        print(
            f"error: {len(report.failed)} of {report.planned} runs failed; their tracebacks are "
            f"in {report.directory / 'manifest.json'}; run the same command again to retry them",
            file=sys.stderr,
        )
        return 1
    return 0


def _aggregate(args) -> int:
    from experiments.aggregate import aggregate

    by = None if args.by is None else [c.strip() for c in args.by.split(",") if c.strip()]
    if by is not None and not by:
        raise UsageError(f"--by must name at least one column, got {args.by!r}")
    try:
        result = aggregate(args.directory, by=by, confidence=args.confidence)
    except OSError as error:
        raise UsageError(f"sweep directory {args.directory}: {error}") from None
    unfinished = f" ({result.n_unfinished} not finished)" if result.n_unfinished else ""
    print(
        f"{result.n_runs} runs{unfinished}: keys {result.setting_columns + result.keys}, "
        f"metrics {result.metrics}"
    )
    print(result.directory / "summary.csv")
    for path in result.figures:
        print(path)
    return 0


def _report(args) -> int:
    from experiments.report import write_report

    output = Path(args.output) if args.output else Path(args.directory) / "report.html"
    if output.is_dir():
        raise UsageError(f"--output {args.output} is a directory; name the page's file")
    try:
        path = write_report(args.directory, output)
    except OSError as error:
        raise UsageError(f"cannot write the report {output}: {error}") from None
    print(path)
    return 0


def _resolve_names(names: list[str]) -> list[str]:
    if names == ["all"]:
        return list(EXPERIMENTS)
    unknown = [n for n in names if n not in EXPERIMENTS]
    if unknown:
        raise _unknown(unknown[0], " (or 'all')")
    return list(dict.fromkeys(names))


def check_out_directory(out: str, names: list[str]) -> Path:
    """Create ``out`` if needed and prove it writable, or UsageError (before any work)."""
    root = Path(out)
    if root.exists() and not root.is_dir():
        raise UsageError(f"--out {out} is a file, not a directory")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(
            f"--out {out}: cannot create the directory ({error.strerror or error})"
        ) from None
    for name in names:
        if (root / name).exists() and not (root / name).is_dir():
            raise UsageError(f"--out {out}: {root / name} is a file, not a directory")
    probe = root / f".write-test-{uuid.uuid4().hex}"
    try:
        probe.mkdir()
        with tempfile.TemporaryFile(dir=probe):
            pass
        probe.rmdir()
    except OSError as error:
        raise UsageError(f"--out {out} is not writable ({error.strerror or error})") from None
    return root


def _run_settings(experiment, preset: str, assignments: list[str]):
    """The preset with the ``--set KEY=VALUE`` changes applied: ``(settings, changes)``."""
    from experiments.settings_text import apply_assignments, check_no_overlap, parse_assignment

    base = experiment.preset(preset == "quick")
    changes = {}
    for text in assignments:
        key, values = parse_assignment(text, experiment, quick=preset == "quick")
        if len(values) != 1:
            raise UsageError(
                f"--set {text}: a run takes one value per key (sweep several with "
                f"`python -m experiments sweep {experiment.name} --set {text}`)"
            )
        if key in changes:
            raise UsageError(f"--set {key} is given twice")
        changes[key] = values[0]
    try:
        check_no_overlap(changes)
    except ValueError as error:
        raise UsageError(str(error)) from None
    if not changes:
        return base, changes
    try:
        return apply_assignments(base, changes), changes
    except (TypeError, ValueError) as error:  # the Settings class's own validation
        raise UsageError(f"--set {changes}: {error}") from None


def _run(args) -> int:
    from core.progress import verbosity
    from experiments.expected_time import describe
    from experiments.names import check_names
    from experiments.runner import RunExistsError, default_run_id, run_into
    from experiments.sweep_plan import run_id_for

    names = _resolve_names(args.names)
    preset = _preset(args, names[0] if len(names) == 1 else "")
    if args.assignments and len(names) > 1:
        raise UsageError("--set changes the settings of one experiment; name just one")
    plans = []
    for name in names:
        experiment = EXPERIMENTS[name]
        settings, changes = _run_settings(experiment, preset, args.assignments)
        check_names(settings)
        run_id = args.run_id or default_run_id(preset == "quick", args.seed)
        if changes and not args.run_id:
            run_id = f"{preset}-{run_id_for(changes, settings, args.seed)}"
        plans.append((experiment, settings, changes, run_id))
    root = check_out_directory(args.out, names)
    # Check every destination before any work, so a clash cannot surface
    # after an hour of computing the experiments before it.
    for experiment, _, _, run_id in plans:
        target = root / experiment.name / run_id
        if target.exists():
            raise RunExistsError(
                f"run directory {target} exists already; choose another "
                "--out or --run-id, or remove it"
            )
    total = time.perf_counter()
    for experiment, settings, changes, run_id in plans:
        start = time.perf_counter()
        expected = describe(experiment, preset)
        if changes:
            expected = f"unknown with --set (the {preset} preset alone: {expected})"
        print(
            f"{experiment.name}: running ({preset} preset, seed {args.seed}"
            f"{', ' + ', '.join(f'{k}={v!r}' for k, v in changes.items()) if changes else ''}); "
            f"expected time {expected}",
            flush=True,
        )
        try:
            # Progress within the run: seeds and settings, rounds, presentations.
            with verbosity(1):
                path = run_into(
                    experiment,
                    settings,
                    args.seed,
                    root / experiment.name / run_id,
                    preset=preset,
                    config_extra={"overrides": changes} if changes else None,
                )
        except OSError as error:
            where = os.path.abspath(getattr(error, "filename", None) or "")
            if not where.startswith(os.path.abspath(root)):
                raise  # not a problem of the output directory: a real failure
            raise UsageError(f"cannot write the results under --out {args.out}: {error}") from None
        print(
            f"{experiment.name}: done in {time.perf_counter() - start:.0f} s -> {path}",
            flush=True,
        )
    if len(plans) > 1:
        print(f"all {len(plans)} experiments done in {time.perf_counter() - total:.0f} s")
    return 0


def _list() -> int:
    from experiments.expected_time import MEASURED_ON, describe

    width = max(map(len, EXPERIMENTS))
    rows = [
        (name, describe(e, "quick"), describe(e, "full"), e.description)
        for name, e in EXPERIMENTS.items()
    ]
    quick_width = max(len("quick preset"), *(len(r[1]) for r in rows))
    full_width = max(len("full preset"), *(len(r[2]) for r in rows))
    print(
        f"{'experiment':<{width}}  {'quick preset':<{quick_width}}  {'full preset':<{full_width}}"
    )
    for name, quick, full, description in rows:
        print(f"{name:<{width}}  {quick:<{quick_width}}  {full:<{full_width}}  {description}")
    print(f"\ntimes: {MEASURED_ON}")
    return 0


def main(argv: list[str] | None = None) -> int:
    import experiments  # noqa: F401  (fills the registry)
    from experiments.plugins import PluginError, load_plugins
    from experiments.runner import RunExistsError, replot
    from experiments.sweep import SweepSetupError

    try:
        args = build_parser().parse_args(argv)
        load_plugins(args.plugins)
        if args.command == "list":
            return _list()
        if args.command == "plot":
            if args.name not in EXPERIMENTS:
                raise _unknown(args.name)
            for path in replot(args.name, args.run_dir):
                print(path)
            return 0
        if args.command == "sweep":
            return _sweep(args)
        if args.command == "aggregate":
            return _aggregate(args)
        if args.command == "report":
            return _report(args)
        if args.command == "columns":
            from experiments.columns import data_dictionary

            print(data_dictionary(), end="")
            return 0
        return _run(args)
    except (
        UsageError,
        RunExistsError,
        FileNotFoundError,
        ValueError,
        SweepSetupError,
        PluginError,
    ) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
