"""Throughput of the Diehl & Cook network: one run() per sample vs one run per curriculum.

Side by side in one process, on the same network (64 Poisson inputs, 100
excitatory neurons, pair STDP, lateral inhibition, adaptive thresholds,
350 ms presentation + 150 ms rest, dt 0.5 ms, Brian2 Cython target):

(a) naive: the network built once, then per sample ``net.run(350*ms)`` with the
    input rates set and ``net.run(150*ms)`` with them at zero, weights
    normalised in numpy in between -- as public Diehl & Cook Brian2 ports do;
(b) ``STDPClassifier.partial_fit`` on the same samples (one run);
(c) ``SNNPopulation.partial_fit`` with 1, 10, 50 and 100 agents, each agent
    with its own samples (one run for all agents), cost per agent-sample.

Every setting is run twice and the second run is timed (the first compiles
and warms Brian2's caches). Wall-clock and process CPU seconds are both
reported: the machine is shared, and CPU time is the steadier measure.

Run:  python bench/snn_throughput.py [--samples 20] [--agents 1 10 50 100]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from brian2 import (
    Hz,
    Network,
    NeuronGroup,
    PoissonGroup,
    SpikeMonitor,
    Synapses,
    ms,
    prefs,
)

from snn import SNNPopulation, STDPClassifier
from snn._brian import codegen_target
from snn.estimators import resolve_rule
from snn.neurons import (
    EXCITATORY_EQUATIONS,
    EXCITATORY_RESET,
    EXCITATORY_THRESHOLD,
    LATERAL_INHIBITION_ON_PRE,
    PER_NEURON_PARAMETERS,
    neuron_namespace,
)
from tasks import load_task

N_NEURONS = 100
PRESENTATION, REST = 350 * ms, 150 * ms
MAX_RATE = 128 * Hz
SETTINGS = dict(
    n_neurons=N_NEURONS, presentation_time=PRESENTATION, rest_time=REST, max_rate=MAX_RATE
)


def timed(function):
    """Run twice, time the second: (wall seconds, CPU seconds)."""
    function()
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def naive_loop(X, estimator_params):
    """One run() per presentation and one per rest, as public Diehl & Cook ports do."""
    probe = STDPClassifier(**estimator_params)
    rule = resolve_rule(probe.rule)
    namespace = neuron_namespace(
        theta_plus=probe.theta_plus, tau_theta=probe.tau_theta, inhibition=probe.inhibition
    )
    per_neuron = {key: namespace.pop(key) for key in PER_NEURON_PARAMETERS}
    weight_sum = probe.mean_input_weight * X.shape[1]
    rng = np.random.default_rng(0)

    def run():
        prefs.codegen.target = codegen_target()
        inputs = PoissonGroup(X.shape[1], rates=0 * Hz, name="naive_inputs")
        neurons = NeuronGroup(
            N_NEURONS,
            EXCITATORY_EQUATIONS,
            threshold=EXCITATORY_THRESHOLD,
            reset=EXCITATORY_RESET,
            refractory="refractory_period",
            method="euler",
            namespace=namespace,
            name="naive_neurons",
        )
        neurons.v = namespace["v_rest"]
        neurons.plastic = 1
        for key, value in per_neuron.items():
            setattr(neurons, key, value)
        kwargs = rule.synapses_kwargs(transmission="ge_post += w")
        synapses = Synapses(inputs, neurons, method="euler", name="naive_synapses", **kwargs)
        synapses.connect()
        synapses.w = rng.uniform(0, 0.3, len(synapses))
        lateral = Synapses(
            neurons,
            neurons,
            on_pre=LATERAL_INHIBITION_ON_PRE,
            namespace=namespace,
            name="naive_lateral",
        )
        lateral.connect(condition="i != j")
        monitor = SpikeMonitor(neurons, name="naive_monitor")
        net = Network(inputs, neurons, synapses, lateral, monitor)
        post = np.asarray(synapses.j[:])
        previous = np.zeros(N_NEURONS, dtype=int)
        for x in X:
            w = np.asarray(synapses.w[:])
            synapses.w = w * (weight_sum / np.bincount(post, w, minlength=N_NEURONS))[post]
            inputs.rates = x * MAX_RATE
            net.run(PRESENTATION)
            inputs.rates = 0 * Hz
            net.run(REST)
            counts = np.asarray(monitor.count[:]) - previous
            previous = previous + counts

    return run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=20, help="samples per agent and setting")
    parser.add_argument("--agents", type=int, nargs="+", default=[1, 10, 50, 100])
    args = parser.parse_args(argv)
    task = load_task("digits", seed=0)
    n = args.samples
    X, y = task.X_train[:n], task.y_train[:n]
    print(
        f"Brian2 target: {codegen_target()}; {n} samples per agent; "
        f"{N_NEURONS} neurons, 64 inputs, {PRESENTATION} + {REST} per sample"
    )

    rows = []
    wall, cpu = timed(naive_loop(X, SETTINGS))
    rows.append(("(a) naive: net.run per presentation", n, wall, cpu))

    def estimator():
        STDPClassifier(random_state=0, **SETTINGS).partial_fit(X, y, classes=task.classes)

    wall, cpu = timed(estimator)
    rows.append(("(b) STDPClassifier.partial_fit", n, wall, cpu))

    for n_agents in args.agents:
        offsets = [(k * n) % (len(task.X_train) - n) for k in range(n_agents)]
        Xs = [task.X_train[o : o + n] for o in offsets]
        ys = [task.y_train[o : o + n] for o in offsets]

        def population(n_agents=n_agents, Xs=Xs, ys=ys):
            pop = SNNPopulation(
                n_agents,
                64,
                task.classes,
                random_state=0,
                **{k: v for k, v in SETTINGS.items() if k != "n_neurons"},
                n_neurons=N_NEURONS,
            )
            pop.partial_fit(Xs, ys)

        wall, cpu = timed(population)
        rows.append((f"(c) SNNPopulation, {n_agents} agents", n * n_agents, wall, cpu))

    naive_wall = rows[0][2] / rows[0][1]
    naive_cpu = rows[0][3] / rows[0][1]
    print()
    print(
        "| setting | agent-samples | wall ms / agent-sample | CPU ms / agent-sample "
        "| speed-up vs (a), wall | speed-up vs (a), CPU |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, count, wall, cpu in rows:
        print(
            f"| {name} | {count} | {1000 * wall / count:.1f} | {1000 * cpu / count:.1f} "
            f"| {naive_wall / (wall / count):.1f}x | {naive_cpu / (cpu / count):.1f}x |"
        )


if __name__ == "__main__":
    main()
