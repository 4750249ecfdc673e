"""Plugins: a user's rules, protocols, tasks and experiments, reached by the command line.

Two ways in, both ordinary Python:

* **An installed package** declares an entry point in the group
  ``brain_vs_ann.plugins`` (``importlib.metadata``). Its value is a module,
  imported for its registration side effects, or ``module:function``, a
  function called with no arguments that registers things. In the package's
  ``pyproject.toml``::

      [project.entry-points."brain_vs_ann.plugins"]
      my_rules = "my_package.rules"

  Every command of ``python -m experiments`` loads every installed plugin
  before it does anything else.

* **A local module**: ``--plugin my_rules.py`` (a file) or ``--plugin
  my_package.rules`` (an importable module), repeatable, on every command.

A module registers with the project's own decorators (``ann.register_rule``,
``snn.register_rule``, ``social.register_protocol``, ``tasks.register_task``,
``experiments.register_experiment``); docs/extending.md shows each. A plugin
that fails to import raises :class:`PluginError`, one line naming the plugin
and the error, before any work.

Dask workers of a sweep load the same plugins when they start
(:func:`worker_plugin`): the entry points installed on the worker's machine,
and every ``--plugin`` this process loaded (a file by its directory and
module name, so the workers must see the same path).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import sys
from dataclasses import dataclass
from pathlib import Path

ENTRY_POINT_GROUP = "brain_vs_ann.plugins"


class PluginError(ImportError):
    """A plugin could not be loaded; the message is one line naming it and the cause."""


@dataclass(frozen=True)
class PluginSpec:
    """How a plugin module is found again: its name, and the directory of a file plugin."""

    module: str
    directory: str | None = None


#: Plugins loaded with --plugin in this process, in order (handed to Dask workers).
LOADED: list[PluginSpec] = []
_ENTRY_POINTS_LOADED = False


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def spec_of(text: str) -> PluginSpec:
    """The :class:`PluginSpec` of a ``--plugin`` argument (a ``.py`` file or a module name)."""
    if not isinstance(text, str) or not text.strip():
        raise PluginError(f"--plugin must name a module or a .py file, got {text!r}")
    if text.endswith(".py") or "/" in text or "\\" in text:
        path = Path(text)
        if not path.is_file():
            raise PluginError(f"--plugin {text}: no such file")
        if path.suffix != ".py" or not path.stem.isidentifier():
            raise PluginError(
                f"--plugin {text}: a plugin file is a Python module whose name is an "
                "identifier, such as my_rules.py"
            )
        return PluginSpec(path.stem, str(path.resolve().parent))
    if not all(part.isidentifier() for part in text.split(".")):
        raise PluginError(f"--plugin {text!r} is neither a .py file nor a module name")
    return PluginSpec(text)


def import_spec(spec: PluginSpec, label: str | None = None):
    """Import the module of ``spec`` (a file's directory goes first on ``sys.path``)."""
    label = label or spec.module
    if spec.directory is not None:
        if spec.directory not in sys.path:
            sys.path.insert(0, spec.directory)
        existing = sys.modules.get(spec.module)
        origin = getattr(existing, "__file__", None)
        if existing is not None and (
            origin is None or Path(origin).resolve().parent != Path(spec.directory)
        ):
            raise PluginError(
                f"--plugin {label}: the module name {spec.module!r} is taken by "
                f"{origin or 'a built-in module'}; rename the file"
            )
    try:
        return importlib.import_module(spec.module)
    except ModuleNotFoundError as error:
        if error.name == spec.module:
            raise PluginError(f"--plugin {label}: no module named {spec.module!r}") from None
        raise PluginError(f"--plugin {label} failed to import: {_one_line(error)}") from None
    except Exception as error:
        raise PluginError(f"--plugin {label} failed to import: {_one_line(error)}") from None


def load_module(text: str):
    """Load a ``--plugin`` argument; returns the module. Loading one twice is harmless."""
    spec = spec_of(text)
    module = import_spec(spec, text)
    if spec not in LOADED:
        LOADED.append(spec)
    return module


def entry_points() -> list:
    """The installed entry points of :data:`ENTRY_POINT_GROUP`, in a stable order."""
    found = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    return sorted(found, key=lambda ep: (ep.name, ep.value))


def load_entry_points() -> list[str]:
    """Load every installed plugin (once per process); returns their names."""
    global _ENTRY_POINTS_LOADED
    names = []
    for entry_point in entry_points():
        where = entry_point.dist.name if entry_point.dist is not None else "an unknown package"
        try:
            loaded = entry_point.load()
            if callable(loaded) and not isinstance(loaded, type(sys)):
                loaded()
        except Exception as error:
            raise PluginError(
                f"plugin {entry_point.name!r} ({entry_point.value}, installed by {where}) "
                f"failed to load: {_one_line(error)}"
            ) from None
        names.append(entry_point.name)
    _ENTRY_POINTS_LOADED = True
    return names


def load_plugins(modules=(), *, installed: bool = True) -> list[str]:
    """Load the installed plugins (if ``installed``) and each of ``modules`` (``--plugin``)."""
    names = load_entry_points() if installed and not _ENTRY_POINTS_LOADED else []
    for text in modules:
        load_module(text)
        names.append(text)
    return names


def load_on_worker(specs, installed: bool) -> None:
    """What a Dask worker runs at start: the same plugins as the process that sent it work."""
    if installed:
        load_entry_points()
    for spec in specs:
        import_spec(spec)


def worker_plugin():
    """A Dask worker plugin loading this process's plugins on every worker (current and new)."""
    from distributed.diagnostics.plugin import WorkerPlugin

    specs, installed = tuple(LOADED), _ENTRY_POINTS_LOADED

    class LoadPlugins(WorkerPlugin):
        name = "brain-vs-ann-plugins"

        def setup(self, worker):
            load_on_worker(specs, installed)

    return LoadPlugins()
