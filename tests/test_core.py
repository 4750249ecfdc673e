"""core: the registry, parameter constraints, random-state policy and save/load skeleton."""

from __future__ import annotations

import doctest
import importlib
import inspect
from numbers import Integral, Real

import numpy as np
import pytest

from core.params import (
    Boolean,
    DType,
    Interval,
    KeywordDict,
    NoneOf,
    Options,
    RandomState,
    Registered,
    SizesTuple,
    validate_arguments,
    validate_params,
)
from core.random import check_random_state, check_seed, child_seeds, spawn
from core.registry import Registry, UnknownNameError


@pytest.mark.parametrize(
    "module", ["core.registry", "core.params", "core.random", "core.persistence", "core.archive"]
)
def test_docstring_examples_run(module):
    failures, tried = doctest.testmod(importlib.import_module(module))
    assert tried > 0 and failures == 0


def make_class():
    """A class with the same module and qualified name every time (like a re-run cell)."""

    class Plugin:
        pass

    return Plugin


def test_a_re_run_cell_re_registers_but_another_object_needs_replace():
    registry = Registry("plugin")
    first, again = make_class(), make_class()
    assert first is not again
    registry.register("p", first)
    registry.register("p", again)  # same module and qualified name: a re-run cell
    assert registry["p"] is again

    class Other:
        pass

    with pytest.raises(ValueError, match="different plugin is already registered as 'p'"):
        registry.register("p", Other)
    registry.register("p", Other, replace=True)
    assert registry["p"] is Other


def test_unknown_names_list_the_known_ones_and_are_value_and_key_errors():
    registry = Registry("colour")
    registry.register("red", lambda: "red")
    registry.register("blue", lambda: "blue")
    with pytest.raises(UnknownNameError, match=r"unknown colour='green'; known: \['blue', 'red'\]"):
        registry["green"]
    assert issubclass(UnknownNameError, ValueError) and issubclass(UnknownNameError, KeyError)
    assert "green" not in registry and 3 not in registry and sorted(registry) == ["blue", "red"]


def test_restored_puts_back_added_replaced_and_removed_entries_even_after_an_error():
    registry = Registry("thing")
    original = registry.register("kept", lambda: 1)
    with pytest.raises(RuntimeError), registry.restored():
        registry.register("added", lambda: 2)
        registry.register("kept", lambda: 3, replace=True)
        raise RuntimeError("the block fails")
    assert list(registry) == ["kept"] and registry["kept"] is original
    with registry.restored():
        registry.unregister("kept")
        assert len(registry) == 0
    assert registry["kept"] is original


def test_a_former_name_finds_the_renamed_entry_with_a_warning_and_is_not_listed():
    shapes = Registry("shape")
    shapes.register("square", len)
    shapes.rename("quad", "square")
    assert list(shapes) == ["square"] and len(shapes) == 1 and "quad" in shapes
    with pytest.warns(DeprecationWarning, match="shape 'quad' is now called 'square'"):
        assert shapes["quad"] is len
    with pytest.warns(DeprecationWarning):
        assert shapes.canonical("quad") == "square"
    assert shapes.canonical("square") == "square"  # a current name: no warning
    with shapes.restored():
        shapes.rename("box", "square")
    assert "box" not in shapes and "quad" in shapes
    with pytest.raises(UnknownNameError, match="unknown shape='circle'"):
        shapes.rename("round", "circle")
    with pytest.raises(ValueError, match="'square' is a registered shape"):
        shapes.rename("square", "square")


def test_an_order_key_sets_the_iteration_order_ties_keep_registration_order():
    shelf = Registry("thing", order=lambda entry: entry[0])
    for name, entry in [("c", (2, "c")), ("a", (3, "a")), ("b", (1, "b")), ("d", (2, "d"))]:
        shelf.register(name, entry)
    assert list(shelf) == ["b", "c", "d", "a"]
    assert list(shelf.values()) == [(1, "b"), (2, "c"), (2, "d"), (3, "a")]
    assert list(Registry("plain")) == []


def test_base_class_lazy_import_and_build():
    class Base:
        def __init__(self, size=1):
            self.size = size

    registry = Registry("widget", base=Base, set_name=True)
    with pytest.raises(TypeError, match="subclass of"):
        registry.register("bad", int)

    @registry.register("sub")
    class Sub(Base):
        pass

    assert Sub.name == "sub"
    assert registry.build("sub", {"size": 3}).size == 3
    with pytest.raises(ValueError, match=r"widget_params has \['colour'\].*takes \['size'\]"):
        registry.build("sub", {"colour": 1}, parameter="widget_params")

    lazy = Registry("factory", lazy=True)
    lazy.register("ordered", "collections:OrderedDict")
    import collections

    assert lazy["ordered"] is collections.OrderedDict
    lazy.register("missing", "no_such_module_xyz:Thing")
    with pytest.raises(ImportError, match="factory 'missing' needs 'no_such_module_xyz:Thing'"):
        lazy["missing"]


CONSTRAINTS = {
    "epochs": [Interval(Integral, 1, None)],
    "rate": [Interval(Real, 0, None, closed="neither")],
    "alpha": [Interval(Real, 0, None)],
    "fraction": [Interval(Real, 0, 1, closed="right")],
    "flag": [Boolean()],
    "mode": [Options("fast", "slow")],
    "limit": [NoneOf(), Interval(Integral, 0, None)],
    "sizes": [SizesTuple()],
    "extra": [NoneOf(dict), KeywordDict()],
    "dtype": [DType("float32", "float64")],
    "random_state": [RandomState()],
}
GOOD = dict(
    epochs=np.int64(3),
    rate=0.5,
    alpha=0,
    fraction=1.0,
    flag=np.bool_(True),
    mode="fast",
    limit=None,
    sizes=(4, np.int32(2)),
    extra=None,
    dtype="float32",
    random_state=np.random.default_rng(0),
)


def test_valid_values_come_back_normalised():
    checked = validate_params(CONSTRAINTS, GOOD)
    assert checked["epochs"] == 3 and type(checked["epochs"]) is int
    assert type(checked["alpha"]) is float and checked["flag"] is True
    assert checked["sizes"] == (4, 2) and checked["extra"] == {}
    assert checked["dtype"] == np.dtype(np.float32)
    assert validate_params(CONSTRAINTS, {**GOOD, "sizes": 5})["sizes"] == (5,)
    assert validate_params(CONSTRAINTS, {**GOOD, "sizes": ()})["sizes"] == ()


@pytest.mark.parametrize(
    "name, value, error, message",
    [
        ("epochs", 0, ValueError, "epochs must be a positive integer, got epochs=0"),
        ("epochs", 2.0, TypeError, "epochs must be a positive integer, got epochs=2.0"),
        ("epochs", True, TypeError, "got epochs=True"),
        ("rate", 0.0, ValueError, "rate must be a positive number, got rate=0.0"),
        ("rate", float("nan"), ValueError, "got rate=nan"),
        ("rate", "0.1", TypeError, "rate must be a positive number, got rate='0.1'"),
        ("alpha", -1, ValueError, "alpha must be a non-negative number, got alpha=-1"),
        ("fraction", 0, ValueError, r"fraction must be a number in \(0, 1\], got fraction=0"),
        ("flag", 1, TypeError, "flag must be True or False, got flag=1"),
        (
            "mode",
            "medium",
            ValueError,
            r"mode must be one of \['fast', 'slow'\], got mode='medium'",
        ),
        ("limit", -1, ValueError, "limit must be None or a non-negative integer, got limit=-1"),
        ("sizes", (4, 0), ValueError, r"sizes must be .*, got sizes=\(4, 0\)"),
        ("sizes", "64", ValueError, "sizes"),
        ("sizes", 2.5, TypeError, "sizes"),
        ("extra", {1: 2}, TypeError, "extra must be None or a dict of keyword arguments"),
        ("dtype", "int32", ValueError, "dtype must be float32 or float64, got dtype='int32'"),
        ("random_state", -1, ValueError, "random_state must be None, an int >= 0"),
        ("random_state", "seed", TypeError, "random_state"),
    ],
)
def test_one_message_format_and_one_exception_type_per_kind_of_mistake(name, value, error, message):
    with pytest.raises(error, match=message):
        validate_params(CONSTRAINTS, {**GOOD, name: value})


def test_a_functions_arguments_are_checked_by_name_before_it_runs_and_arrive_normalised():
    calls = []

    @validate_arguments({"n": [Interval(Integral, 1, None)], "rate": [Interval(Real, 0, 1)]})
    def work(label, n=2, *, rate=0.5, **extra):
        calls.append((label, n, rate, extra))
        return n

    assert work("a", np.int64(3), rate=1, colour="red") == 3
    assert calls == [("a", 3, 1.0, {"colour": "red"})]
    assert type(calls[0][1]) is int and type(calls[0][2]) is float
    for kwargs, error, message in [
        ({"n": 0}, ValueError, "n must be a positive integer, got n=0"),
        ({"n": "3"}, TypeError, "n must be a positive integer, got n='3'"),
        ({"rate": 2.0}, ValueError, r"rate must be a number in \[0, 1\], got rate=2.0"),
    ]:
        with pytest.raises(error, match=message):
            work("b", **kwargs)
    assert len(calls) == 1  # refused before the function ran
    assert work.__name__ == "work" and "rate" in str(inspect.signature(work))
    with pytest.raises(TypeError, match=r"has no parameter\(s\) \['m'\]"):
        validate_arguments({"m": [Interval(Integral, 1, None)]})(work)


def test_registered_names_are_checked_against_the_live_registry():
    registry = Registry("shape")
    constraints = {"shape": [Registered(registry)]}
    with pytest.raises(ValueError, match=r"unknown shape='square'; known: \[\]"):
        validate_params(constraints, {"shape": "square"})
    with registry.restored():
        registry.register("square", lambda: None)
        assert validate_params(constraints, {"shape": "square"}) == {"shape": "square"}
    with pytest.raises(TypeError, match="shape must be a registered shape"):
        validate_params(constraints, {"shape": 4})


def test_one_random_state_policy():
    assert check_random_state(3).random() == np.random.default_rng(3).random()
    generator = np.random.default_rng(0)
    assert check_random_state(generator) is generator
    sequence = np.random.SeedSequence(5)
    assert check_random_state(sequence).random() == np.random.default_rng(sequence).random()
    with pytest.raises(TypeError, match="random_state"):
        check_random_state(1.5)
    with pytest.raises(ValueError, match="seed must be an integer in \\[0, 4294967296\\)"):
        check_seed(2**32)
    seeds = child_seeds(11, 50)
    assert seeds == child_seeds(11, 50) and len(set(seeds)) == 50
    assert all(0 <= s < 2**31 for s in seeds)
    # children are those of SeedSequence.spawn, so they match numpy's own spawn
    assert (
        spawn(11, 2)[1].random()
        == np.random.default_rng(np.random.SeedSequence(11).spawn(2)[1]).random()
    )
