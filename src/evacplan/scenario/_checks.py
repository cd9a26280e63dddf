"""Collecting problems while reading a scenario: every problem is reported, not only the first."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from typing import Any

from evacplan.errors import Problem

__all__ = ["Collector"]

_MISSING = object()


class Collector:
    """Accumulates :class:`~evacplan.errors.Problem` objects for one file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def add(self, where: str, message: str, file: str | None = None, forceable: bool = False) -> None:
        """Record a problem (``forceable``: a sanity finding that ``--force`` overrides)."""
        self.problems.append(Problem(file or self.file, where, message, forceable))

    @property
    def errors(self) -> list[Problem]:
        """The problems nothing can override."""
        return [p for p in self.problems if not p.forceable]

    def unknown_keys(self, table: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
        """Report keys of ``table`` not in ``allowed``, with a did-you-mean."""
        allowed = list(allowed)
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else f"; expected one of {sorted(allowed)}"
                self.add(_join(where, key), f"unknown key {key!r}{hint}")

    def table(self, parent: Mapping[str, Any], key: str, where: str, required: bool = False) -> dict[str, Any]:
        """A sub-table, or ``{}`` (reporting a problem when it is required or not a table)."""
        val = parent.get(key, _MISSING)
        if val is _MISSING:
            if required:
                self.add(_join(where, key), f"missing required table [{_join(where, key)}]")
            return {}
        if not isinstance(val, dict):
            self.add(_join(where, key), f"expected a table, found {type(val).__name__} {val!r}")
            return {}
        return val

    def string(
        self, t: Mapping[str, Any], key: str, where: str, default: Any = _MISSING, choices: Iterable[str] | None = None
    ) -> Any:
        """A string value, checked against ``choices``."""
        val = t.get(key, default)
        if val is _MISSING:
            self.add(_join(where, key), "missing required key")
            return None
        if val is None:
            return None
        if not isinstance(val, str):
            self.add(_join(where, key), f"expected a string, found {type(val).__name__} {val!r}")
            return default if default is not _MISSING else None
        if choices is not None:
            choices = list(choices)
            if val not in choices:
                close = difflib.get_close_matches(val, choices, n=1, cutoff=0.5)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                self.add(_join(where, key), f"value {val!r} is not one of {choices}{hint}")
                return default if default is not _MISSING else None
        return val

    def number(
        self,
        t: Mapping[str, Any],
        key: str,
        where: str,
        default: Any = _MISSING,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
        strict_min: bool = False,
        integer: bool = False,
    ) -> Any:
        """A number within bounds (``minimum < value`` when ``strict_min``)."""
        val = t.get(key, default)
        if val is _MISSING:
            self.add(_join(where, key), "missing required key")
            return None
        if val is None:
            return None
        if isinstance(val, bool) or not isinstance(val, int | float) or (integer and not isinstance(val, int)):
            kind = "an integer" if integer else "a number"
            self.add(_join(where, key), f"expected {kind}, found {type(val).__name__} {val!r}")
            return default if default is not _MISSING else None
        if not math.isfinite(val):
            self.add(_join(where, key), f"expected a finite number, found {val!r}")
            return default if default is not _MISSING else None
        if minimum is not None and (val <= minimum if strict_min else val < minimum):
            op = ">" if strict_min else ">="
            self.add(_join(where, key), f"value {val!r} must be {op} {minimum:g}")
        elif maximum is not None and val > maximum:
            self.add(_join(where, key), f"value {val!r} is absurd: must be <= {maximum:g}")
        return val

    def boolean(self, t: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
        """A boolean value."""
        val = t.get(key, default)
        if not isinstance(val, bool):
            self.add(_join(where, key), f"expected true or false, found {val!r}")
            return default
        return val


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key
