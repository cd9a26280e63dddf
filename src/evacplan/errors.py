"""The one error hierarchy of evacplan.

Every error a user can cause derives from :class:`EvacplanError`; the command line turns these into a clear message
and exit code 2. Each class also inherits the built-in exception it refines, so ``except ValueError`` still works.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BoundError",
    "EvacplanError",
    "InputError",
    "OutputError",
    "Problem",
    "ResourceLimitError",
    "ScenarioError",
    "ScenarioImplausible",
    "ScenarioInvalid",
    "UnsupportedFormatError",
    "UnsupportedProblemError",
]


class EvacplanError(Exception):
    """Base class of every error evacplan raises on purpose."""


class ScenarioError(ValueError, EvacplanError):
    """A scenario or one of its layers cannot be used as given."""


class UnsupportedFormatError(ScenarioError):
    """A file's format is not one evacplan reads."""


class UnsupportedProblemError(ValueError, EvacplanError):
    """A planning method cannot handle this problem as given (e.g. the exact method with several travel classes)."""


class BoundError(RuntimeError, EvacplanError):
    """A lower bound exceeds the time of a plan it should certify: a defect of evacplan, reported, never hidden."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a scenario.

    Parameters
    ----------
    file
        The file the problem is in (the scenario file or a layer).
    where
        The key, feature id or column the problem concerns (``"safe_zones[2].capacity"``).
    message
        What is wrong, with the value found and what was expected.
    forceable
        ``True`` for a finding of the sanity checks (the scenario is readable but its result would be implausible:
        nobody in danger, every refuge unreachable, impossible densities); ``--force`` proceeds despite these.
        ``False`` (default) for an error nothing can override.
    """

    file: str
    where: str
    message: str
    forceable: bool = False

    def __str__(self) -> str:
        loc = f"{self.file}: {self.where}" if self.where else self.file
        return f"{loc}: {self.message}"


class ScenarioInvalid(ScenarioError):
    """A scenario has one or more problems; all of them are listed in :attr:`problems`."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the scenario:\n{lines}")


class ScenarioImplausible(ScenarioInvalid):
    """A scenario is readable but its results would be implausible; every finding is in :attr:`problems`.

    Each finding is a :class:`Problem` with ``forceable=True``; ``evacplan plan/run/simulate --force`` (or
    ``force=True`` in the library) proceeds anyway.
    """

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        self.args = (f"{len(self.problems)} implausible finding(s) in the scenario (check them, or force):\n{lines}",)


class ResourceLimitError(MemoryError, EvacplanError):
    """A computation would need more memory than is available or allowed; raised before allocating anything.

    The message names the estimate, the limit and the settings that change either.
    """


class OutputError(OSError, EvacplanError):
    """An output folder or file cannot be written (a file where a folder is expected, a folder evacplan did not
    write, a read-only or full disk)."""


class InputError(ValueError, EvacplanError):
    """An input other than the scenario (a plan folder given with ``--plan``) cannot be used."""
