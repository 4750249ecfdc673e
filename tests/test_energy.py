"""Cost tables and pricing (core.energy) and the count table (core.opcounts)."""

import numpy as np
import pandas as pd
import pytest

from core.energy import (
    COST_TABLES,
    CostTable,
    get_cost_table,
    price,
    register_cost_table,
    total_joules,
)
from core.opcounts import CATEGORIES, OpCounter, cost_table, mlp_counts, spiking_counts


def test_horowitz_tables_carry_the_published_primitives():
    # Horowitz (ISSCC 2014), 45 nm: fp32 add 0.9 pJ, multiply 3.7 pJ; int8 add
    # 0.03 pJ, multiply 0.2 pJ; 64-bit read of a 32 KB SRAM 20 pJ.
    fp32, int8 = get_cost_table("horowitz45_fp32"), get_cost_table("horowitz45_int8")
    assert fp32.energy_pj["macs"] == pytest.approx(4.6)
    assert fp32.energy_pj["synaptic_ops"] == pytest.approx(0.9)
    assert fp32.energy_pj["memory_reads"] == pytest.approx(20.0 / 2)
    assert int8.energy_pj["macs"] == pytest.approx(0.23)
    assert int8.energy_pj["synaptic_ops"] == pytest.approx(0.03)
    assert int8.energy_pj["memory_reads"] == pytest.approx(20.0 / 8)
    # seven multiplies and eleven adds per neuron update (Euler step of 4 variables)
    assert fp32.energy_pj["neuron_updates"] == pytest.approx(7 * 3.7 + 11 * 0.9)
    arithmetic = get_cost_table("horowitz45_fp32_arithmetic")
    assert arithmetic.energy_pj["memory_reads"] == 0.0
    assert arithmetic.energy_pj["macs"] == fp32.energy_pj["macs"]


def test_loihi_table_carries_davies_2018_figures():
    loihi = get_cost_table("loihi")
    assert loihi.energy_pj["synaptic_ops"] == 23.6
    assert loihi.energy_pj["plasticity_updates"] == 120.0
    assert loihi.energy_pj["neuron_updates"] == 52.0
    assert "Davies" in loihi.source and "Not modelled" in loihi.caption()


def test_price_is_counts_times_the_table_for_every_row_and_table():
    counts = pd.DataFrame(
        {
            "phase": ["train", "train", "inference", "train"],
            "category": ["macs", "memory_reads", "synaptic_ops", "macs_dense"],
            "count": [10, 7, 3, 99],
        }
    )
    priced = price(counts, ["horowitz45_fp32", "loihi"])
    assert "macs_dense" not in set(priced["category"])  # reference counts are never priced
    for table in ("horowitz45_fp32", "loihi"):
        rows = priced[priced["table"] == table]
        energy = get_cost_table(table).energy_pj
        expected = [10 * energy["macs"], 7 * energy["memory_reads"], 3 * energy["synaptic_ops"]]
        np.testing.assert_allclose(rows["energy_pj"], expected)
        np.testing.assert_allclose(rows["joules"], np.array(expected) * 1e-12)
    totals = total_joules(counts, ["horowitz45_fp32", "loihi"], phase="train")
    assert totals["loihi"] == pytest.approx(10 * 23.6e-12)
    assert totals["horowitz45_fp32"] == pytest.approx((10 * 4.6 + 7 * 10) * 1e-12)


def test_price_refuses_unknown_categories_and_tables():
    counts = pd.DataFrame({"phase": ["train"], "category": ["flops"], "count": [1]})
    with pytest.raises(ValueError, match="flops"):
        price(counts, "horowitz45_fp32")
    good = pd.DataFrame({"phase": ["train"], "category": ["macs"], "count": [1]})
    with pytest.raises(ValueError, match="known"):
        price(good, "no_such_chip")
    with pytest.raises(TypeError, match="DataFrame"):
        price({"macs": 1}, "loihi")
    with pytest.raises(ValueError, match="phase"):
        total_joules(good, "loihi", phase="test")


def test_a_user_registers_a_table_and_prices_with_it():
    @register_cost_table("test_chip_everything_1pj")
    def chip():
        return CostTable(
            "test_chip_everything_1pj", {c: 1.0 for c in CATEGORIES}, "test", "1 pJ each"
        )

    try:
        counts = pd.DataFrame(
            {"phase": ["train"] * 2, "category": ["macs", "readout"], "count": [3, 4]}
        )
        assert total_joules(counts, "test_chip_everything_1pj").iloc[0] == pytest.approx(7e-12)
        with pytest.raises(ValueError, match="already registered"):

            @register_cost_table("test_chip_everything_1pj")
            def other():  # another function under the same name
                return chip()
    finally:
        del COST_TABLES["test_chip_everything_1pj"]


def test_a_table_must_price_every_category_with_a_non_negative_number():
    energy = {c: 1.0 for c in CATEGORIES}
    with pytest.raises(ValueError, match="missing"):
        CostTable("t", {k: v for k, v in energy.items() if k != "macs"}, "s", "d")
    with pytest.raises(ValueError, match="macs"):
        CostTable("t", {**energy, "macs": -1.0}, "s", "d")


def test_counter_accumulates_per_agent_and_refuses_bad_counts():
    counter = OpCounter(3)
    counter.add("macs", [1, 2, 3])
    counter.add("macs", 1)
    assert counter.totals["macs"].tolist() == [2, 3, 4]
    with pytest.raises(ValueError, match="unknown operation category"):
        counter.add("flops", 1)
    with pytest.raises(ValueError, match="non-negative"):
        counter.add("macs", -1)
    with pytest.raises(ValueError, match="whole"):
        counter.add("macs", 0.5)
    table = cost_table(counter, counter, agents=True)
    assert list(table.columns) == ["agent", "phase", "category", "count"]
    assert table["phase"].tolist() == ["train"] * 3 + ["inference"] * 3
    single = cost_table(OpCounter(1))
    assert list(single.columns) == ["phase", "category", "count"] and single.empty


def test_mlp_counts_of_a_hand_worked_example():
    # Layers 3 -> 2 -> 1, two samples. Inputs [1, 0, 2] and [0, 0, 0]:
    # 2 non-zero inputs; hidden outputs non-zero 1 + 0 times.
    counts = mlp_counts(
        (3, 2, 1),
        2,
        [2, 1],
        backward={"delta_nonzero": [1, 2], "outer_nonzero": [2 * 1 + 0 * 0, 1 * 1 + 0 * 1]},
        dense_backward_macs_per_row=3 * 2 + 2 * 1 + 2 * 1,
        n_steps=1,
        n_parameters=3 * 2 + 2 * 1 + 2 + 1,
        optimizer_state_words=2,
    )
    assert counts["macs"] == 2 * 2 + 1 * 1
    assert counts["macs_dense"] == 2 * (3 * 2 + 2 * 1)
    # weight gradients 2 + 1, error sent back from the output: 2 errors x 2 inputs
    assert counts["macs_backward"] == 3 + 2 * 2
    assert counts["plasticity_updates"] == 11
    assert counts["activations"] == 2 * 3


def test_spiking_counts_of_a_hand_worked_example():
    counts = spiking_counts(
        n_inputs=4,
        n_neurons=3,
        n_presented=2,
        window_steps=10,
        presentation_steps=6,
        input_spikes=5,
        output_spikes=2,
        plastic_windows=1,
        plastic_input_spikes=3,
        plastic_output_spikes=1,
        pre_pathway=(3, 2),
        post_pathway=None,
    )
    assert counts["synaptic_ops"] == 5 * 3 + 2 * 2
    assert counts["neuron_updates"] == 2 * 10 * 3
    assert counts["plasticity_updates"] == 3 * 3  # no on_post code: post spikes cost nothing
    assert counts["normalisation"] == 4 * 3
    assert counts["encoding_draws"] == 2 * 4 * 6
    assert counts["synaptic_ops_dense"] == 2 * 10 * (4 * 3 + 3 * 2)
