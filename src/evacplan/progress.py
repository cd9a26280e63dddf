"""The one progress-callback protocol of every stage: ``progress(message, fraction)``.

:func:`evacplan.load_problem`, :func:`evacplan.plan`, :func:`evacplan.simulate`, :func:`evacplan.run` and
:func:`evacplan.ensemble.run_ensemble` all take ``progress=`` with this signature, so that one callback (a print, a
progress bar, a log) serves them all.

Examples
--------
>>> def show(message: str, fraction: float | None) -> None:
...     print(message if fraction is None else f"{message}: {fraction:.0%}")
>>> show("planning (fast)", 0.5)
planning (fast): 50%
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

__all__ = ["Progress", "fraction_callback"]


class Progress(Protocol):
    """A callable told how a stage advances: any function ``(message: str, fraction: float | None) -> None``."""

    def __call__(self, message: str, fraction: float | None, /) -> None:
        """Report progress.

        Parameters
        ----------
        message
            What is being done (``"reading the network"``, ``"planning (fast)"``, ``"simulating"``); repeated while
            a step advances, empty when only the fraction changed.
        fraction
            Share of the current step done, in [0, 1]; ``None`` when a step starts or its progress is unknown.
        """


def fraction_callback(progress: Progress | None, message: str) -> Callable[[float], None] | None:
    """A callback taking only a fraction, forwarding ``(message, fraction)`` to ``progress`` (``None`` if none)."""
    if progress is None:
        return None
    report = progress

    def tick(fraction: float) -> None:
        report(message, min(max(float(fraction), 0.0), 1.0))

    return tick
