"""A NetworkX agent-based society of learners.

Agents of any registered type sit on the nodes of a graph, learn a task from
their own share of the data, and interact along the edges by a protocol;
:class:`Society` runs the rounds and returns a tidy table, :mod:`social.metrics`
summarises it, :mod:`social.consensus` holds the averaging theory the
``gossip`` protocol must obey, and :mod:`social.synchrony` couples spiking
brains along a graph and measures their synchrony.

>>> import social
>>> sorted(social.PROTOCOLS)
['consensus_vote', 'distill', 'gossip', 'isolated', 'teach']
"""

from social.agents import AGENT_TYPES, register_agent_type
from social.consensus import (
    consensus_error,
    consensus_time,
    degroot,
    empirical_decay_rate,
    gossip_average,
    metropolis_weights,
    randomized_gossip,
    second_largest_eigenvalue_modulus,
    spectral_gap,
)
from social.graphs import GRAPHS, make_graph, register_graph
from social.partitions import PARTITIONS, partition_data, register_partition
from social.protocols import PROTOCOLS, Protocol, register_protocol
from social.society import Society
from social.synchrony import (
    PING_PARAMETERS,
    CoupledBrainsResult,
    kuramoto_order_parameter,
    phase_locking_value,
    population_phases,
    simulate_coupled_brains,
    synchrony_sweep,
)

__all__ = [
    "AGENT_TYPES",
    "GRAPHS",
    "PARTITIONS",
    "PING_PARAMETERS",
    "PROTOCOLS",
    "CoupledBrainsResult",
    "Protocol",
    "Society",
    "kuramoto_order_parameter",
    "phase_locking_value",
    "population_phases",
    "simulate_coupled_brains",
    "synchrony_sweep",
    "consensus_error",
    "consensus_time",
    "degroot",
    "empirical_decay_rate",
    "gossip_average",
    "make_graph",
    "metropolis_weights",
    "partition_data",
    "randomized_gossip",
    "register_agent_type",
    "register_graph",
    "register_partition",
    "register_protocol",
    "second_largest_eigenvalue_modulus",
    "spectral_gap",
]
