"""Settings from command-line text: ``--set KEY=V1,V2`` parsed to the field's type.

Used by ``python -m experiments run --set KEY=VALUE`` (one value) and by
sweeps (``--set KEY=V1,V2``: a list of values). A value is converted to the
type the experiment's ``Settings`` dataclass declares for the field: scalars
written plainly (``3``, ``0.1``, ``true``, ``digits``, ``none``), tuples,
lists and dicts as JSON or Python literals. A dotted key
(``params.ann.learning_rate``) reaches into a dict-valued setting. Every
mistake raises ``ValueError`` naming the key and the value.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import json
import re
import types
import typing
from typing import Any

from experiments._base import Experiment


def split_values(text: str) -> list[str]:
    """Split ``"v1,v2"`` at the commas outside brackets and quotes.

    >>> split_values("(1, 2),(3,),none")
    ['(1, 2)', '(3,)', 'none']
    """
    pieces, depth, quote, start = [], 0, None, 0
    for i, char in enumerate(text):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            pieces.append(text[start:i].strip())
            start = i + 1
    pieces.append(text[start:].strip())
    return pieces


def _field_hints(settings_cls: type) -> dict:
    fields = {f.name: f for f in dataclasses.fields(settings_cls)}
    try:
        hints = typing.get_type_hints(settings_cls)
    except Exception:  # an annotation that cannot be evaluated: parse such values untyped
        hints = {}
    return {
        name: hints.get(name, f.type if isinstance(f.type, type) else Any)
        for name, f in fields.items()
    }


def _describe(hint) -> str:
    if hint is Any:
        return "a value"
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(_describe(arg) for arg in typing.get_args(hint))
    if hint is type(None):
        return "none"
    if typing.get_origin(hint) is typing.Literal:
        return "one of " + ", ".join(map(repr, typing.get_args(hint)))
    name = getattr(typing.get_origin(hint) or hint, "__name__", str(hint))
    return {
        "tuple": "a tuple such as (1, 2)",
        "dict": 'a dict such as {"a": 1}',
        "list": "a list such as [1, 2]",
        "int": "an integer",
        "float": "a number",
        "bool": "true or false",
        "str": "a string",
    }.get(name, f"a {name}")


def _deep_tuple(value):
    if isinstance(value, (list, tuple)):
        return tuple(_deep_tuple(v) for v in value)
    if isinstance(value, dict):
        return {k: _deep_tuple(v) for k, v in value.items()}
    return value


def _literal(text: str):
    """A JSON or Python literal (``[1, 2]``, ``(1, 2)``, ``{"a": 1}``, ``true``, ``None``)."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise ValueError("not a literal") from None


def coerce(value, hint):
    """``value`` as the type ``hint`` asks for, or ValueError (ints become floats, lists tuples)."""
    origin = typing.get_origin(hint)
    if hint is Any or hint is object:
        return _deep_tuple(value)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in typing.get_args(hint):
            return None
        for arg in typing.get_args(hint):
            if arg is type(None):
                continue
            try:
                return coerce(value, arg)
            except ValueError:
                pass
        raise ValueError(f"expected {_describe(hint)}")
    if origin is typing.Literal:
        if value in typing.get_args(hint):
            return value
        raise ValueError(f"expected {_describe(hint)}")
    target = origin or hint
    if target is bool:
        if isinstance(value, bool):
            return value
    elif target is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return int(value)
    elif target is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if value != value:
                raise ValueError("NaN is not a usable setting")
            return float(value)
    elif target is str:
        if isinstance(value, str):
            return value
    elif target in (tuple, list):
        if isinstance(value, (tuple, list)):
            return _deep_tuple(value)
    elif target is dict:
        if isinstance(value, dict):
            return _deep_tuple(value)
    elif isinstance(target, type):
        if isinstance(value, target):
            return value
    else:
        return value
    raise ValueError(f"expected {_describe(hint)}")


def parse_value(text: str, hint):
    """One command-line value converted to the type ``hint`` (see :func:`parse_assignment`)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if text.lower() in ("none", "null") and type(None) in typing.get_args(hint):
            return None
        for arg in typing.get_args(hint):
            if arg is not type(None):
                try:
                    return parse_value(text, arg)
                except ValueError:
                    pass
        raise ValueError(f"expected {_describe(hint)}")
    if hint is bool:
        words = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
        if text.lower() in words:
            return words[text.lower()]
        raise ValueError("expected true or false")
    if hint is int:
        if re.fullmatch(r"[+-]?[0-9]+", text):
            return int(text)
        raise ValueError("expected an integer")
    if hint is float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError("expected a number") from None
        return coerce(value, float)
    if hint is str:
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
            return text[1:-1]
        return text
    try:
        value = _literal(text)
    except ValueError:
        if hint is Any:
            return text  # an untyped word: a string
        raise ValueError(f"expected {_describe(hint)}") from None
    return coerce(value, hint)


def parse_assignment(text: str, experiment: Experiment, *, quick: bool = True) -> tuple[str, list]:
    """``"key=v1,v2"`` -> ``(key, [v1, v2])`` with values of the setting's field type.

    Values are separated by commas outside brackets and quotes. Scalars are
    written plainly (``3``, ``0.1``, ``true``, ``digits``, ``none`` for an
    optional field); tuples, lists and dicts as JSON or Python literals
    (``(32, 16)``, ``[32, 16]``, ``{"ann": 5, "snn": 1}``). A dotted key
    (``params.ann.learning_rate=0.01,0.1``) sets one entry of a dict-valued
    setting; its values take the type of the entry in the preset (quick or
    full, as ``quick`` says), if any.

    >>> from experiments import get_experiment
    >>> parse_assignment("n_train=100,none", get_experiment("energy_to_accuracy"))
    ('n_train', [100, None])
    """
    key, sep, values_text = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ValueError(f"--set {text!r}: expected KEY=VALUE[,VALUE...]")
    _, hint = resolve_key(key, experiment, experiment.preset(quick))
    pieces = split_values(values_text)
    if values_text.strip() == "":
        raise ValueError(f"--set {key}: no values given")
    values = []
    for piece in pieces:
        if piece == "":
            raise ValueError(f"--set {key}={values_text}: an empty value")
        try:
            values.append(parse_value(piece, hint))
        except ValueError as error:
            raise ValueError(f"--set {key}={piece}: {error}") from None
    return key, values


def parse_grid(assignments, experiment: Experiment, *, quick: bool = True) -> dict:
    """The grid of several ``--set KEY=V1,V2`` texts: ``{key: [values]}``, in the order given."""
    grid: dict[str, list] = {}
    for text in assignments:
        key, values = parse_assignment(text, experiment, quick=quick)
        if key in grid:
            raise ValueError(
                f"--set {key} is given twice; list all its values in one --set {key}=V1,V2"
            )
        grid[key] = values
    return grid


def resolve_key(key: str, experiment: Experiment, base) -> tuple[list[str], Any]:
    """The path of a (possibly dotted) key and the type its values must have."""
    hints = _field_hints(experiment.settings)
    head, *path = key.split(".")
    if head not in hints:
        raise ValueError(
            f"--set: unknown setting {head!r} for experiment {experiment.name!r}; "
            f"known: {', '.join(hints)}"
        )
    if not path:
        return [head], hints[head]
    current = getattr(base, head)
    if not isinstance(current, dict):
        raise ValueError(
            f"--set {key}: {head!r} is not a dict-valued setting, so it has no "
            f"entry {'.'.join(path)!r}"
        )
    for part in path[:-1]:
        current = current.get(part, {})
        if not isinstance(current, dict):
            raise ValueError(f"--set {key}: {head}[{part!r}] is not a dict")
    existing = current.get(path[-1]) if path[-1] in current else None
    hint = (
        type(existing) if isinstance(existing, (bool, int, float, str, tuple, list, dict)) else Any
    )
    return [head, *path], hint


def check_no_overlap(keys) -> None:
    """Raise ValueError naming both keys if one of ``keys`` sets a part of another
    (``params`` and ``params.ann.layers``)."""
    for key in keys:
        for other in keys:
            if other != key and other.startswith(key + "."):
                raise ValueError(f"--set {key} and --set {other} overlap; give one of them")


def apply_assignments(base, assignments: dict):
    """``base`` with each (possibly dotted) key set; the dataclass is rebuilt (and validated)."""
    replaced: dict[str, Any] = {}
    for key, value in assignments.items():
        head, *path = key.split(".")
        if not path:
            replaced[head] = value
            continue
        tree = replaced.setdefault(head, copy.deepcopy(getattr(base, head)))
        for part in path[:-1]:
            tree = tree.setdefault(part, {})
        tree[path[-1]] = value
    return dataclasses.replace(base, **replaced)
