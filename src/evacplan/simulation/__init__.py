"""Mesoscopic evacuation simulation: link queues with spillback, packets of people, events and exposure.

>>> from evacplan.simulation import simulate, write_simulation      # doctest: +SKIP
>>> result = simulate(problem, plan, compliance=0.8)              # doctest: +SKIP
>>> write_simulation(result, problem, "out/")                     # doctest: +SKIP
"""

from __future__ import annotations

from evacplan.simulation.engine import DEFAULT_STUCK_S, simulate
from evacplan.simulation.events import CapacityDrop, DangerOnset, EdgeClosure, Event
from evacplan.simulation.io import write_simulation
from evacplan.simulation.result import SimulationResult

__all__ = [
    "DEFAULT_STUCK_S",
    "CapacityDrop",
    "DangerOnset",
    "EdgeClosure",
    "Event",
    "SimulationResult",
    "simulate",
    "write_simulation",
]
