"""The social section of docs/extending.md runs as written, and so do the
examples in the social package's docstrings."""

from __future__ import annotations

import doctest
import importlib
import pathlib
import re

import pytest

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs" / "extending.md"
HEADING = "## A new interaction protocol for the society (`social`)"


def social_section() -> str:
    text = DOCS.read_text()
    assert HEADING in text, "docs/extending.md lost the social section"
    section = text.split(HEADING, 1)[1]
    return re.split(r"\n## ", section, maxsplit=1)[0]


def test_the_social_section_is_written():
    section = social_section()
    assert "<!-- social section -->" not in section
    for name in ("isolated", "teach", "gossip", "distill", "consensus_vote"):
        assert f"`{name}`" in section, f"protocol {name} is not documented"


def test_the_social_section_examples_run():
    from social.agents import AGENT_DEFAULTS, AGENT_TYPES
    from social.protocols import PROTOCOLS

    blocks = re.findall(r"```python\n(.*?)```", social_section(), flags=re.DOTALL)
    assert len(blocks) >= 3
    # the examples register names: leave the registries as they were
    with PROTOCOLS.restored(), AGENT_TYPES.restored(), AGENT_DEFAULTS.restored():
        for block in blocks:  # each on its own: a fresh namespace per block
            namespace: dict = {"__name__": "docs_social"}
            exec(compile(block, f"{DOCS.name} (social section)", "exec"), namespace)
        assert "pairwise_teach" in PROTOCOLS and "centroid" in AGENT_TYPES
    assert "pairwise_teach" not in PROTOCOLS and "centroid" not in AGENT_DEFAULTS


@pytest.mark.parametrize(
    "module",
    [
        "social",
        "social.agents",
        "social.graphs",
        "social.partitions",
        "social.protocols",
        "social.metrics",
        "social.society",
    ],
)
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
