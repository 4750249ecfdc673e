"""The snn section of docs/extending.md runs as written, and so do the
examples in the docstrings of snn.rules, snn.analysis and snn.circuit."""

from __future__ import annotations

import doctest
import importlib
import pathlib
import re

import pytest

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs" / "extending.md"
HEADING = "## A new plasticity rule for the spiking network (`snn`)"


@pytest.fixture(autouse=True)
def numpy_target(monkeypatch):
    """The examples' networks are tiny: Brian2's numpy target avoids a Cython compile."""
    from snn import _brian

    monkeypatch.setattr(_brian, "_chosen_target", "numpy")


def snn_section() -> str:
    text = DOCS.read_text()
    assert HEADING in text, "docs/extending.md lost the snn section"
    section = text.split(HEADING, 1)[1]
    return re.split(r"\n## ", section, maxsplit=1)[0]


def test_the_snn_section_is_written():
    section = snn_section()
    assert "<!-- snn section -->" not in section
    for name in ("stdp", "stdp_multiplicative", "triplet", "oja", "bcm", "label_gated_stdp"):
        assert f"`{name}`" in section, f"rule {name} is not documented"
    for contract in ("plastic_post", "reward_post", "w : 1", "register_rule", "check()"):
        assert contract in section


def test_the_snn_section_examples_run():
    from snn import RULES

    blocks = re.findall(r"```python\n(.*?)```", snn_section(), flags=re.DOTALL)
    assert len(blocks) >= 3
    # Each block on its own (a fresh namespace: it imports what it uses); the
    # registrations of earlier blocks stay, as in one session, until the end.
    with RULES.restored():
        for block in blocks:
            namespace: dict = {"__name__": "docs_snn"}
            exec(compile(block, f"{DOCS.name} (snn section)", "exec"), namespace)
        assert "nearest_stdp" in RULES
        assert (
            0.0
            <= namespace["classifier"].score(
                namespace["iris"].X_test[:30], namespace["iris"].y_test[:30]
            )
            <= 1.0
        )
    assert "nearest_stdp" not in RULES


@pytest.mark.parametrize("module", ["snn.rules", "snn.analysis", "snn.circuit"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
