"""Command line: ``python -m experiments`` (also installed as ``brain-vs-ann``).

    python -m experiments list
    python -m experiments run NAME [NAME ...] | all [--quick] [--seed N] [--out DIR]
    python -m experiments plot NAME --from RUN_DIR

Mistakes (a wrong experiment name, a bad flag value, an existing output
directory) give one line on stderr and exit status 2, never a traceback.
"""
from __future__ import annotations

import argparse
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
        raise argparse.ArgumentTypeError(f"--seed must be a non-negative integer, got {text!r}")
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
    run.add_argument("--run-id", default=None,
                     help="run directory name (default quick-seedN or full-seedN)")

    plot = commands.add_parser("plot", help="redraw an experiment's figures from a saved run")
    plot.add_argument("name", metavar="NAME")
    plot.add_argument("--from", dest="run_dir", required=True, metavar="RUN_DIR")
    return parser


def _resolve_names(names: list[str]) -> list[str]:
    if names == ["all"]:
        return list(EXPERIMENTS)
    unknown = [n for n in names if n not in EXPERIMENTS]
    if unknown:
        raise UsageError(f"unknown experiment {unknown[0]!r}; known: {', '.join(EXPERIMENTS)} (or 'all')")
    return list(dict.fromkeys(names))


def main(argv: list[str] | None = None) -> int:
    import experiments  # noqa: F401  (fills the registry)
    from experiments.runner import RunExistsError, replot, run_experiment

    try:
        args = build_parser().parse_args(argv)
        if args.command == "list":
            width = max(map(len, EXPERIMENTS))
            for name, experiment in EXPERIMENTS.items():
                print(f"{name:<{width}}  {experiment.description}")
            return 0
        if args.command == "plot":
            if args.name not in EXPERIMENTS:
                raise UsageError(f"unknown experiment {args.name!r}; known: {', '.join(EXPERIMENTS)}")
            for path in replot(args.name, args.run_dir):
                print(path)
            return 0
        names = _resolve_names(args.names)
        # Check every destination before any work, so a clash cannot surface
        # after an hour of computing the experiments before it.
        from experiments.runner import default_run_id
        from pathlib import Path
        for name in names:
            target = Path(args.out) / name / (args.run_id or default_run_id(args.quick, args.seed))
            if target.exists():
                raise RunExistsError(f"run directory {target} exists already; choose another "
                                     "--out or --run-id, or remove it")
        total = time.perf_counter()
        for name in names:
            start = time.perf_counter()
            print(f"{name}: running ({'quick' if args.quick else 'full'} preset, seed {args.seed})",
                  flush=True)
            path = run_experiment(name, quick=args.quick, seed=args.seed, out=args.out,
                                  run_id=args.run_id)
            print(f"{name}: done in {time.perf_counter() - start:.0f} s -> {path}", flush=True)
        if len(names) > 1:
            print(f"all {len(names)} experiments done in {time.perf_counter() - total:.0f} s")
        return 0
    except (UsageError, RunExistsError, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
