"""Every experiment's settings are checked when they are built: a wrong value is refused
with its name and value, before any work (``experiments._base.Presets``)."""

import dataclasses

import pytest

from core.params import Boolean
from experiments import EXPERIMENTS, SHARED_CONSTRAINTS
from experiments.cli import main

# The shipped experiments (tests register probes of their own in the same registry).
SHIPPED = sorted(n for n in EXPERIMENTS if EXPERIMENTS[n].run.__module__ == f"experiments.{n}")
CHECKED = [
    (name, field.name)
    for name in SHIPPED
    for field in dataclasses.fields(EXPERIMENTS[name].settings)
    if field.name in {**SHARED_CONSTRAINTS, **EXPERIMENTS[name].settings.CONSTRAINTS}
]


@pytest.mark.parametrize("name", SHIPPED)
def test_both_presets_satisfy_their_constraints(name):
    settings = EXPERIMENTS[name].settings
    settings.quick()
    settings.full()


def test_every_experiment_checks_its_counts():
    # the shared vocabulary is checked in every experiment that uses it
    assert {"n_seeds", "n_test"} <= {field for _, field in CHECKED}
    assert len(SHIPPED) == 13 and {name for name, _ in CHECKED} == set(SHIPPED)


@pytest.mark.parametrize("name, field", CHECKED)
def test_a_negative_value_or_a_string_is_refused_naming_the_setting(name, field):
    settings = EXPERIMENTS[name].settings
    quick = settings.quick()
    constraints = {**SHARED_CONSTRAINTS, **settings.CONSTRAINTS}[field]
    # no count, fraction, duration, tolerance or score target may be negative; a flag
    # is not a number at all
    error = TypeError if all(isinstance(c, Boolean) for c in constraints) else ValueError
    with pytest.raises(error, match=f"^{field} must be .*, got {field}=-1$"):
        dataclasses.replace(quick, **{field: -1})
    with pytest.raises(TypeError, match=f"^{field} must be .*, got {field}='3'$"):
        dataclasses.replace(quick, **{field: "3"})


def test_boundaries_follow_the_declared_intervals():
    quick = EXPERIMENTS["learning_curves"].settings.quick()
    assert dataclasses.replace(quick, n_test=None, target=1.0).target == 1.0
    with pytest.raises(ValueError, match=r"target must be a number in \(0, 1\], got target=0"):
        dataclasses.replace(quick, target=0)
    with pytest.raises(TypeError, match="n_seeds must be a positive integer, got n_seeds=2.0"):
        dataclasses.replace(quick, n_seeds=2.0)


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["run", "learning_curves", "--quick", "--set", "n_seeds=0"],
            "n_seeds must be a positive integer, got n_seeds=0",
        ),
        (
            ["sweep", "brain_synchrony", "--quick", "--seeds", "0", "--set", "duration_ms=0,800"],
            "duration_ms must be a positive number, got duration_ms=0.0",
        ),
    ],
)
def test_the_command_line_refuses_a_bad_setting_before_writing_anything(
    tmp_path, capsys, argv, message
):
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and message in error[0]
    assert not (tmp_path / "out").exists()
