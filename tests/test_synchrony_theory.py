"""brain_synchrony's theory: the master-stability eigenratio and the verdict its summary prints."""

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from experiments.brain_synchrony import laplacian_eigenratio, theory_verdict


@pytest.mark.parametrize("n", [6, 16, 17])
def test_eigenratio_of_a_ring_and_a_complete_graph(n):
    # ring: eigenvalues of I - D^-1 A are 1 - cos(2 pi k / n); the largest is
    # 2 for even n and 1 - cos(pi (n - 1) / n) for odd n
    largest = 2.0 if n % 2 == 0 else 1 - np.cos(np.pi * (n - 1) / n)
    expected = largest / (1 - np.cos(2 * np.pi / n))
    assert laplacian_eigenratio(nx.cycle_graph(n)) == pytest.approx(expected)
    assert laplacian_eigenratio(nx.complete_graph(n)) == pytest.approx(1.0)


def test_a_disconnected_graph_never_synchronises():
    graph = nx.disjoint_union(nx.complete_graph(3), nx.complete_graph(3))
    assert laplacian_eigenratio(graph) == np.inf


def table(critical):
    return pd.DataFrame(
        {
            "topology": ["complete", "small_world", "ring"],
            "laplacian_eigenratio": [1.0, 5.0, 26.0],
            "critical_coupling_mv": critical,
        }
    )


def test_verdict_follows_the_measured_ordering():
    assert "the ordering agrees" in theory_verdict(table([2.0, 5.0, 9.0]))
    falling = theory_verdict(table([9.0, 5.0, 2.0]))
    assert "does not hold" in falling and "Spearman -1.00" in falling
    # the complete graph (smallest ratio) locking after the small world: no agreement
    mixed = theory_verdict(table([6.0, 5.0, 9.0]))
    assert "does not follow" in mixed and "agrees" not in mixed
    assert "too few" in theory_verdict(table([np.nan, np.nan, 2.0]))
