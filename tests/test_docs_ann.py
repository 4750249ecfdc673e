"""The ann section of docs/extending.md runs as written, and so do the ann docstring examples."""

from __future__ import annotations

import doctest
import importlib
import pathlib
import re

import pytest

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs" / "extending.md"
HEADING = "## A new learning rule for the MLP (`ann`)"


def ann_section() -> str:
    text = DOCS.read_text()
    assert HEADING in text, "docs/extending.md lost the ann section"
    section = text.split(HEADING, 1)[1]
    return re.split(r"\n## ", section, maxsplit=1)[0]


def test_the_ann_section_is_written():
    section = ann_section()
    assert "<!-- ann section -->" not in section
    for name in (
        "backprop",
        "feedback_alignment",
        "register_rule",
        "register_optimizer",
        "backward_macs",
        "python -m ann.seed_example",
    ):
        assert name in section, f"{name} is not documented"


def test_the_ann_section_examples_run():
    from ann import OPTIMIZERS, RULES

    blocks = re.findall(r"```python\n(.*?)```", ann_section(), flags=re.DOTALL)
    assert len(blocks) == 3
    # the examples register names: leave the registries as they were
    with RULES.restored(), OPTIMIZERS.restored():
        for block in blocks:  # each on its own: a fresh namespace per block
            namespace: dict = {"__name__": "docs_ann"}
            exec(compile(block, f"{DOCS.name} (ann section)", "exec"), namespace)
        assert "direct_feedback_alignment" in RULES and "rmsprop" in OPTIMIZERS
    assert "direct_feedback_alignment" not in RULES and "rmsprop" not in OPTIMIZERS


@pytest.mark.parametrize(
    "module",
    [
        "ann",
        "ann.activations",
        "ann.estimators",
        "ann.mac",
        "ann.optimizers",
        "ann.population",
        "ann.supervised",
        "ann.rules",
    ],
)
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
