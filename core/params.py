"""Declarative parameter validation, in scikit-learn's ``_parameter_constraints`` manner.

A class lists, next to its parameters, what each may be::

    _parameter_constraints = {
        "epochs": [Interval(Integral, 1, None)],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "shuffle": [Boolean()],
        "optimizer": [Registered(OPTIMIZERS)],
    }

and :func:`validate_params` checks them all at once, at the start of ``fit``
(constructors only store parameters). A value passes when any constraint of
its list accepts it. Every failure has the same form,
``"{name} must be {what}, got {name}={value!r}"``, and one exception type per
kind of mistake:

* ``TypeError`` when no constraint accepts the value's *type* (a string for
  ``epochs``), and
* ``ValueError`` when a constraint accepts the type but not the value
  (``epochs=0``, an unknown registered name).

:func:`validate_params` returns the values normalised by the constraint that
accepted them (``int``, ``float``, ``bool``, a tuple of sizes, a ``numpy``
dtype), so the caller works with clean values.

Examples
--------
>>> from numbers import Integral, Real
>>> constraints = {"epochs": [Interval(Integral, 1, None)], "rate": [Interval(Real, 0, 1)]}
>>> validate_params(constraints, {"epochs": 3, "rate": 0.5})
{'epochs': 3, 'rate': 0.5}
>>> validate_params(constraints, {"epochs": 0, "rate": 0.5})
Traceback (most recent call last):
...
ValueError: epochs must be a positive integer, got epochs=0
>>> validate_params(constraints, {"epochs": "3", "rate": 0.5})
Traceback (most recent call last):
...
TypeError: epochs must be a positive integer, got epochs='3'
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from collections.abc import Mapping

import numpy as np

__all__ = [
    "Boolean",
    "Constraint",
    "DType",
    "InstanceOf",
    "Interval",
    "KeywordDict",
    "NoneOf",
    "Options",
    "RandomState",
    "Registered",
    "SizesTuple",
    "short_repr",
    "validate_arguments",
    "validate_params",
]

#: Marks "no normalised value" from :meth:`Constraint.accept`.
_REJECT = object()


def short_repr(value) -> str:
    """``repr(value)``, cut to 80 characters for messages."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _is_bool(value) -> bool:
    return isinstance(value, (bool, np.bool_))


class Constraint:
    """One thing a parameter may be.

    Subclasses implement :meth:`type_ok` (is the value of a type this
    constraint is about?), :meth:`accept` (the normalised value, or raise
    ``ValueError`` with the reason) and :attr:`description` (words after
    "must be").
    """

    description = "valid"

    def type_ok(self, value) -> bool:
        raise NotImplementedError

    def accept(self, value):
        return value

    def rejection(self, name: str, value) -> str | None:
        """A message of its own for a value of the right type that is refused (or None)."""
        return None


class NoneOf(Constraint):
    """``None`` (and only None); normalised to ``default()`` (e.g. ``dict``) or None."""

    def __init__(self, default=None):
        self.default = default
        self.description = "None"

    def type_ok(self, value) -> bool:
        return value is None

    def accept(self, value):
        return None if self.default is None else self.default()


class Boolean(Constraint):
    """True or False (numpy booleans too); normalised to ``bool``."""

    description = "True or False"

    def type_ok(self, value) -> bool:
        return _is_bool(value)

    def accept(self, value):
        return bool(value)


class Interval(Constraint):
    """A real or integral number in an interval; booleans are not numbers here.

    Parameters
    ----------
    kind : numbers.Integral or numbers.Real
    left, right : number or None
        Bounds (None: unbounded on that side).
    closed : {"left", "right", "both", "neither"}, default "both"
        Which bounds belong to the interval.
    """

    def __init__(self, kind, left, right, *, closed: str = "both"):
        if kind not in (numbers.Integral, numbers.Real):
            raise TypeError(f"kind must be numbers.Integral or numbers.Real, got {kind!r}")
        if closed not in ("left", "right", "both", "neither"):
            raise ValueError(f"closed must be left, right, both or neither, got {closed!r}")
        self.kind, self.left, self.right, self.closed = kind, left, right, closed
        low = "[" if closed in ("left", "both") and left is not None else "("
        high = "]" if closed in ("right", "both") and right is not None else ")"
        span = f"{low}{'-inf' if left is None else left}, {'inf' if right is None else right}{high}"
        noun = "integer" if kind is numbers.Integral else "number"
        if right is None and left == 0:
            positive = closed in ("right", "neither")
            self.description = f"a {'positive' if positive else 'non-negative'} {noun}"
        elif right is None and left == 1 and kind is numbers.Integral and closed != "neither":
            self.description = "a positive integer"
        else:
            self.description = (
                f"{'an integer' if kind is numbers.Integral else 'a number'} in {span}"
            )

    def type_ok(self, value) -> bool:
        return not _is_bool(value) and isinstance(value, self.kind)

    def accept(self, value):
        number = int(value) if self.kind is numbers.Integral else float(value)
        if isinstance(number, float) and not math.isfinite(number):
            raise ValueError
        if self.left is not None and (
            number < self.left or (number == self.left and self.closed in ("right", "neither"))
        ):
            raise ValueError
        if self.right is not None and (
            number > self.right or (number == self.right and self.closed in ("left", "neither"))
        ):
            raise ValueError
        return number


class Options(Constraint):
    """One of a fixed set of values of type ``kind`` (strings by default)."""

    def __init__(self, *options, kind=str):
        self.options, self.kind = options, kind
        self.description = f"one of {list(options)}"

    def type_ok(self, value) -> bool:
        return isinstance(value, self.kind)

    def accept(self, value):
        if value not in self.options:
            raise ValueError
        return value


class Registered(Constraint):
    """A name in a :class:`core.registry.Registry` or another mapping (the message lists them)."""

    def __init__(self, registry):
        self.registry = registry

    @property
    def description(self) -> str:
        kind = getattr(self.registry, "kind", "name")
        return f"a registered {kind} (known: {sorted(self.registry)})"

    def type_ok(self, value) -> bool:
        return isinstance(value, str)

    def accept(self, value):
        if value not in self.registry:
            raise ValueError
        return value

    def rejection(self, name: str, value) -> str:
        return f"unknown {name}={short_repr(value)}; known: {sorted(self.registry)}"


class InstanceOf(Constraint):
    """An instance of ``types``, kept as it is."""

    def __init__(self, *types, description: str | None = None):
        self.types = types
        self.description = description or "an instance of " + " or ".join(t.__name__ for t in types)

    def type_ok(self, value) -> bool:
        return isinstance(value, self.types)


class SizesTuple(Constraint):
    """A positive int or a sequence of positive ints (``()`` allowed); normalised to a tuple."""

    description = "a positive int or a sequence of positive ints"

    def type_ok(self, value) -> bool:
        if _is_bool(value) or isinstance(value, (str, bytes)):
            return isinstance(value, (str, bytes))  # iterable, but "" is no layer list
        if isinstance(value, numbers.Integral):
            return True
        try:
            iter(value)
        except TypeError:
            return False
        return True

    def accept(self, value):
        if isinstance(value, (str, bytes)):
            raise ValueError
        sizes = (value,) if isinstance(value, numbers.Integral) else tuple(value)
        for size in sizes:
            if _is_bool(size) or not isinstance(size, numbers.Integral) or size <= 0:
                raise ValueError
        return tuple(int(size) for size in sizes)


class KeywordDict(Constraint):
    """A dict of keyword arguments (str keys); normalised to a new dict."""

    description = "a dict of keyword arguments"

    def type_ok(self, value) -> bool:
        return isinstance(value, Mapping) and all(isinstance(key, str) for key in value)

    def accept(self, value):
        return dict(value)


class DType(Constraint):
    """One of the given numpy dtypes, by name or dtype; normalised to ``numpy.dtype``."""

    def __init__(self, *dtypes):
        self.dtypes = tuple(np.dtype(d) for d in dtypes)
        self.description = " or ".join(d.name for d in self.dtypes)

    def type_ok(self, value) -> bool:
        return isinstance(value, (str, np.dtype, type))

    def accept(self, value):
        try:
            dtype = np.dtype(value)
        except TypeError:
            raise ValueError from None
        if dtype not in self.dtypes:
            raise ValueError
        return dtype


class RandomState(Constraint):
    """None, an int >= 0, a ``SeedSequence`` or a ``Generator`` (see :mod:`core.random`)."""

    description = "None, an int >= 0, a numpy SeedSequence or a numpy Generator"

    def type_ok(self, value) -> bool:
        return value is None or (
            not _is_bool(value)
            and isinstance(value, (numbers.Integral, np.random.SeedSequence, np.random.Generator))
        )

    def accept(self, value):
        if isinstance(value, numbers.Integral) and value < 0:
            raise ValueError
        return value


def validate_params(constraints: Mapping[str, list], values: Mapping[str, object]) -> dict:
    """Check ``values`` against ``constraints``; return them normalised.

    Parameters
    ----------
    constraints : dict of name -> list of :class:`Constraint`
        A value passes when any constraint of its list accepts it.
        Parameters without an entry pass unchecked.
    values : dict of name -> value
        E.g. ``estimator.get_params(deep=False)``.

    Raises
    ------
    TypeError
        No constraint is about the value's type.
    ValueError
        A constraint is about the value's type, but the value is out of range.
    """
    checked = dict(values)
    for name, options in constraints.items():
        if name not in values:
            continue
        checked[name] = check_param(name, values[name], options)
    return checked


def validate_arguments(constraints: Mapping[str, list]):
    """Decorator: a function's arguments checked against ``constraints`` before it runs.

    What :func:`validate_params` does for an estimator's parameters, for a
    function's (scikit-learn's ``validate_params`` decorator plays this part
    there): the call's arguments, defaults included, are checked by name, and
    the function receives them normalised.

    Examples
    --------
    >>> from numbers import Integral
    >>> @validate_arguments({"n": [Interval(Integral, 1, None)]})
    ... def repeat(text, n=2):
    ...     return text * n
    >>> repeat("ab", n=3)
    'ababab'
    >>> repeat("ab", n=0)
    Traceback (most recent call last):
    ...
    ValueError: n must be a positive integer, got n=0
    """

    def decorate(function):
        signature = inspect.signature(function)
        unknown = sorted(set(constraints) - set(signature.parameters))
        if unknown:
            raise TypeError(f"{function.__qualname__} has no parameter(s) {unknown}")

        @functools.wraps(function)
        def checked(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            for name, options in constraints.items():
                bound.arguments[name] = check_param(name, bound.arguments[name], options)
            return function(*bound.args, **bound.kwargs)

        return checked

    return decorate


def check_param(name: str, value, options: list):
    """Check one parameter against its list of constraints (see :func:`validate_params`)."""
    refused_by = []
    for constraint in options:
        if constraint.type_ok(value):
            try:
                return constraint.accept(value)
            except (ValueError, TypeError, OverflowError):
                refused_by.append(constraint)
    # a constraint with a message of its own (a registry listing its names) speaks alone
    messages = [m for m in (c.rejection(name, value) for c in refused_by) if m]
    if len(messages) == 1:
        raise ValueError(messages[0])
    what = " or ".join(c.description for c in options)
    error = ValueError if refused_by else TypeError
    raise error(f"{name} must be {what}, got {name}={short_repr(value)}")


def store_parameters(estimator, arguments: Mapping) -> None:
    """The whole body of a scikit-learn constructor: store every parameter of its signature.

    Called as ``store_parameters(self, locals())``; the names come from the
    signature (``get_params`` reads the same), so nothing is validated or
    changed here: that happens in ``fit``.
    """
    for name in estimator._get_param_names():
        setattr(estimator, name, arguments[name])


def with_defaults(init, **defaults):
    """A copy of the constructor ``init`` whose parameters named in ``defaults`` default to those values.

    scikit-learn reads an estimator's parameters and their defaults from its
    ``__init__`` signature; a sibling that differs only in defaults declares
    just those (``__init__ = with_defaults(Base.__init__, n_neurons=100)``)
    and keeps one signature and one body.

    >>> def init(self, size=1, *, rate=0.5):
    ...     return size, rate
    >>> import inspect
    >>> str(inspect.signature(with_defaults(init, rate=0.1)))
    '(self, size=1, *, rate=0.1)'
    """
    import types

    code = init.__code__
    positional = code.co_varnames[: code.co_argcount]
    positional_defaults = list(init.__defaults__ or ())
    keyword_defaults = dict(init.__kwdefaults__ or {})
    first = len(positional) - len(positional_defaults)
    unknown = sorted(set(defaults) - set(positional[first:]) - set(keyword_defaults))
    if unknown:
        raise TypeError(f"{init.__qualname__} has no parameter(s) with a default named {unknown}")
    for index, name in enumerate(positional[first:]):
        positional_defaults[index] = defaults.get(name, positional_defaults[index])
    copy = types.FunctionType(
        code, init.__globals__, init.__name__, tuple(positional_defaults), init.__closure__
    )
    copy.__kwdefaults__ = {
        name: defaults.get(name, value) for name, value in keyword_defaults.items()
    }
    copy.__qualname__, copy.__doc__, copy.__module__ = (
        init.__qualname__,
        init.__doc__,
        init.__module__,
    )
    return copy
