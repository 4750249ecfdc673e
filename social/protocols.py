"""Interaction protocols: what agents do with their neighbours each round.

A protocol is a class registered by name with :func:`register_protocol`.
Its constructor stores keyword parameters (the society passes them through
from its own ``**params``), :meth:`Protocol.check` validates them and the
society before any work, and :meth:`Protocol.interact` runs one round of
interaction and returns per-agent measurements (``messages`` at least).

A protocol talks to the agents only through the society: ``predict``,
``predict_proba``, ``partial_fit`` (one batched call per agent type),
``get_agent_weights``/``set_agent_weights``, ``sample_own_inputs``, and the
structure ``edges_`` (``(teacher, learner)`` index pairs, grouped by learner),
``in_neighbours_``, ``types_``, ``nodes_``, ``graph_``. Information flows
along the edges: in a directed graph ``u -> v`` means *u teaches v*.

>>> from social.protocols import PROTOCOLS
>>> sorted(PROTOCOLS)
['consensus_vote', 'distill', 'gossip', 'isolated', 'teach']
"""

from __future__ import annotations

import inspect
from numbers import Integral

import networkx as nx
import numpy as np

from core.params import Interval, check_param
from core.registry import Registry
from social.consensus import gossip_average, metropolis_weights

#: Registered protocols by name (``base`` is set once :class:`Protocol` is defined).
PROTOCOLS: Registry[type] = Registry("protocol", set_name=True)


def register_protocol(name: str, *, replace: bool = False):
    """Class decorator: register a :class:`Protocol` subclass under ``name``.

    Examples
    --------
    >>> with PROTOCOLS.restored():
    ...     @register_protocol("silent_example")
    ...     class Silent(Protocol):
    ...         def interact(self, society, rng):
    ...             return {"messages": np.zeros(society.n_agents_, dtype=int)}
    ...     PROTOCOLS["silent_example"].__name__
    'Silent'
    """
    return PROTOCOLS.register(name, replace=replace)


class Protocol:
    """Base class of interaction protocols.

    Subclasses store their keyword parameters in ``__init__`` (nothing else),
    may extend :meth:`check`, and implement :meth:`interact`.
    """

    name = "protocol"
    #: The paper the protocol implements (shown in docs and reprs).
    reference = ""

    def check(self, society) -> None:
        """Validate parameters against the society; raise before any work is done."""

    def start(self, society, rng: np.random.Generator) -> None:
        """Called once when the society is set up, before any learning (optional)."""

    def interact(self, society, rng: np.random.Generator) -> dict:
        """Run one round of interaction.

        Returns
        -------
        dict
            Column name -> array of one value per agent; ``messages`` (what
            each agent sent this round) is expected, other keys become extra
            columns of the society's table.
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        names = list(inspect.signature(type(self).__init__).parameters)[1:]
        params = ", ".join(f"{k}={getattr(self, k)!r}" for k in names if hasattr(self, k))
        return f"{type(self).__name__}({params})"


def check_count(protocol: Protocol, key: str, minimum: int = 1) -> None:
    """Raise naming ``key`` unless the protocol's ``key`` is an integer >= ``minimum``."""
    check_param(key, getattr(protocol, key), [Interval(Integral, minimum, None)])


def gather_from_teachers(society, per_agent: list[np.ndarray]) -> list[np.ndarray]:
    """For every learner, the concatenation of ``per_agent[t]`` over its teachers ``t``
    (its in-neighbours, in ``edges_`` order). Bookkeeping only: no model calls."""
    empty = per_agent[0][:0]
    return [
        np.concatenate([per_agent[t] for t in teachers]) if len(teachers) else empty
        for teachers in society.in_neighbours_
    ]


def _out_degree(society) -> np.ndarray:
    return np.bincount(society.edges_[:, 0], minlength=society.n_agents_)


def ask_teachers(society, queries: list[np.ndarray], method: str) -> list[np.ndarray]:
    """Every teacher answers its learners' queries with one batched call per agent type.

    ``queries[j]`` are learner ``j``'s inputs; each in-neighbour of ``j``
    answers them with ``method`` (``"predict_proba"``, or ``"predict"`` which
    is turned into one-hot votes). Returns, for every learner, the sum of its
    teachers' answers, shape ``(len(queries[j]), n_classes)``.
    """
    teachers, learners = society.edges_[:, 0], society.edges_[:, 1]
    by_teacher = np.argsort(teachers, kind="stable")
    # Teacher t is shown the queries of all its learners, one after the other.
    shown = [[] for _ in range(society.n_agents_)]
    for e in by_teacher:
        shown[teachers[e]].append(queries[learners[e]])
    n_features = society.task_.n_features
    shown_X = [np.concatenate(s) if s else np.empty((0, n_features)) for s in shown]
    answers = getattr(society, method)(shown_X)
    classes = society.task_.classes
    totals = [np.zeros((len(q), len(classes))) for q in queries]
    offset = np.zeros(society.n_agents_, dtype=np.intp)
    for e in by_teacher:
        t, j = teachers[e], learners[e]
        answer = np.asarray(answers[t])[offset[t] : offset[t] + len(queries[j])]
        offset[t] += len(queries[j])
        if method == "predict":
            answer = (answer[:, None] == classes[None, :]).astype(float)
        totals[j] += answer
    return totals


PROTOCOLS.base = Protocol


@register_protocol("isolated")
class Isolated(Protocol):
    """No interaction: every agent learns alone (the control condition)."""

    reference = "the control condition of any social-learning experiment"

    def interact(self, society, rng):
        return {"messages": np.zeros(society.n_agents_, dtype=int)}


@register_protocol("teach")
class Teach(Protocol):
    """Social learning by demonstration: agents label their own inputs for their neighbours.

    Each round every agent picks ``demonstrations`` inputs from its own
    training shard, performs the task on them (predicts their classes) and
    shows the labelled inputs to each neighbour it teaches; every agent then
    learns from all the demonstrations it received, with one ``partial_fit``
    call per type. The exchange is a labelled sample, so it works across
    agent types: an MLP can teach a spiking agent and back.

    This is learning by observing a demonstrator (Bandura 1977, *Social
    Learning Theory*); the machine-learning counterpart is one learner
    labelling examples for another, as in co-training (Blum & Mitchell 1998,
    COLT, "Combining labeled and unlabeled data with co-training").

    Parameters
    ----------
    demonstrations : int, default 8
        Inputs each agent labels per round (fewer if its shard is smaller).
    labels : {"checked", "predicted", "true"}, default "checked"
        What is shown. ``"checked"``: the teacher knows the labels of its
        own data, so it shows only the demonstrations it got right, and
        observers copy successful behaviour only, as in success-biased social
        learning (Laland 2004, Learn. Behav. 32:4; Rendell et al. 2010,
        Science 328:208); a teacher that has learnt nothing yet shows little,
        and a confidently wrong one (an untrained spiking agent often answers
        one class for everything) cannot mislead. ``"predicted"``: every
        demonstration with the teacher's prediction, mistakes included.
        ``"true"``: the teacher passes on its labelled data, the
        data-sharing upper bound of teaching.

    Measures ``messages`` (labelled samples sent: demonstrations shown x
    learners taught), ``demonstrations_received`` and
    ``demonstration_accuracy`` (the share of received demonstrations whose
    label is right; NaN if none).
    """

    reference = "Bandura (1977); Blum & Mitchell (1998), COLT; Rendell et al. (2010), Science"

    def __init__(self, demonstrations: int = 8, labels: str = "checked"):
        self.demonstrations = demonstrations
        self.labels = labels

    def check(self, society):
        check_count(self, "demonstrations")
        if self.labels not in ("predicted", "checked", "true"):
            raise ValueError(
                "protocol 'teach': labels must be 'predicted', 'checked' or 'true', "
                f"got labels={self.labels!r}"
            )

    def interact(self, society, rng):
        rows = society.sample_own_rows(self.demonstrations, rng)
        shown = [society.task_.X_train[r] for r in rows]
        truth = [society.task_.y_train[r] for r in rows]
        if self.labels == "true":
            labels = truth
        else:
            labels = society.predict(shown)
            if self.labels == "checked":
                right = [np.asarray(p) == t for p, t in zip(labels, truth)]
                shown = [X[k] for X, k in zip(shown, right)]
                labels = [np.asarray(p)[k] for p, k in zip(labels, right)]
                truth = [t[k] for t, k in zip(truth, right)]
        Xs = gather_from_teachers(society, shown)
        ys = gather_from_teachers(society, labels)
        correct = gather_from_teachers(society, [np.asarray(p) == t for p, t in zip(labels, truth)])
        society.partial_fit(Xs, ys)
        return {
            "messages": _out_degree(society) * np.array([len(s) for s in shown]),
            "demonstrations_received": np.array([len(y) for y in ys]),
            "demonstration_accuracy": np.array([c.mean() if len(c) else np.nan for c in correct]),
        }


def _shown_and_answered(society, protocol, rng, method):
    """Neighbours show their own inputs to each learner, then every neighbour of the
    learner answers on all of them; returns (inputs per learner, summed answers,
    messages per agent)."""
    shown = society.sample_own_inputs(protocol.demonstrations, rng)
    queries = gather_from_teachers(society, shown)
    totals = ask_teachers(society, queries, method)
    n_queries = np.array([len(q) for q in queries])
    # Inputs sent (demonstrations x learners) plus answers sent (each teacher
    # answers every query of each of its learners).
    inputs_sent = _out_degree(society) * np.array([len(s) for s in shown])
    answers_sent = np.bincount(
        society.edges_[:, 0], weights=n_queries[society.edges_[:, 1]], minlength=society.n_agents_
    ).astype(int)
    return queries, totals, inputs_sent + answers_sent


class ShowsInputs(Protocol):
    """A protocol whose one option is how many of its own inputs each agent shows per round."""

    def __init__(self, demonstrations: int = 8):
        self.demonstrations = demonstrations

    def check(self, society):
        check_count(self, "demonstrations")


@register_protocol("distill")
class Distill(ShowsInputs):
    """Decentralised distillation: the neighbourhood's predicted probabilities as soft targets.

    Every agent shows ``demonstrations`` inputs from its own shard to the
    agents it teaches; each learner then asks all its teachers for their
    class probabilities on every input shown to it, and their average (the
    neighbourhood ensemble) is the soft target (Hinton, Vinyals & Dean 2015,
    "Distilling the knowledge in a neural network"; between peers as
    codistillation, Anil et al. 2018, ICLR; on a graph, Bistritz, Mann &
    Bambos 2020, NeurIPS, "Distributed distillation for on-device learning").

    The population protocol trains on hard labels, so the learner trains on
    labels *sampled* from the soft target: for a softmax cross-entropy the
    expected gradient of a sampled label equals the gradient towards the soft
    target, an unbiased stochastic form of distillation that spiking agents
    can use as well.

    Parameters
    ----------
    demonstrations : int, default 8
        Own inputs each agent shows per round.

    Measures ``messages`` (inputs plus probability vectors sent) and
    ``samples_received``.
    """

    reference = "Hinton et al. (2015); Anil et al. (2018); Bistritz et al. (2020)"

    def interact(self, society, rng):
        queries, totals, messages = _shown_and_answered(society, self, rng, "predict_proba")
        classes = society.task_.classes
        labels = []
        for total in totals:
            cumulative = np.cumsum(
                total / np.maximum(total.sum(axis=1, keepdims=True), 1e-300), axis=1
            )
            draws = rng.random((len(total), 1))
            labels.append(classes[np.minimum((draws > cumulative).sum(axis=1), len(classes) - 1)])
        society.partial_fit(queries, labels)
        return {"messages": messages, "samples_received": np.array([len(q) for q in queries])}


@register_protocol("consensus_vote")
class ConsensusVote(ShowsInputs):
    """Learn the neighbourhood's majority label for the inputs neighbours show.

    Every agent shows ``demonstrations`` inputs from its own shard to the
    agents it teaches; each learner asks all its teachers to classify every
    input shown to it and learns the plurality label (ties go to the class
    listed first). Labelling by the majority of peers is the rule of
    tri-training (Zhou & Li 2005, IEEE TKDE 17:1529); as opinion dynamics it
    is Galam's majority rule (2002, Eur. Phys. J. B 25:403). Against
    ``teach`` it trades more messages for labels that one bad teacher cannot
    spoil.

    Parameters
    ----------
    demonstrations : int, default 8
        Own inputs each agent shows per round.

    Measures ``messages`` (inputs plus labels sent) and ``samples_received``.
    """

    reference = "Zhou & Li (2005), IEEE TKDE; Galam (2002), Eur. Phys. J. B"

    def interact(self, society, rng):
        queries, votes, messages = _shown_and_answered(society, self, rng, "predict")
        classes = society.task_.classes
        labels = [classes[v.argmax(axis=1)] if len(v) else classes[:0] for v in votes]
        society.partial_fit(queries, labels)
        return {"messages": messages, "samples_received": np.array([len(q) for q in queries])}


@register_protocol("gossip")
class Gossip(Protocol):
    """Gossip learning: average parameters with same-type neighbours.

    After local learning, each agent replaces its learnable parameters by a
    weighted average of its own and its neighbours' of the same type, with
    Metropolis-Hastings weights of the same-type subgraph (Xiao & Boyd 2004),
    ``steps`` times per round: decentralised SGD (Lian et al. 2017, NeurIPS,
    "Can decentralized algorithms outperform centralized algorithms?") and,
    with one exchange per round, gossip learning (Ormándi, Hegedűs & Jelasity
    2013, Concurrency Computat. 25:556). The weights are symmetric and doubly
    stochastic, so an averaging step keeps the population mean of every
    parameter exactly and, without local learning, drives every same-type
    component to it at the rate of the weights' second largest eigenvalue
    modulus (DeGroot 1974). Agents of different types cannot average their
    (differently shaped) parameters and do not exchange anything.

    Decentralised SGD starts every agent from the same parameters (Lian et
    al. 2017): averaging independently initialised networks mixes unrelated
    hidden units, which cancel out. With ``same_start`` (the default), every
    agent of a type therefore starts from the initial parameters of one of
    them, chosen by the seed.

    Parameters
    ----------
    steps : int, default 1
        Averaging steps per round.
    same_start : bool, default True
        Start all agents of a type from the same parameters.

    Needs an undirected graph (averaging is a symmetric exchange). Measures
    ``messages`` (parameter sets sent: same-type neighbours x steps).
    """

    reference = "Ormándi et al. (2013); Lian et al. (2017); Xiao & Boyd (2004)"

    def __init__(self, steps: int = 1, same_start: bool = True):
        self.steps = steps
        self.same_start = same_start

    def check(self, society):
        check_count(self, "steps")
        if not isinstance(self.same_start, (bool, np.bool_)):
            raise ValueError(
                f"protocol 'gossip': same_start must be True or False, "
                f"got same_start={self.same_start!r}"
            )
        if society.graph_.is_directed():
            raise ValueError(
                "protocol 'gossip' averages parameters symmetrically and needs an "
                "undirected graph; pass graph.to_undirected() or use 'teach'"
            )

    def weights(self, society) -> dict:
        """Type -> (agent indices, Metropolis weights of the same-type subgraph)."""
        same_type = society.types_[society.edges_[:, 0]] == society.types_[society.edges_[:, 1]]
        result = {}
        for kind in dict.fromkeys(society.types_):
            members = np.flatnonzero(society.types_ == kind)
            subgraph = nx.Graph()
            subgraph.add_nodes_from(members.tolist())
            subgraph.add_edges_from(
                society.edges_[same_type & (society.types_[society.edges_[:, 0]] == kind)].tolist()
            )
            result[kind] = (members, metropolis_weights(subgraph))
        return result

    def start(self, society, rng):
        self.weights_ = self.weights(society)
        if not self.same_start:
            return
        for members, _ in self.weights_.values():
            shared = society.get_agent_weights(int(rng.choice(members)))
            for i in members:
                society.set_agent_weights(i, shared)

    def interact(self, society, rng):
        messages = np.zeros(society.n_agents_, dtype=int)
        for members, W in self.weights_.values():
            params = [society.get_agent_weights(i) for i in members]
            for _ in range(self.steps):
                params = gossip_average(params, W)
            for i, p in zip(members, params):
                society.set_agent_weights(i, p)
            messages[members] = np.count_nonzero(W - np.diag(np.diag(W)), axis=1) * self.steps
        return {"messages": messages}
