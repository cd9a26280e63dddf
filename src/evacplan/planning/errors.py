"""Errors of the planning stage (part of evacplan's one error hierarchy)."""

from __future__ import annotations

from evacplan.errors import EvacplanError

__all__ = ["UnsupportedProblemError"]


class UnsupportedProblemError(ValueError, EvacplanError):
    """A planning method cannot handle this problem as given (e.g. the exact method with several travel classes)."""
