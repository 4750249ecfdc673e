"""One registry type for every plugin table of the project.

Learning rules, optimizers, activations, encoders, readouts, protocols,
partitions, graphs, agent types, tasks and experiments are all kept in a
:class:`Registry`: a read-only mapping from names to objects, filled by a
decorator.

One policy for a name seen twice
    Registering the *same* object again (the same module and qualified name,
    as when a notebook cell that defines and registers a class is run again)
    replaces the entry silently. A *different* object under a taken name
    raises ``ValueError`` unless ``replace=True`` is passed.

One lookup
    ``registry[name]`` returns the entry; an unknown name raises
    :class:`UnknownNameError` (a ``ValueError`` and a ``KeyError``) listing
    the known names. An entry registered as a ``"module:attribute"`` string
    (``lazy=True`` registries) is imported on first lookup.

Former names
    ``registry.rename(old, new)`` keeps ``old`` as a recognised former name
    of the entry registered as ``new``: looking it up (``registry[old]``,
    :meth:`canonical`) returns ``new``'s entry with a one-line
    ``DeprecationWarning`` naming ``new``, and ``old in registry`` holds, so
    saved models and scripts using the old name still load. Listings
    (iteration, ``len``, messages) show current names only.

Restoring for tests and documentation
    ``with registry.restored(): ...`` puts the registry back as it was when
    the block ends, whatever was registered or replaced inside it.

Examples
--------
>>> from core.registry import Registry
>>> SHAPES = Registry("shape")
>>> @SHAPES.register("square")
... def square(side):
...     return side * side
>>> SHAPES["square"](3)
9
>>> with SHAPES.restored():
...     _ = SHAPES.register("circle", lambda radius: 3.14159 * radius**2)
...     sorted(SHAPES)
['circle', 'square']
>>> sorted(SHAPES)
['square']
>>> SHAPES["hexagon"]
Traceback (most recent call last):
...
core.registry.UnknownNameError: unknown shape='hexagon'; known: ['square']
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

__all__ = ["Registry", "UnknownNameError", "accepted_keywords", "identity_of"]

T = TypeVar("T")
_MISSING = object()


class UnknownNameError(ValueError, KeyError):
    """A name that is not registered; the message lists the known names."""

    __str__ = BaseException.__str__  # not KeyError's quoted repr


def identity_of(entry) -> Any:
    """What makes two registrations "the same object" (survives re-running a cell)."""
    module = getattr(entry, "__module__", None)
    qualname = getattr(entry, "__qualname__", None)
    if isinstance(module, str) and isinstance(qualname, str) and "<lambda>" not in qualname:
        return (module, qualname)
    if isinstance(entry, tuple):  # e.g. an (function, derivative) pair
        return tuple(identity_of(item) for item in entry)
    return id(entry) if not isinstance(entry, str) else entry


class Registry(Mapping[str, T], Generic[T]):
    """A name -> object table filled by :meth:`register` (see the module docstring).

    Parameters
    ----------
    kind : str
        What the entries are, for messages ("learning rule", "encoding").
    base : type, optional
        Entries must be subclasses of ``base`` (checked at registration).
    set_name : bool, default False
        Set ``entry.name = name`` on registration (for classes that report
        the name they were registered under).
    lazy : bool, default False
        Accept ``"module:attribute"`` strings, imported on first lookup.
    identity : callable, optional
        What makes two entries "the same" for the re-registration policy
        (default: module and qualified name, else the object itself).
    order : callable, optional
        Sort key of an entry: names are iterated by it (ties, and every name
        without it, in registration order), so modules may register in any
        order while the listing keeps the one the entries declare.
    """

    def __init__(
        self,
        kind: str,
        *,
        base: type | None = None,
        set_name: bool = False,
        lazy: bool = False,
        identity: Callable[[Any], Any] | None = None,
        order: Callable[[Any], Any] | None = None,
    ):
        self.kind = kind
        self.order = order
        self.base = base
        self.set_name = set_name
        self.lazy = lazy
        self.identity = identity or identity_of
        self._entries: dict[str, Any] = {}
        self._former: dict[str, str] = {}

    # -- registration ---------------------------------------------------------------------

    def register(self, name: str, entry=_MISSING, *, replace: bool = False):
        """Register ``entry`` under ``name``; without ``entry``, a decorator doing so.

        Raises
        ------
        TypeError
            ``name`` is not a non-empty string, or ``entry`` is not a
            subclass of the registry's ``base``.
        ValueError
            Another object is registered under ``name`` and ``replace`` is False.
        """
        if not isinstance(name, str) or not name:
            raise TypeError(f"a {self.kind} name must be a non-empty str, got name={name!r}")

        def decorator(entry):
            self._check_entry(name, entry)
            previous = self._entries.get(name, _MISSING)
            if previous is not _MISSING and not replace and not self._same(previous, entry):
                raise ValueError(
                    f"a different {self.kind} is already registered as {name!r} "
                    f"({_describe(previous)}); choose another name or pass replace=True"
                )
            if self.set_name and isinstance(entry, type):
                entry.name = name
            self._entries[name] = entry
            return entry

        return decorator if entry is _MISSING else decorator(entry)

    def _same(self, previous, entry) -> bool:
        if previous is entry:
            return True
        if isinstance(previous, str) or isinstance(entry, str):
            return previous == entry
        return self.identity(previous) == self.identity(entry)

    def _check_entry(self, name: str, entry) -> None:
        if self.lazy and isinstance(entry, str):
            if ":" not in entry:
                raise TypeError(
                    f"{self.kind} {name!r}: an import path must read 'module:attribute', "
                    f"got {entry!r}"
                )
            return
        if self.base is not None and not (isinstance(entry, type) and issubclass(entry, self.base)):
            raise TypeError(
                f"{self.kind} {name!r} must be a subclass of "
                f"{self.base.__module__}.{self.base.__qualname__}, got {entry!r}"
            )

    def rename(self, old: str, new: str) -> None:
        """Keep ``old`` as a recognised former name of the entry registered as ``new``.

        Raises
        ------
        UnknownNameError
            ``new`` is not registered.
        ValueError
            ``old`` is the name of a registered entry.
        """
        self._unknown_check(new)
        if old in self._entries:
            raise ValueError(
                f"{old!r} is a registered {self.kind}; it cannot also be a former name of {new!r}"
            )
        self._former[old] = new

    def canonical(self, name):
        """The current name for ``name``: ``name`` itself, or the name a former name was
        renamed to (with a ``DeprecationWarning``)."""
        if isinstance(name, str) and name not in self._entries and name in self._former:
            new = self._former[name]
            warnings.warn(
                f"{self.kind} {name!r} is now called {new!r}; use {new!r} (the old name is "
                "only recognised so that saved models and scripts keep working)",
                DeprecationWarning,
                stacklevel=3,
            )
            return new
        return name

    def unregister(self, name: str) -> None:
        """Remove ``name`` (an unknown name raises :class:`UnknownNameError`)."""
        self._unknown_check(name)
        del self._entries[name]

    @contextlib.contextmanager
    def restored(self):
        """Context manager: the registry is put back as it was when the block ends."""
        saved, former = dict(self._entries), dict(self._former)
        try:
            yield self
        finally:
            self._entries.clear()
            self._entries.update(saved)
            self._former.clear()
            self._former.update(former)

    # -- lookup ---------------------------------------------------------------------------

    def _unknown_check(self, name) -> None:
        if not isinstance(name, str) or name not in self._entries:
            raise UnknownNameError(f"unknown {self.kind}={name!r}; known: {sorted(self._entries)}")

    def __getitem__(self, name: str) -> T:
        name = self.canonical(name)
        self._unknown_check(name)
        entry = self._entries[name]
        if self.lazy and isinstance(entry, str):
            module_name, _, attribute = entry.partition(":")
            try:
                entry = getattr(importlib.import_module(module_name), attribute)
            except (ImportError, AttributeError) as error:
                raise ImportError(
                    f"{self.kind} {name!r} needs {self._entries[name]!r}, which cannot be "
                    f"imported: {error}"
                ) from error
            self._check_entry(name, entry)
            self._entries[name] = entry
        return entry

    def __contains__(self, name) -> bool:
        return isinstance(name, str) and (name in self._entries or name in self._former)

    def __iter__(self) -> Iterator[str]:
        if self.order is None:
            return iter(self._entries)
        return iter(sorted(self._entries, key=lambda name: self.order(self._entries[name])))

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, names={sorted(self._entries)})"

    # -- building -------------------------------------------------------------------------

    def build(self, name: str, params: Mapping | None = None, *args, parameter: str = "params"):
        """``self[name](*args, **params)``, refusing keywords the entry does not take.

        ``parameter`` names the user's dict in the error (e.g. ``rule_params``).
        """
        entry = self[name]
        params = dict(params or {})
        accepted = accepted_keywords(entry, skip=len(args))
        if accepted is not None:
            unknown = sorted(set(params) - set(accepted))
            if unknown:
                raise ValueError(
                    f"{parameter} has {unknown} which {self.kind} {name!r} does not take; "
                    f"it takes {accepted}"
                )
        return entry(*args, **params)


def accepted_keywords(function: Callable, *, skip: int = 0) -> list[str] | None:
    """Keyword names ``function`` accepts after ``skip`` positional ones; None if ``**kwargs``."""
    if isinstance(function, type) and function.__init__ is object.__init__:
        return []
    target = function.__init__ if isinstance(function, type) else function
    parameters = list(inspect.signature(target).parameters.values())
    if isinstance(function, type):
        parameters = parameters[1:]  # self
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    named = [p for p in parameters if p.kind is not inspect.Parameter.VAR_POSITIONAL]
    return [p.name for p in named[skip:]]


def _describe(entry) -> str:
    if isinstance(entry, str):
        return entry
    module = getattr(entry, "__module__", "?")
    return f"{module}.{getattr(entry, '__qualname__', type(entry).__qualname__)}"
