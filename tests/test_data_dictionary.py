"""docs/metrics.md is what experiments/columns.py generates, and covers every experiment.

(Every metrics.csv written under a test's tmp_path is checked against the same
declarations by the autouse fixture in tests/conftest.py.)
"""

from pathlib import Path

import experiments
from experiments.columns import COLUMNS, check_columns, data_dictionary

DOCS = Path(__file__).resolve().parents[1] / "docs" / "metrics.md"


def test_the_document_is_generated_from_the_declarations():
    assert DOCS.read_text() == data_dictionary(), (
        "docs/metrics.md is stale: python -m experiments columns > docs/metrics.md"
    )


def test_the_command_prints_the_document(capsys):
    from experiments.cli import main

    assert main(["columns"]) == 0
    assert capsys.readouterr().out == DOCS.read_text()


def test_every_built_in_experiment_declares_its_columns():
    built_in = [
        e.name
        for e in experiments.EXPERIMENTS.values()
        if e.run.__module__.startswith("experiments.")
    ]
    undeclared = sorted(
        name
        for name in built_in
        if name not in COLUMNS and experiments.EXPERIMENTS[name].columns is None
    )
    assert built_in and not undeclared, (
        f"experiments without a data dictionary: {undeclared}; declare their metrics.csv "
        "columns in experiments/columns.py (or register_experiment(columns=...)) and "
        "regenerate docs/metrics.md"
    )
    for name in COLUMNS:
        assert name in experiments.EXPERIMENTS
        for column, spec in COLUMNS[name].items():
            assert spec.meaning, (name, column)
            if spec.low is not None and spec.high is not None:
                assert spec.low < spec.high


def test_a_column_not_declared_is_caught():
    check_columns("rule_zoo", list(COLUMNS["rule_zoo"]))
    try:
        check_columns("rule_zoo", [*COLUMNS["rule_zoo"], "surprise"])
    except AssertionError as error:
        assert "surprise" in str(error) and "docs/metrics.md" in str(error)
    else:
        raise AssertionError("an undeclared column went unnoticed")
