"""Command line: ``python -m experiments`` (also installed as ``brain-vs-ann``).

    python -m experiments list
    python -m experiments run NAME [NAME ...] | all [--quick] [--seed N] [--out DIR]
    python -m experiments plot NAME --from RUN_DIR
    python -m experiments sweep NAME [--quick] --seeds 0-9 [--set KEY=V1,V2 ...]
                                [--workers N | --scheduler ADDRESS] --out DIR
    python -m experiments aggregate DIR [--by COL,COL] [--confidence 0.95]

Mistakes (a wrong experiment name, a bad flag value, an existing output
directory, a damaged sweep directory) give one line on stderr and exit status
2, never a traceback. A sweep whose runs partly failed exits with status 1
after the other runs finished (the tracebacks are in DIR/manifest.json).
"""

from __future__ import annotations

import argparse
import re
import sys
import time

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


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="brain-vs-ann", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    commands.add_parser("list", help="name and description of every experiment")

    run = commands.add_parser("run", help="run experiments and save results and figures")
    run.add_argument("names", nargs="+", metavar="NAME", help="experiment names, or 'all'")
    run.add_argument("--quick", action="store_true", help="the quick preset (smoke-test size)")
    run.add_argument("--seed", type=_seed, default=0, help="master seed (default 0)")
    run.add_argument("--out", default="results", help="output directory (default results/)")
    run.add_argument(
        "--run-id", default=None, help="run directory name (default quick-seedN or full-seedN)"
    )

    plot = commands.add_parser("plot", help="redraw an experiment's figures from a saved run")
    plot.add_argument("name", metavar="NAME")
    plot.add_argument("--from", dest="run_dir", required=True, metavar="RUN_DIR")

    sweep = commands.add_parser(
        "sweep",
        help="every (setting, seed) of an experiment as independent runs on Dask; restartable",
    )
    sweep.add_argument("name", metavar="NAME")
    sweep.add_argument("--quick", action="store_true", help="start from the quick preset")
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


def _sweep(args) -> int:
    from experiments.sweep import parse_grid, plan_sweep, run_sweep

    if args.name not in EXPERIMENTS:
        raise UsageError(f"unknown experiment {args.name!r}; known: {', '.join(EXPERIMENTS)}")
    experiment = EXPERIMENTS[args.name]
    # Everything is validated before the sweep directory is touched.
    plan = plan_sweep(
        experiment,
        quick=args.quick,
        seeds=args.seeds,
        grid=parse_grid(args.assignments, experiment, quick=args.quick),
    )
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


def _resolve_names(names: list[str]) -> list[str]:
    if names == ["all"]:
        return list(EXPERIMENTS)
    unknown = [n for n in names if n not in EXPERIMENTS]
    if unknown:
        raise UsageError(
            f"unknown experiment {unknown[0]!r}; known: {', '.join(EXPERIMENTS)} (or 'all')"
        )
    return list(dict.fromkeys(names))


def main(argv: list[str] | None = None) -> int:
    import experiments  # noqa: F401  (fills the registry)
    from experiments.runner import RunExistsError, replot, run_experiment
    from experiments.sweep import SweepSetupError

    try:
        args = build_parser().parse_args(argv)
        if args.command == "list":
            width = max(map(len, EXPERIMENTS))
            for name, experiment in EXPERIMENTS.items():
                print(f"{name:<{width}}  {experiment.description}")
            return 0
        if args.command == "plot":
            if args.name not in EXPERIMENTS:
                raise UsageError(
                    f"unknown experiment {args.name!r}; known: {', '.join(EXPERIMENTS)}"
                )
            for path in replot(args.name, args.run_dir):
                print(path)
            return 0
        if args.command == "sweep":
            return _sweep(args)
        if args.command == "aggregate":
            return _aggregate(args)
        names = _resolve_names(args.names)
        # Check every destination before any work, so a clash cannot surface
        # after an hour of computing the experiments before it.
        from pathlib import Path

        from experiments.runner import default_run_id

        for name in names:
            target = Path(args.out) / name / (args.run_id or default_run_id(args.quick, args.seed))
            if target.exists():
                raise RunExistsError(
                    f"run directory {target} exists already; choose another "
                    "--out or --run-id, or remove it"
                )
        total = time.perf_counter()
        for name in names:
            start = time.perf_counter()
            print(
                f"{name}: running ({'quick' if args.quick else 'full'} preset, seed {args.seed})",
                flush=True,
            )
            path = run_experiment(
                name, quick=args.quick, seed=args.seed, out=args.out, run_id=args.run_id
            )
            print(f"{name}: done in {time.perf_counter() - start:.0f} s -> {path}", flush=True)
        if len(names) > 1:
            print(f"all {len(names)} experiments done in {time.perf_counter() - total:.0f} s")
        return 0
    except (UsageError, RunExistsError, FileNotFoundError, ValueError, SweepSetupError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
