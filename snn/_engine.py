"""The machinery shared by the estimators and the population: agents' state and runs.

:class:`SpikingAgents` holds the learnable state of ``n_agents`` Diehl & Cook
networks as numpy arrays (input weights, adaptive thresholds, readout
statistics, costs) plus one random generator per agent, and turns "train on
these arrays" / "respond to these arrays" into ONE :meth:`DiehlCookNetwork.
simulate` call for all agents together. A single estimator is a population of
one agent, which is what makes agent ``i`` of a population reproduce a
standalone estimator seeded with agent ``i``'s generator.

Random draws of agent ``a`` come only from ``rngs[a]``, in a fixed order:
initial weights, then the seed of its evaluation spikes, then per training
call and epoch a permutation of its samples and their spikes (then, in
``fit``, the spikes of the frozen readout pass). Evaluation spikes come from a
fresh generator seeded with that seed at every call, so predicting the same
array twice gives the same answer.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
from brian2 import Quantity, ms

from core.opcounts import OpCounter, readout_counts, spiking_counts
from snn.encoders import ENCODERS, gaussian_receptive_fields
from snn.network import DiehlCookNetwork, SimulationDiverged, repeat_each
from snn.readouts import READOUTS
from snn.rules import pathway_words

__all__ = ["EngineConfig", "SpikingAgents"]

#: Evaluation copies: at most this many blocks per frozen run, spread over at
#: least EVALUATION_AGENTS agents' worth (so small populations and a lone agent
#: use the same number of copies, 16).
EVALUATION_BLOCKS = 64
EVALUATION_AGENTS = 4

#: Diehl & Cook re-present a sample with stronger input when it drew fewer
#: than 5 spikes in their 350 ms; evaluation does the same (rates x2, x3, x4
#: at most), with the threshold scaled to the presentation time.
MIN_SPIKES = 5
MIN_SPIKES_PER = 350 * ms
MAX_BOOSTS = 3


#: The :class:`EngineConfig` fields a :class:`DiehlCookNetwork` takes as they are.
NETWORK_SETTINGS = (
    "presentation_time",
    "rest_time",
    "dt",
    "inhibition",
    "target",
    "lateral_inhibition",
    "weight_normalisation",
    "threshold_adaptation",
    "backend",
    "traces",
)


@dataclass
class EngineConfig:
    """Validated settings of a spiking learner (see the estimators' docstrings)."""

    n_neurons: int
    rule: object
    encoding: str
    readout: str
    presentation_time: Quantity
    rest_time: Quantity
    dt: Quantity
    max_rate: Quantity
    inhibition: float
    evaluation_inhibition: float | None
    mean_input_weight: float
    initial_weight: float
    theta_plus: Quantity
    tau_theta: Quantity
    receptive_fields: int
    alpha: float
    plasticity_decay: float
    neuron_params: dict = field(default_factory=dict)
    target: str | None = None
    # ablation switches (all on in Diehl & Cook's network)
    plasticity: bool = True
    threshold_adaptation: bool = True
    weight_normalisation: bool = True
    lateral_inhibition: bool = True
    backend: str = "auto"
    traces: str = "synapse"


class SpikingAgents:
    """State and simulation of ``n_agents`` independent spiking learners.

    Parameters
    ----------
    n_agents, n_features : int
    config : EngineConfig
    n_outputs : int
        Classes (classification) or 1 (regression).
    n_classes : int or None
        Number of classes for label-gated rules (``uses_reward``) (neuron ``k`` is taught
        class ``k % n_classes``); None for regression.
    rngs : list of numpy Generators, one per agent
    """

    def __init__(self, n_agents, n_features, config: EngineConfig, n_outputs, n_classes, rngs):
        self.n_agents, self.n_features, self.config = n_agents, n_features, config
        self.n_inputs = n_features * config.receptive_fields
        self.n_outputs = n_outputs
        self.classification = n_classes is not None
        self.rngs = list(rngs)
        n_neurons = config.n_neurons
        neuron_params = dict(config.neuron_params)
        neuron_params.update(theta_plus=config.theta_plus, tau_theta=config.tau_theta)
        self.network = DiehlCookNetwork(
            self.n_inputs,
            n_neurons,
            config.rule,
            n_agents=n_agents,
            weight_sum=config.mean_input_weight * self.n_inputs,
            neuron_params=neuron_params,
            **{name: getattr(config, name) for name in NETWORK_SETTINGS},
        )
        wmax = float(config.rule.params.get("wmax", 1.0))
        self.weights = np.stack(
            [
                rng.uniform(0.0, config.initial_weight * wmax, (self.n_inputs, n_neurons))
                for rng in self.rngs
            ]
        )
        self.theta = np.zeros((n_agents, n_neurons))
        self.predict_seeds = np.array(
            [rng.integers(2**63 - 1) for rng in self.rngs], dtype=np.int64
        )
        readout_class = READOUTS[config.readout]
        kwargs = {"alpha": config.alpha} if config.readout == "linear" else {}
        self.readout = readout_class(n_agents, n_neurons, n_outputs, **kwargs)
        self.uses_reward = bool(getattr(config.rule, "uses_reward", False))
        self.assigned_class = None
        if self.uses_reward:
            if not n_classes:
                raise ValueError(
                    f"rule {config.rule!r} is label-gated (uses_reward) and needs class "
                    "labels; it cannot be used for regression"
                )
            self.assigned_class = np.tile(np.arange(n_neurons) % n_classes, (n_agents, 1))
        # Heterogeneous agents (used by parameter sweeps; the estimators and
        # the population leave them alone): per-agent learning-rate and
        # input-rate factors, and per-agent values of the network's per-neuron
        # parameters (see DiehlCookNetwork.simulate's agent_params).
        self.learning_rate_scale = np.ones(n_agents)
        self.rate_scale = np.ones(n_agents)
        self.agent_params = {}
        # Operation counts (core.opcounts): training, and the inference a
        # population counts as it predicts (an estimator's predict counts nothing).
        self.train_counts = OpCounter(n_agents)
        self.inference_counts = OpCounter(n_agents)
        self._pathways = pathway_words(config.rule)
        self.samples_seen = np.zeros(n_agents, dtype=np.int64)
        # Whether a training run of these agents went standalone (then, under
        # backend="auto", frozen passes of other shapes do too: see _frozen_pass).
        self.compiled = False

    # -- encoding ---------------------------------------------------------
    def _encode(self, X, rng, agent, rate_factor=1.0):
        """Spikes (sample, channel, step) for the rows of X, from ``rng``."""
        config = self.config
        X = gaussian_receptive_fields(X, config.receptive_fields)
        encoder = ENCODERS[config.encoding]
        rate = config.max_rate * float(self.rate_scale[agent]) * rate_factor
        # a boosted rate may not exceed one spike per time step
        rate = min(rate, 1.0 / config.dt)
        return encoder(X, config.presentation_time, max_rate=rate, dt=config.dt, random_state=rng)

    def run_counts(self, n_presented, input_spikes, output_spikes, plastic=None):
        """Operation counts of presentations (:func:`core.opcounts.spiking_counts`).

        ``input_spikes``, ``output_spikes`` and ``plastic`` are per window and
        agent ``(n_windows, n_agents)`` (or per agent, for frozen runs with
        ``plastic=None``); ``n_presented`` per agent.
        """
        network = self.network
        if plastic is None:
            plastic_windows = plastic_inputs = plastic_outputs = 0
            input_total, output_total = input_spikes, output_spikes
        else:
            on = np.asarray(plastic) > 0
            plastic_windows = on.sum(axis=0)
            plastic_inputs = (input_spikes * on).sum(axis=0)
            plastic_outputs = (output_spikes * on).sum(axis=0)
            input_total, output_total = input_spikes.sum(axis=0), output_spikes.sum(axis=0)
        return spiking_counts(
            n_inputs=self.n_inputs,
            n_neurons=self.config.n_neurons,
            n_presented=n_presented,
            window_steps=network.window_steps,
            presentation_steps=network.presentation_steps,
            input_spikes=input_total,
            output_spikes=output_total,
            plastic_windows=plastic_windows,
            plastic_input_spikes=plastic_inputs,
            plastic_output_spikes=plastic_outputs,
            pre_pathway=self._pathways[0],
            post_pathway=self._pathways[1],
            draws_per_channel_step=int(self.config.encoding == "poisson"),
            lateral_inhibition=bool(network.lateral_inhibition) and self.config.n_neurons > 1,
            normalisation=bool(network.weight_normalisation),
        )

    def readout_update_counts(self, counts, mask):
        """Operation counts of adding ``counts`` (agents, samples, neurons) to the readout."""
        return readout_counts(*self.readout.update_operations(counts, mask))

    def readout_score_counts(self, counts, mask):
        """Operation counts of the readout's predictions for ``counts``."""
        return readout_counts(*self.readout.score_operations(counts, mask))

    # -- learning ---------------------------------------------------------
    def train(self, Xs, targets, labels, epochs=1, readout_pass=False, first_epoch=1):
        """Present each agent's samples ``epochs`` times with plasticity on, in one run.

        Parameters
        ----------
        Xs : list of n_agents arrays (n_a, n_features), validated
        targets : list of n_agents arrays (n_a, n_outputs)
            One-hot classes or regression targets, for the readout.
        labels : list of n_agents int arrays (n_a,) or None
            Class indices, for label-gated rules (``uses_reward``).
        epochs : int
            0 trains nothing: the readout is fitted on a frozen pass over the
            samples (the network without plasticity, ``plasticity=False``;
            with weight normalisation on, the initial random weights are first
            rescaled to the normalised sum, as a first plastic window would).
        readout_pass : bool
            After the epochs, present the samples once more with plasticity
            off (a second run, see :meth:`respond`) and fit the readout on
            those responses only (Diehl & Cook's procedure). Otherwise the
            readout statistics are updated with the responses of the last
            epoch -- unless the frozen network is evaluated with another
            lateral inhibition than it learns with (``evaluation_inhibition``):
            then those responses are not what prediction will see, and the
            readout is updated from a frozen pass over the samples instead.
        first_epoch : int
            The number of this call's first epoch in the learner's history, for
            the error raised if the simulation diverges.

        Raises
        ------
        SimulationDiverged
            If any agent's state becomes NaN or infinite; nothing is updated.

        Returns
        -------
        list of per-epoch dicts of per-agent arrays: ``samples``, ``spikes``
        (excitatory), ``input_spikes``, ``counts`` (operation counts by
        category, :func:`core.opcounts.spiking_counts`, also added to
        ``train_counts``), ``score`` (in-sample score of a readout fitted to
        that epoch's responses; NaN for an agent without samples), plus
        ``wall_seconds`` (float, that epoch's share of the runs). The readout
        pass and the readout's statistics are charged to the last epoch.
        """
        config = self.config
        sizes = np.array([len(X) for X in Xs])
        n_max = int(sizes.max()) if len(sizes) else 0
        if epochs == 0:
            return self._fit_readout_only(Xs, targets, sizes, n_max)
        n_windows = epochs * n_max
        plastic = np.zeros((n_windows, self.n_agents))
        window_labels = np.full((n_windows, self.n_agents), -1, dtype=int)
        orders = np.zeros((epochs, self.n_agents, n_max), dtype=np.int64)
        spikes = []
        for agent, (X, rng) in enumerate(zip(Xs, self.rngs)):
            n = len(X)
            parts = []
            for epoch in range(epochs):
                order = rng.permutation(n)
                orders[epoch, agent, :n] = order
                sample, channel, step = self._encode(X[order], rng, agent)
                parts.append((epoch * n_max + sample, channel, step))
                if n:
                    plastic[epoch * n_max : epoch * n_max + n, agent] = (
                        config.plasticity_decay**epoch * self.learning_rate_scale[agent]
                    )
                    if self.uses_reward and labels is not None:
                        window_labels[epoch * n_max : epoch * n_max + n, agent] = labels[agent][
                            order
                        ]
            spikes.append(tuple(np.concatenate([part[k] for part in parts]) for k in range(3)))
        result = self.network.simulate(
            self.weights,
            self.theta,
            spikes,
            plastic,
            labels=window_labels,
            assigned_class=self.assigned_class,
            agent_params=self.agent_params,
        )
        if result.diverged:
            agent = int(np.argmax(result.diverged_window >= 0))
            window = int(result.diverged_window[agent])
            raise SimulationDiverged(
                self._divergence_message(
                    agent,
                    f"in epoch {first_epoch + window // max(n_max, 1)} (presentation "
                    f"{window % max(n_max, 1) + 1} of {sizes[agent]} in that epoch)",
                    plastic[window, agent],
                )
            )
        self.weights, self.theta = result.weights, result.theta
        # Training big enough to be compiled: evaluate compiled as well.
        self.compiled = self.compiled or result.backend == "standalone"

        counts = result.counts.reshape(epochs, n_max, self.n_agents, -1).transpose(0, 2, 1, 3)
        mask = (np.arange(n_max)[None, :] < sizes[:, None]).astype(float)  # (agents, n_max)
        ordered_targets = np.zeros((epochs, self.n_agents, n_max, self.n_outputs))
        for agent in range(self.n_agents):
            n = sizes[agent]
            for epoch in range(epochs):
                ordered_targets[epoch, agent, :n] = targets[agent][orders[epoch, agent, :n]]
        window_inputs = result.input_spikes.reshape(epochs, n_max, self.n_agents)
        window_outputs = result.excitatory_spikes.reshape(epochs, n_max, self.n_agents)
        input_spikes = window_inputs.sum(axis=1)
        exc_spikes = window_outputs.sum(axis=1)
        window_plastic = plastic.reshape(epochs, n_max, self.n_agents)
        epoch_counts = [
            self.run_counts(sizes, window_inputs[e], window_outputs[e], window_plastic[e])
            for e in range(epochs)
        ]
        self.samples_seen += sizes * epochs

        share = result.wall_seconds / max(epochs, 1)
        reports = [
            dict(
                samples=sizes.copy(),
                spikes=exc_spikes[epoch],
                input_spikes=input_spikes[epoch],
                counts=epoch_counts[epoch],
                wall_seconds=share,
                score=self._in_sample_score(counts[epoch], ordered_targets[epoch], mask),
            )
            for epoch in range(epochs)
        ]
        if readout_pass or self.evaluated_differently:
            frozen_counts, frozen = self.respond(Xs, rngs=self.rngs)
            padded_targets = np.zeros((self.n_agents, n_max, self.n_outputs))
            for agent in range(self.n_agents):
                padded_targets[agent, : sizes[agent]] = targets[agent]
            self.readout.update(frozen_counts, padded_targets, mask)
            last = reports[-1]
            last.update(
                spikes=last["spikes"] + frozen["excitatory_spikes"],
                input_spikes=last["input_spikes"] + frozen["input_spikes"],
                counts=_added(last["counts"], frozen["counts"]),
                wall_seconds=last["wall_seconds"] + frozen["wall_seconds"],
                score=self._in_sample_score(frozen_counts, padded_targets, mask),
            )
            readout_responses = frozen_counts
        else:
            self.readout.update(counts[-1], ordered_targets[-1], mask)
            readout_responses = counts[-1]
        last = reports[-1]
        last["counts"] = _added(last["counts"], self.readout_update_counts(readout_responses, mask))
        for report in reports:
            self.train_counts.update(report["counts"])
        return reports

    def _normalised_weights(self):
        """The weights rescaled as a plastic window's start would (normalisation on)."""
        if not self.network.weight_normalisation:
            return self.weights
        target = self.agent_params.get("weight_sum", self.network.weight_sum)
        target = np.broadcast_to(np.asarray(target, dtype=float), (self.n_agents,))
        totals = self.weights.sum(axis=1, keepdims=True)
        return self.weights * target[:, None, None] / np.where(totals > 0, totals, 1.0)

    def _frozen_readout(self, Xs, targets, reset):
        """Fit the readout on a frozen pass over ``Xs`` (after forgetting it if ``reset``)."""
        sizes = np.array([len(X) for X in Xs])
        n_max = int(sizes.max()) if len(sizes) else 0
        frozen_counts, frozen = self.respond(Xs, rngs=self.rngs)
        mask = (np.arange(n_max)[None, :] < sizes[:, None]).astype(float)
        padded_targets = np.zeros((self.n_agents, n_max, self.n_outputs))
        for agent in range(self.n_agents):
            padded_targets[agent, : sizes[agent]] = targets[agent]
        if reset:
            self.readout.reset()
        self.readout.update(frozen_counts, padded_targets, mask)
        frozen["score"] = self._in_sample_score(frozen_counts, padded_targets, mask)
        # the pass and the readout's statistics are training
        frozen["counts"] = _added(frozen["counts"], self.readout_update_counts(frozen_counts, mask))
        self.train_counts.update(frozen["counts"])
        return frozen

    def _fit_readout_only(self, Xs, targets, sizes, n_max):
        """``train(epochs=0)``: no plasticity, the readout fitted on a frozen pass."""
        if not self.samples_seen.any():
            self.weights = self._normalised_weights()
        frozen = self._frozen_readout(Xs, targets, reset=False)
        self.samples_seen += sizes
        return [
            dict(
                samples=sizes.copy(),
                spikes=frozen["excitatory_spikes"],
                input_spikes=frozen["input_spikes"],
                counts=frozen["counts"],
                wall_seconds=frozen["wall_seconds"],
                score=frozen["score"],
            )
        ]

    def refit_readout(self, Xs, targets):
        """Forget the readout's statistics and fit it on a frozen pass over ``Xs``.

        The readout then describes the current network's responses only (not
        those of earlier, differently trained networks, which ``train``
        accumulates). Spikes come from the agents' generators; the pass is
        charged to training. Returns the pass's totals (see :meth:`respond`)
        with the in-sample ``score``.
        """
        return self._frozen_readout(Xs, targets, reset=True)

    @property
    def evaluated_differently(self):
        """Whether frozen passes use another lateral inhibition than learning does."""
        evaluation = self.config.evaluation_inhibition
        return evaluation is not None and (
            evaluation != self.config.inhibition or "inhibition" in self.agent_params
        )

    def _in_sample_score(self, counts, targets, mask):
        """Accuracy (classification) or R^2 (regression) of a readout fitted on these responses."""
        readout = self.readout.empty_copy()
        readout.update(counts, targets, mask)
        predictions = readout.scores(counts)
        return _score(predictions, targets, mask, classification=self.classification)

    # -- evaluation -------------------------------------------------------
    def replicas(self, n_samples):
        """Copies of each agent that share a frozen pass over ``n_samples`` samples.

        A frozen network does not change, so the samples of an evaluation can
        be spread over identical copies of it (more blocks of the block-
        diagonal network, fewer time steps): Brian2's cost per time step is
        mostly fixed overhead, so this divides the wall time of an evaluation
        by nearly the number of copies. The number depends only on the
        population size and ``n_samples`` (a lone agent and agent ``i`` of a
        small population lay out their evaluation identically).
        """
        budget = max(1, EVALUATION_BLOCKS // max(self.n_agents, EVALUATION_AGENTS))
        return int(max(1, min(budget, n_samples)))

    def respond(self, Xs, rngs=None, charge_to=None):
        """Spike counts (agents, n_max, neurons) of the frozen networks shown ``Xs``.

        One run for all agents (sample ``s`` of an agent goes to copy
        ``s % K`` of it, window ``s // K``, ``K`` from :meth:`replicas`), then,
        as Diehl & Cook do, samples that drew fewer than ``MIN_SPIKES`` spikes
        (per 350 ms of presentation) are presented again with the input rates raised by the base rate,
        up to ``MAX_BOOSTS`` times (one more run per round, only while any
        agent has such samples); their counts are those of the last
        presentation. Spikes come from ``rngs`` (one generator per agent) or,
        by default, from a fresh generator seeded with the agent's evaluation
        seed, so the same array always gets the same answer.

        ``charge_to`` ("train", "inference" or None) names the counter the
        run's operation counts are added to; None changes nothing (an
        estimator's ``predict``).

        Returns
        -------
        counts : array (agents, n_max, neurons)
        totals : dict of per-agent ``input_spikes``, ``excitatory_spikes``,
            ``boosted`` (re-presentations), ``counts`` (operation counts of
            the runs by category, readout not included) and the run's
            ``wall_seconds``.
        """
        sizes = np.array([len(X) for X in Xs])
        n_max = int(sizes.max()) if len(sizes) else 0
        n_neurons = self.config.n_neurons
        counts = np.zeros((self.n_agents, n_max, n_neurons), dtype=np.int64)
        totals = {
            "input_spikes": np.zeros(self.n_agents, np.int64),
            "excitatory_spikes": np.zeros(self.n_agents, np.int64),
            "boosted": np.zeros(self.n_agents, np.int64),
            "wall_seconds": 0.0,
        }
        totals["counts"] = self.run_counts(0 * sizes, totals["input_spikes"], 0 * sizes)
        if n_max == 0:
            return counts, totals
        copies = self.replicas(n_max)
        rngs = (
            [np.random.default_rng(seed) for seed in self.predict_seeds] if rngs is None else rngs
        )
        min_spikes = max(
            1, round(MIN_SPIKES * float(self.config.presentation_time / MIN_SPIKES_PER))
        )
        pending = [np.arange(n) for n in sizes]  # sample indices still to (re)present
        for boost in range(MAX_BOOSTS + 1):
            if not any(len(p) for p in pending):
                break
            batch = self._frozen_pass(
                [X[p] for X, p in zip(Xs, pending)], rngs, copies, rate_factor=1.0 + boost
            )
            batch_counts, batch_input, batch_excitatory, wall = batch
            totals["input_spikes"] += batch_input
            totals["excitatory_spikes"] += batch_excitatory
            totals["wall_seconds"] += wall
            if boost:
                totals["boosted"] += [len(p) for p in pending]
            for agent, indices in enumerate(pending):
                counts[agent, indices] = batch_counts[agent, : len(indices)]
            pending = [
                indices[batch_counts[agent, : len(indices)].sum(axis=1) < min_spikes]
                for agent, indices in enumerate(pending)
            ]
        totals["counts"] = self.run_counts(
            sizes + totals["boosted"], totals["input_spikes"], totals["excitatory_spikes"]
        )
        if charge_to is not None:
            counter = {"train": self.train_counts, "inference": self.inference_counts}[charge_to]
            counter.update(totals["counts"])
        return counts, totals

    def _frozen_pass(self, Xs, rngs, copies, rate_factor):
        """One frozen run of ``Xs`` on ``copies`` copies of each agent."""
        n_max = max(len(X) for X in Xs)
        n_windows = -(-n_max // copies)
        n_blocks = self.n_agents * copies
        spikes = [(np.zeros(0, np.int64),) * 3] * n_blocks
        for agent, (X, rng) in enumerate(zip(Xs, rngs)):
            if not len(X):
                continue
            sample, channel, step = self._encode(X, rng, agent, rate_factor)
            copy = sample % copies
            for c in range(copies):
                keep = copy == c
                spikes[agent * copies + c] = (sample[keep] // copies, channel[keep], step[keep])
        network = self.network if copies == 1 else self.network.with_agents(n_blocks)
        if self.compiled and network.backend == "auto":
            network = network.with_agents(n_blocks)
            network.backend = "standalone"
        assigned = (
            None if self.assigned_class is None else np.repeat(self.assigned_class, copies, axis=0)
        )
        agent_params = dict(self.agent_params)
        if self.config.evaluation_inhibition is not None:
            agent_params["inhibition"] = np.full(self.n_agents, self.config.evaluation_inhibition)
        result = network.simulate(
            np.repeat(self.weights, copies, axis=0),
            np.repeat(self.theta, copies, axis=0),
            spikes,
            np.zeros((n_windows, n_blocks)),
            assigned_class=assigned,
            agent_params={key: repeat_each(value, copies) for key, value in agent_params.items()},
        )
        if result.diverged:
            block = int(np.argmax(result.diverged_window >= 0))
            raise SimulationDiverged(
                self._divergence_message(block // copies, "while evaluating (plasticity off)", 0.0)
            )
        counts = result.counts.reshape(n_windows, self.n_agents, copies, -1)
        counts = counts.transpose(1, 0, 2, 3).reshape(self.n_agents, n_windows * copies, -1)
        per_agent = (n_windows, self.n_agents, copies)
        return (
            counts[:, :n_max],
            result.input_spikes.reshape(per_agent).sum(axis=(0, 2)),
            result.excitatory_spikes.reshape(per_agent).sum(axis=(0, 2)),
            result.wall_seconds,
        )

    def _divergence_message(self, agent, where, plasticity):
        """What a user needs to know when agent ``agent``'s simulation blew up."""
        rule = self.config.rule
        rates = {k: v for k, v in rule.params.items() if k.startswith(("nu", "eta", "A2", "A3"))}
        rates = ", ".join(f"{k}={v}" for k, v in rates.items()) or "its parameters"
        who = f"agent {agent}: " if self.n_agents > 1 else ""
        return (
            f"the spiking network diverged {where}: {who}membrane potential, conductance, "
            f"threshold or input weights became NaN or infinite under rule "
            f"{rule.label()} with learning rates {rates} (plasticity factor "
            f"{plasticity:g}, theta_plus={self.config.theta_plus}, "
            f"max_rate={self.config.max_rate}, dt={self.config.dt}); lower the "
            f"rule's learning rates or the input rate, or shorten dt"
        )

    # -- state ------------------------------------------------------------
    def get_state(self, agent):
        state = {"weights": self.weights[agent].copy(), "theta": self.theta[agent].copy()}
        state.update(self.readout.get_state(agent))
        return state

    def state_shapes(self):
        shapes = {"weights": self.weights.shape[1:], "theta": self.theta.shape[1:]}
        shapes.update(self.readout.state_shapes())
        return shapes

    def set_state(self, agent, state):
        self.weights[agent] = state["weights"]
        self.theta[agent] = state["theta"]
        self.readout.set_state(agent, state)

    # -- saving and loading -------------------------------------------------
    #: Per-agent arrays a saved learner needs, besides the readout statistics.
    _ARCHIVED = (
        "weights",
        "theta",
        "predict_seeds",
        "learning_rate_scale",
        "rate_scale",
        "samples_seen",
    )

    def archive_state(self):
        """Everything learned or drawn so far, as (arrays, JSON-able dict).

        Arrays: weights, thresholds, evaluation seeds, per-agent scales and
        counters, the readout statistics (``readout.<key>``) and, for
        label-gated rules, ``assigned_class``. The dict: sizes, each
        agent's random generator and the per-agent neuron parameters
        (values for :func:`core.archive.to_jsonable`). The configuration
        is the caller's to save.
        """
        arrays = {name: getattr(self, name) for name in self._ARCHIVED}
        arrays.update(self.train_counts.to_arrays("opcounts.train."))
        arrays.update(self.inference_counts.to_arrays("opcounts.inference."))
        arrays.update({f"readout.{key}": value for key, value in self.readout.stats.items()})
        if self.assigned_class is not None:
            arrays["assigned_class"] = self.assigned_class
        meta = {
            "n_agents": self.n_agents,
            "n_features": self.n_features,
            "n_outputs": self.n_outputs,
            "classification": self.classification,
            "rngs": self.rngs,
            "agent_params": self.agent_params,
        }
        return arrays, meta

    def snapshot(self):
        """A copy of :meth:`archive_state` (the generators' states included), for :meth:`restored`."""
        arrays, meta = self.archive_state()
        arrays = {name: np.array(value, copy=True) for name, value in arrays.items()}
        return arrays, copy.deepcopy(meta)

    def restored(self, snapshot):
        """Agents of this configuration in the state of ``snapshot`` (a failed fit's rollback)."""
        return type(self).from_archive(self.config, *snapshot)

    @classmethod
    def from_archive(cls, config: EngineConfig, arrays, meta):
        """Rebuild agents from :meth:`archive_state` output and their ``config``.

        Raises ValueError naming an array whose shape does not fit.
        """
        n_agents, n_outputs = meta["n_agents"], meta["n_outputs"]
        if len(meta["rngs"]) != n_agents:
            raise ValueError(f"{len(meta['rngs'])} random generators for {n_agents} agents")
        # The constructor's draws (from throw-away generators) are all replaced below.
        agents = cls(
            n_agents,
            meta["n_features"],
            config,
            n_outputs,
            n_outputs if meta["classification"] else None,
            [np.random.default_rng(0) for _ in range(n_agents)],
        )
        arrays = dict(arrays)
        counts = {k: arrays.pop(k) for k in list(arrays) if k.startswith("opcounts.")}
        agents.train_counts = OpCounter.from_arrays(counts, "opcounts.train.", n_agents)
        agents.inference_counts = OpCounter.from_arrays(counts, "opcounts.inference.", n_agents)
        targets = {name: getattr(agents, name) for name in cls._ARCHIVED}
        targets.update({f"readout.{key}": value for key, value in agents.readout.stats.items()})
        if agents.assigned_class is not None:
            targets["assigned_class"] = agents.assigned_class
        if set(arrays) != set(targets):
            raise ValueError(f"the agents' arrays are {sorted(targets)}, got {sorted(arrays)}")
        for name, target in targets.items():
            if arrays[name].shape != target.shape:
                raise ValueError(
                    f"array {name!r} has shape {arrays[name].shape}, the "
                    f"configuration needs {target.shape}"
                )
        for name in cls._ARCHIVED:
            setattr(agents, name, np.array(arrays[name], dtype=targets[name].dtype))
        for key, value in agents.readout.stats.items():
            value[...] = arrays[f"readout.{key}"]
        if agents.assigned_class is not None:
            agents.assigned_class = np.array(arrays["assigned_class"])
        agents.rngs = list(meta["rngs"])
        agents.agent_params = dict(meta["agent_params"])
        return agents


def _score(predictions, targets, mask, classification):
    """Per-agent accuracy or R^2 over the unmasked samples (NaN for none)."""
    scores = np.full(predictions.shape[0], np.nan)
    for agent in range(predictions.shape[0]):
        keep = mask[agent] > 0
        if not keep.any():
            continue
        predicted, true = predictions[agent, keep], targets[agent, keep]
        if classification:
            scores[agent] = float(np.mean(predicted.argmax(axis=1) == true.argmax(axis=1)))
        else:
            residual = ((true - predicted) ** 2).sum()
            total = ((true - true.mean(axis=0)) ** 2).sum()
            scores[agent] = 1.0 - residual / total if total > 0 else np.nan
    return scores


def _added(a: dict, b: dict) -> dict:
    """Category-wise sum of two count dicts."""
    return {key: a.get(key, 0) + b.get(key, 0) for key in {**a, **b}}
