"""The compiled (standalone) spiking backend against Brian2's runtime mode, side by side.

``digits``: ``STDPClassifier()`` at its defaults (400 neurons, 2 epochs, 350 ms
+ 150 ms per image) fitted on the 1347 digits training images with
``backend="standalone"`` and ``backend="runtime"`` for each seed, then
``predict`` on the 450 test images by each fitted model; test accuracy of
both (nothing is tuned here: the test split is read once per model), fit
and predict times and their ratios. Builds and Brian2's Cython cache are
warmed up first (not measured); the first build's time is reported
separately.

``frozen``: the frozen form of the network (plain transmitting synapses for
runs with plasticity off everywhere: ``predict`` and the readout pass of a
fit; ``snn.network.FROZEN_FORM_FOR_FROZEN_RUNS``) against the full rule
those runs used before, side by side: ``STDPClassifier()`` fitted on the
compiled backend with each (the same model: identical predictions are
checked), then ``predict`` on the 450 test images by that model on each
backend with each form. "rule" is the code path before the frozen form
("runtime, rule" is ``predict`` as it was before the compiled backend),
"plain" the frozen form. Each ``predict`` is timed ``--repeats`` times
(in turn) and the median is reported.

``traces``: as ``digits``, the rule's traces on the synapses against the
same traces on the neurons (``traces="neuron"``), both compiled.

``mnist``: 784 inputs (``digits28``: the digits upsampled to MNIST's 28x28)
x 400 neurons, ``partial_fit`` over at least 2,000 presentations of 350 ms +
150 ms on the compiled backend, timed, and the projected time of one MNIST
epoch (60,000 presentations). ``--traces neuron --evaluation-inhibition
none`` is Diehl & Cook's procedure on the fast form: one inhibition, the
readout from the learning run's responses; ``--readout-pass N`` also times a
frozen pass over N images (what ``fit`` adds once, after its epochs).

Usage::

    python bench/snn_standalone.py digits --seeds 0 1 2 3 4
    python bench/snn_standalone.py frozen --seeds 0 --repeats 3
    python bench/snn_standalone.py traces --seeds 0 1 2 3 4
    python bench/snn_standalone.py mnist --presentations 2000
    python bench/snn_standalone.py mnist --presentations 2000 --traces neuron \\
        --evaluation-inhibition none --readout-pass 500

Times are wall seconds and CPU seconds (this process and its children: the
compiled program runs as a child process). The figures and the commands go to
bench/RESULTS.md ("Compiled spiking backend").
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np
from scipy import stats

from snn import STDPClassifier, _standalone
from snn import network as network_module
from tasks import load_task


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Timer:
    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), cpu_seconds()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.cpu = cpu_seconds() - self.cpu


def interval(values):
    """Mean and 95% t-interval half-width."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return values.mean(), float("nan")
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return values.mean(), half


#: What ``digits`` and ``traces`` compare: two variants of ``STDPClassifier()``,
#: the first the faster one; ratios are second / first.
COMPARISONS = {
    "digits": {
        "standalone": dict(backend="standalone"),
        "runtime": dict(backend="runtime"),
    },
    "traces": {
        "neuron": dict(backend="standalone", traces="neuron"),
        "synapse": dict(backend="standalone", traces="synapse"),
    },
}


def digits(seeds, variants):
    """Fit and predict ``STDPClassifier()`` defaults with each of two variants, per seed."""
    task = load_task("digits", seed=0)
    X, y, X_test, y_test = task.X_train, task.y_train, task.X_test, task.y_test
    fast, slow = variants
    print(f"digits: {len(X)} training / {len(X_test)} test images; STDPClassifier() defaults")
    print(f"variants: {variants}")
    print(f"cache: {_standalone.cache_root()}; load average {os.getloadavg()[0]:.1f} on 2 cores")
    # Warm-ups (not measured): a small fit builds the compiled programs a fit
    # uses (1 agent for learning, 16 copies for frozen passes) and fills
    # Brian2's Cython cache for the runtime path.
    for label, kwargs in variants.items():
        with Timer() as warm:
            STDPClassifier(epochs=1, random_state=0, **kwargs).fit(X[:32], y[:32])
        print(f"warm-up {label}: {warm.wall:.1f} s wall, {warm.cpu:.1f} s CPU", flush=True)
    builds = [
        path for path in _standalone.cache_root().iterdir() if (path / "manifest.json").exists()
    ]
    import json

    for path in builds:
        manifest = json.loads((path / "manifest.json").read_text())
        print(f"build {path.name}: {manifest['build_seconds']:.1f} s (first build, wall)")

    rows = []
    for seed in seeds:
        row = {"seed": seed}
        for label, kwargs in variants.items():
            clf = STDPClassifier(random_state=seed, **kwargs)
            with Timer() as fit:
                clf.fit(X, y)
            with Timer() as predict:
                predicted = clf.predict(X_test)
            row[label] = dict(
                accuracy=float(np.mean(predicted == y_test)),
                fit_wall=fit.wall,
                fit_cpu=fit.cpu,
                predict_wall=predict.wall,
                predict_cpu=predict.cpu,
            )
            print(
                f"seed {seed} {label:10s}: accuracy {row[label]['accuracy']:.4f}, fit "
                f"{fit.wall:7.1f} s wall {fit.cpu:7.1f} s CPU, predict {predict.wall:6.2f} s "
                f"wall {predict.cpu:6.2f} s CPU, load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        rows.append(row)

    print(
        f"\n| seed | accuracy {fast} | accuracy {slow} | fit s {fast} (CPU) | "
        f"fit s {slow} (CPU) | fit ratio wall (CPU) | predict s {fast} (CPU) | "
        f"predict s {slow} (CPU) | predict ratio wall (CPU) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        s, r = row[fast], row[slow]
        print(
            f"| {row['seed']} | {s['accuracy']:.4f} | {r['accuracy']:.4f} | "
            f"{s['fit_wall']:.1f} ({s['fit_cpu']:.1f}) | {r['fit_wall']:.1f} ({r['fit_cpu']:.1f}) | "
            f"{r['fit_wall'] / s['fit_wall']:.1f}x ({r['fit_cpu'] / s['fit_cpu']:.1f}x) | "
            f"{s['predict_wall']:.2f} ({s['predict_cpu']:.2f}) | "
            f"{r['predict_wall']:.2f} ({r['predict_cpu']:.2f}) | "
            f"{r['predict_wall'] / s['predict_wall']:.1f}x "
            f"({r['predict_cpu'] / s['predict_cpu']:.1f}x) |"
        )
    for label in variants:
        mean, half = interval([row[label]["accuracy"] for row in rows])
        print(f"{label}: mean test accuracy {mean:.4f} +- {half:.4f} (95% t-interval)")
    difference = [row[fast]["accuracy"] - row[slow]["accuracy"] for row in rows]
    mean, half = interval(difference)
    print(f"paired difference {fast} - {slow}: {mean:+.4f} +- {half:.4f} (95%)")
    for phase in ("fit", "predict"):
        ratios = [row[slow][f"{phase}_wall"] / row[fast][f"{phase}_wall"] for row in rows]
        cpu = [row[slow][f"{phase}_cpu"] / row[fast][f"{phase}_cpu"] for row in rows]
        print(
            f"{phase} speed-up ({slow} / {fast}): median {np.median(ratios):.1f}x wall, "
            f"{np.median(cpu):.1f}x CPU"
        )


def frozen_form(seeds, repeats=1):
    """Fit and predict with the frozen form ("plain") against the full rule ("rule").

    Each ``predict`` is timed ``repeats`` times in turn (runtime rule, runtime
    plain, standalone rule, standalone plain, then again), and the median
    of its times is reported: one run of the compiled program lasts a few
    seconds, so the other jobs on a shared machine move single figures by
    tens of percent.
    """
    task = load_task("digits", seed=0)
    X, y, X_test, y_test = task.X_train, task.y_train, task.X_test, task.y_test
    print(f"digits: {len(X)} training / {len(X_test)} test images; STDPClassifier() defaults")
    print(f"cache: {_standalone.cache_root()}; load average {os.getloadavg()[0]:.1f} on 2 cores")
    forms = {"rule": False, "plain": True}
    # Warm-ups (not measured): build both forms' programs, fill the Cython cache.
    for backend in ("standalone", "runtime"):
        for form, switch in forms.items():
            network_module.FROZEN_FORM_FOR_FROZEN_RUNS = switch
            with Timer() as warm:
                clf = STDPClassifier(backend=backend, epochs=1, random_state=0).fit(X[:32], y[:32])
                clf.predict(X_test[:32])
            print(f"warm-up {backend}, {form}: {warm.wall:.1f} s wall, {warm.cpu:.1f} s CPU")
    rows = []
    for seed in seeds:
        models, row = {}, {"seed": seed}
        for form, switch in forms.items():
            network_module.FROZEN_FORM_FOR_FROZEN_RUNS = switch
            models[form] = STDPClassifier(backend="standalone", random_state=seed)
            with Timer() as fit:
                models[form].fit(X, y)
            row[f"fit standalone, {form}"] = (fit.wall, fit.cpu)
            print(
                f"seed {seed} fit standalone, {form}: {fit.wall:.1f} s wall, {fit.cpu:.1f} s "
                f"CPU, load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        same_model = np.array_equal(models["rule"].agents_.weights, models["plain"].agents_.weights)
        predictions, times = {}, {}
        for repeat in range(repeats):
            for backend in ("runtime", "standalone"):
                for form, switch in forms.items():
                    network_module.FROZEN_FORM_FOR_FROZEN_RUNS = switch
                    # (the fitted network's backend: set_params would only reach the next fit)
                    models["plain"].agents_.network.backend = backend
                    with Timer() as predict:
                        predicted = models["plain"].predict(X_test)
                    if repeat and not np.array_equal(predicted, predictions[backend, form]):
                        raise AssertionError(f"predict {backend}, {form} changed between repeats")
                    predictions[backend, form] = predicted
                    times.setdefault((backend, form), []).append((predict.wall, predict.cpu))
                    print(
                        f"seed {seed} predict {backend}, {form} (repeat {repeat + 1}): "
                        f"{predict.wall:.2f} s wall, {predict.cpu:.2f} s CPU, accuracy "
                        f"{np.mean(predicted == y_test):.4f}, load {os.getloadavg()[0]:.1f}",
                        flush=True,
                    )
        for (backend, form), values in times.items():
            row[f"predict {backend}, {form}"] = tuple(np.median(values, axis=0))
        reference = predictions["runtime", "rule"]
        row["identical"] = same_model and all(
            np.array_equal(p, reference) for p in predictions.values()
        )
        row["accuracy"] = float(np.mean(reference == y_test))
        rows.append(row)
    network_module.FROZEN_FORM_FOR_FROZEN_RUNS = True

    print(f"\npredict: median of {repeats} repeat(s)")
    print("| seed | what | s wall (CPU) |")
    print("| --- | --- | ---: |")
    for row in rows:
        for key, value in row.items():
            if isinstance(value, tuple):
                print(f"| {row['seed']} | {key} | {value[0]:.2f} ({value[1]:.2f}) |")
    ratios = [
        ("fit standalone, rule", "fit standalone, plain"),
        ("predict runtime, rule", "predict runtime, plain"),
        ("predict standalone, rule", "predict standalone, plain"),
        ("predict runtime, rule", "predict standalone, plain"),
    ]
    for before, after in ratios:
        wall = [row[before][0] / row[after][0] for row in rows]
        cpu = [row[before][1] / row[after][1] for row in rows]
        print(f"{before} / {after}: median {np.median(wall):.2f}x wall, {np.median(cpu):.2f}x CPU")
    for row in rows:
        print(
            f"seed {row['seed']}: test accuracy {row['accuracy']:.4f}; same model and identical "
            f"predictions on both backends with both forms: {row['identical']}"
        )


def mnist(presentations, neurons, chunk, traces, evaluation_inhibition, readout_pass):
    task = load_task("digits28", seed=0)
    X, y = task.X_train, task.y_train
    clf = STDPClassifier(
        n_neurons=neurons,
        backend="standalone",
        random_state=0,
        traces=traces,
        evaluation_inhibition=evaluation_inhibition,
    )
    print(
        f"digits28 (784 inputs) x {neurons} neurons, 350 ms + 150 ms, partial_fit in chunks "
        f"of {chunk}, traces={traces!r}, evaluation_inhibition={evaluation_inhibition}: "
        + (
            "each chunk a learning run, the readout from its responses"
            if evaluation_inhibition is None
            else "each chunk a learning run, then a frozen readout pass"
        )
        + f"; load average {os.getloadavg()[0]:.1f} on 2 cores"
    )
    with Timer() as warm:
        clf.partial_fit(X[:16], y[:16], classes=np.arange(10))
    print(f"warm-up (includes any build): {warm.wall:.1f} s wall, {warm.cpu:.1f} s CPU", flush=True)
    done, wall, cpu = 0, 0.0, 0.0
    rng = np.random.default_rng(0)
    while done < presentations:
        take = rng.choice(len(X), size=chunk, replace=False)
        with Timer() as step:
            clf.partial_fit(X[take], y[take])
        done += chunk
        wall += step.wall
        cpu += step.cpu
        print(
            f"  {done} presentations: {step.wall:.1f} s wall, {step.cpu:.1f} s CPU for "
            f"{chunk}; load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    print(
        f"\n{done} presentations in {wall:.1f} s wall ({1e3 * wall / done:.1f} ms each), "
        f"{cpu:.1f} s CPU ({1e3 * cpu / done:.1f} ms each)"
    )
    print(
        f"projected MNIST epoch (60,000 presentations): {60000 * wall / done / 60:.1f} min "
        f"wall, {60000 * cpu / done / 60:.1f} min CPU"
    )
    if readout_pass:
        take = rng.choice(len(X), size=readout_pass, replace=False)
        with Timer() as frozen:
            clf.refit_readout(X[take], y[take])
        print(
            f"readout pass (refit_readout, frozen, {readout_pass} presentations): "
            f"{frozen.wall:.1f} s wall ({1e3 * frozen.wall / readout_pass:.1f} ms each), "
            f"{frozen.cpu:.1f} s CPU ({1e3 * frozen.cpu / readout_pass:.1f} ms each)"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in COMPARISONS:
        commands.add_parser(name).add_argument(
            "--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4]
        )
    frozen_parser = commands.add_parser("frozen")
    frozen_parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    frozen_parser.add_argument("--repeats", type=int, default=3)
    mnist_parser = commands.add_parser("mnist")
    mnist_parser.add_argument("--presentations", type=int, default=2000)
    mnist_parser.add_argument("--neurons", type=int, default=400)
    mnist_parser.add_argument("--chunk", type=int, default=500)
    mnist_parser.add_argument("--traces", choices=["synapse", "neuron"], default="synapse")
    mnist_parser.add_argument(
        "--evaluation-inhibition",
        type=lambda text: None if text == "none" else float(text),
        default=5.0,
        help="the estimator's evaluation_inhibition; 'none' learns and reads out with one "
        "inhibition (Diehl & Cook), so the readout takes the learning run's responses",
    )
    mnist_parser.add_argument(
        "--readout-pass",
        type=int,
        default=0,
        help="after the chunks, time a frozen readout pass over this many images",
    )
    args = parser.parse_args(argv)
    if args.command in COMPARISONS:
        digits(args.seeds, COMPARISONS[args.command])
    elif args.command == "frozen":
        frozen_form(args.seeds, args.repeats)
    else:
        mnist(
            args.presentations,
            args.neurons,
            args.chunk,
            args.traces,
            args.evaluation_inhibition,
            args.readout_pass,
        )


if __name__ == "__main__":
    main()
