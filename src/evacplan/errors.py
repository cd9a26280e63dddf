"""The one error hierarchy of evacplan.

Every error a user can cause derives from :class:`EvacplanError`; the command line turns these into a clear message
and exit code 2. Each class also inherits the built-in exception it refines, so ``except ValueError`` still works.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BoundError",
    "EvacplanError",
    "Finding",
    "InputError",
    "InternalError",
    "InvalidPlanError",
    "InvalidProblemError",
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


class InvalidProblemError(ValueError, EvacplanError):
    """The arrays of a built problem (its network, zones or demand) break an invariant.

    Raised by :meth:`evacplan.Problem.validate` (after a build, on loading a cached build, for a hand-made problem);
    the message names the invariant.
    """


class InvalidPlanError(ValueError, EvacplanError):
    """A plan breaks a rule of the planning model (:func:`evacplan.validate_plan`); every broken rule is listed."""


class InternalError(RuntimeError, EvacplanError):
    """An internal invariant of evacplan broke: a defect of evacplan, never of the input; please report it."""


@dataclass(frozen=True)
class Finding:
    """One problem found in a scenario.

    (Also importable as ``evacplan.errors.Problem``, its former name; :class:`evacplan.Problem` is the built problem.)

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


#: The former name of :class:`Finding` (kept so that existing code goes on working).
Problem = Finding


class ScenarioInvalid(ScenarioError):
    """A scenario has one or more problems; all of them are listed in :attr:`problems`."""

    def __init__(self, problems: list[Finding]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the scenario:\n{lines}")


class ScenarioImplausible(ScenarioInvalid):
    """A scenario is readable but its results would be implausible; every finding is in :attr:`problems`.

    Each finding is a :class:`Finding` with ``forceable=True``; ``evacplan plan/run/simulate --force`` (or
    ``force=True`` in the library) proceeds anyway.
    """

    def __init__(self, problems: list[Finding]) -> None:
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
