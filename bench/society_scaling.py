"""Wall time of a society against its number of agents (target: linear or better).

Runs the same society (small-world graph, label-skewed digits, ``teach``)
with 25, 50 and 100 agents, side by side in one process, and prints the wall
time (median over rounds), the time per agent-round and its ratio to the smallest
society's. A ratio at or below 1 means the cost grows linearly or better with
the number of agents (the populations batch all agents of a type together).

Usage::

    python bench/society_scaling.py                       # mixed, 20 rounds
    python bench/society_scaling.py --agents ann --rounds 5
    python bench/society_scaling.py --sizes 25 50 --rounds 2   # smoke run
    python bench/society_scaling.py --sizes 100 --backends runtime standalone
        # spiking agents in Brian2's runtime mode and compiled, side by side
    python bench/society_scaling.py --sizes 100 --rounds 2 \
        --variants runtime:rule standalone:rule standalone:plain
        # also before/after the frozen form of evaluation runs: "rule" runs
        # them through the full plasticity rule (the code path before it),
        # "plain" on plain transmitting synapses (snn.network.FROZEN_FORM_FOR_FROZEN_RUNS)

The society's defaults are used except where an option says otherwise; the
figures and the command go to bench/RESULTS.md ("Society scaling").
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from snn import network as network_module
from social import Society
from social.metrics import summarise


class PhaseTimer:
    """Wall seconds of a society's rounds by phase: local learning, interaction, evaluation.

    Wraps the society's ``partial_fit`` and ``predict`` and its protocol's
    ``interact`` on the instances. A call made inside the interaction (its
    learners learning, its teachers predicting) counts for the interaction
    and, separately, as ``interaction_learning`` / ``interaction_predicting``,
    so that learning and predicting can be told apart over the whole round.
    """

    PHASES = ("learning", "interaction", "evaluation")

    def __init__(self, society):
        self.seconds = dict.fromkeys(
            [*self.PHASES, "interaction_learning", "interaction_predicting"], 0.0
        )
        self._outer = None
        society.partial_fit = self._timed(society.partial_fit, "learning")
        society.predict = self._timed(society.predict, "evaluation")
        society.protocol_.interact = self._timed(society.protocol_.interact, "interaction")

    def _timed(self, method, phase):
        def timed(*args, **kwargs):
            outer = self._outer
            if outer is not None and outer != "interaction":
                return method(*args, **kwargs)
            key = (
                phase
                if outer is None
                else f"interaction_{phase.replace('evaluation', 'predicting')}"
            )
            self._outer = phase if outer is None else outer
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.seconds[key] += time.perf_counter() - started
                self._outer = outer

        return timed


def measure(
    n_agents: int,
    agents: str,
    rounds: int,
    protocol: str,
    seed: int,
    backend: str = "auto",
    form: str = "plain",
) -> dict:
    network_module.FROZEN_FORM_FOR_FROZEN_RUNS = {"plain": True, "rule": False}[form]
    society = Society(
        "small_world",
        agents=agents,
        task="digits",
        protocol=protocol,
        partition="non_iid",
        random_state=seed,
        n_agents=n_agents,
        agent_params={"snn": {"backend": backend}} if agents in ("mixed", "snn") else None,
    )
    started = time.perf_counter()
    society.setup()
    setup_seconds = time.perf_counter() - started
    phases = PhaseTimer(society)
    table = society.run(rounds)
    total = time.perf_counter() - started
    summary = summarise(table)
    last = summary.iloc[-1]
    return {
        "n_agents": n_agents,
        "backend": backend if form == "plain" else f"{backend}:{form}",
        "rounds": rounds,
        "setup_s": setup_seconds,
        "total_s": total,
        "per_round_s": summary["wall_seconds"].median(),
        "per_agent_round_ms": 1e3 * summary["wall_seconds"].median() / n_agents,
        "final_accuracy": last["mean_accuracy"],
        "rounds_s": summary["wall_seconds"].sum(),
        **{f"{phase}_s": seconds for phase, seconds in phases.seconds.items()},
        **{f"final_{c}": last[c] for c in summary.columns if c.startswith("accuracy_")},
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[25, 50, 100])
    parser.add_argument("--agents", default="mixed", help="agent type or 'mixed' (default)")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--protocol", default="teach")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--backends",
        nargs="+",
        default=["auto"],
        choices=["auto", "standalone", "runtime"],
        help="spiking backend(s); several are measured side by side for every size",
    )
    parser.add_argument(
        "--variants",
        nargs="+",
        help="backend:form pairs (form 'plain' or 'rule', see the usage), replacing --backends",
    )
    args = parser.parse_args(argv)
    variants = [tuple(v.split(":")) for v in args.variants or [f"{b}:plain" for b in args.backends]]
    for variant in variants:
        if len(variant) != 2 or variant[0] not in ("auto", "standalone", "runtime"):
            parser.error(f"--variants takes backend:form pairs, got {':'.join(variant)!r}")
        if variant[1] not in ("plain", "rule"):
            parser.error(f"a variant's form is 'plain' or 'rule', got {':'.join(variant)!r}")

    print(
        f"society: small_world, agents={args.agents}, digits non_iid, protocol={args.protocol}, "
        f"{args.rounds} rounds, seed {args.seed}, default budget (Society defaults)"
    )
    # Warm-up (not measured): the first spiking run of each variant compiles
    # Brian2's code (Cython); a compiled backend is built for every size it will run.
    for backend, form in sorted(set(variants)):
        sizes = args.sizes if backend == "standalone" else [min(args.sizes)]
        for n_agents in sizes:
            measure(n_agents, args.agents, 1, args.protocol, args.seed, backend, form)
    print(f"load average before: {os.getloadavg()[0]:.1f} (2 cores; other jobs slow every figure)")
    results = []
    for n_agents in args.sizes:
        for backend, form in variants:
            result = measure(
                n_agents, args.agents, args.rounds, args.protocol, args.seed, backend, form
            )
            results.append(result)
            result["load"] = os.getloadavg()[0]
            print(
                f"  {n_agents:4d} agents, backend {backend}: set-up {result['setup_s']:6.1f} s, total {result['total_s']:7.1f} s, "
                f"{result['per_round_s']:6.2f} s/round, {result['per_agent_round_ms']:6.1f} ms per agent-round, "
                f"final mean accuracy {result['final_accuracy']:.3f}, load average {result['load']:.1f}",
                flush=True,
            )
    base = results[0]
    print(
        "\n| agents | backend | total s | median s / round | ms / agent-round | ratio to "
        f"{base['n_agents']} agents (per agent-round) | final mean accuracy |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        ratio = r["per_agent_round_ms"] / base["per_agent_round_ms"]
        types = ", ".join(
            f"{k[len('final_accuracy_') :]} {v:.2f}"
            for k, v in r.items()
            if k.startswith("final_accuracy_")
        )
        print(
            f"| {r['n_agents']} | {r['backend']} | {r['total_s']:.1f} | {r['per_round_s']:.2f} | "
            f"{r['per_agent_round_ms']:.1f} | {ratio:.2f} | {r['final_accuracy']:.3f} ({types}) |"
        )

    print(
        "\nWhere the rounds' wall time goes (all rounds; a protocol's predictions and "
        "learning count as interaction):\n"
    )
    print(
        "| agents | backend | rounds s | learning | interaction (of which learning, "
        "predicting) | evaluation | other |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        rounds = r["rounds_s"]
        shares = [r[f"{phase}_s"] / rounds for phase in PhaseTimer.PHASES]
        print(
            f"| {r['n_agents']} | {r['backend']} | {rounds:.1f} | "
            f"{r['learning_s']:.1f} s ({shares[0]:.0%}) | "
            f"{r['interaction_s']:.1f} s ({shares[1]:.0%}; "
            f"{r['interaction_learning_s'] / rounds:.0%}, "
            f"{r['interaction_predicting_s'] / rounds:.0%}) | "
            f"{r['evaluation_s']:.1f} s ({shares[2]:.0%}) | {1 - sum(shares):.0%} |"
        )

    if len(variants) > 1:
        print()
        for n_agents in args.sizes:
            rows = {r["backend"]: r for r in results if r["n_agents"] == n_agents}
            labels = [b if f == "plain" else f"{b}:{f}" for b, f in variants]
            first = labels[0]
            for backend in labels[1:]:
                print(
                    f"{n_agents} agents: {first} / {backend} = "
                    f"{rows[first]['total_s'] / rows[backend]['total_s']:.2f}x total, "
                    f"{rows[first]['per_round_s'] / rows[backend]['per_round_s']:.2f}x per round"
                )


if __name__ == "__main__":
    main()
