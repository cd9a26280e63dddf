"""Memory a problem will need, known before planning or simulating allocates it.

:func:`estimate_memory` estimates, from a built problem alone, the largest tables the fast planner and the simulator
allocate; :func:`check_memory` compares the estimate with the limit (``EVACPLAN_MEMORY_LIMIT`` when set, else the
memory the machine has available) and stops with :class:`~evacplan.errors.ResourceLimitError`, naming the settings
that change either, before anything large is allocated. The command line and :func:`evacplan.pipeline.run_scenario`
call it before planning and simulating.

The figures are **estimates** (upper bounds of the dominant tables, not a measurement), in bytes:

* planner, capacity tables: ``12 x edges x windows``: the free capacity (8 bytes) and next-free pointer (4 bytes)
  of each edge in each time window, for twice the horizon (the planner sizes them for twice the evacuation time it
  predicts, and coarsens its windows so that they stay within :data:`TABLE_BUDGET`): at most
  ``min(12 x edges x 2 x (steps + 1), TABLE_BUDGET)``;
* planner, groups: ``300`` bytes a person (at most one group a person: the group buffers as they grow, the plan's
  group arrays and the linked steps of their paths); releases are computed when needed, not tabled;
* simulator: ``208`` bytes a packet (persons / packet size, plus one a demand row), ``33`` bytes a node and ``16``
  bytes an edge per travel class (routing tables), ``1,120`` bytes an edge (minute records): nothing per time step;
* population raster: read window by window, at most ``30 x 4,000,000`` bytes for a window plus ``40`` bytes a
  populated cell, at most 4,000,000 of them (:mod:`evacplan.scenario._raster`): bounded whatever the raster's size.

A long horizon therefore costs the planner nothing by itself: its tables follow the evacuation, not the horizon.
Measured on the bundled default scenario (1,086,805 evacuees, 74,332 edges, 1,441 steps): planning peaked at
3.9 GB of resident memory, the estimate being 3.3 GB plus the process itself (0.4 GB).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import numpy as np

from evacplan.errors import ResourceLimitError
from evacplan.problem.problem import Problem

#: Bytes the fast planner's capacity tables may take; above it the planner coarsens its time windows by a whole
#: factor (read by :func:`evacplan.planning.api.coarsening`).
TABLE_BUDGET = 3e9
#: Planner bytes per person (group buffers, plan arrays, linked path steps).
PLANNER_BYTES_PER_PERSON = 300

__all__ = ["ENV_LIMIT", "MemoryEstimate", "available_memory", "check_memory", "estimate_memory", "memory_limit"]

#: Environment variable holding the memory limit (``"6G"``, ``"6GiB"``, ``"6000M"`` or bytes).
ENV_LIMIT = "EVACPLAN_MEMORY_LIMIT"
#: What the process itself (Python, numpy, the network and the problem's arrays) takes besides the tables.
BASELINE_BYTES = 400 * 2**20
_UNITS = {"": 1, "b": 1, "k": 2**10, "kb": 10**3, "kib": 2**10, "m": 2**20, "mb": 10**6, "mib": 2**20,
          "g": 2**30, "gb": 10**9, "gib": 2**30, "t": 2**40, "tb": 10**12, "tib": 2**40}


@dataclass(frozen=True)
class MemoryEstimate:
    """Estimated peak bytes of planning and simulating a problem.

    Attributes
    ----------
    planner
        Bytes the fast planner's tables take at their peak.
    simulator
        Bytes the simulator's packets, routing tables and records take.
    parts
        Each table's estimate, by name (``"planner capacity tables"``, ...).
    steps
        Time steps of the horizon.
    rows
        Demand rows.
    """

    planner: int
    simulator: int
    parts: dict[str, int] = field(default_factory=dict)
    steps: int = 0
    rows: int = 0


def estimate_memory(problem: Problem, *, packet_size: int = 10, method: str = "fast") -> MemoryEstimate:
    """Estimate the memory of planning and simulating ``problem`` (see the module docstring for the formulas).

    Parameters
    ----------
    problem
        The built problem.
    packet_size
        Persons per simulation packet.
    method
        ``"fast"`` or ``"exact"`` (the exact planner's time-expanded network takes about 48 bytes a node or edge and
        a step instead of the capacity tables).

    Returns
    -------
    MemoryEstimate
    """
    net, d = problem.network, problem.demand
    steps = problem.n_steps + 1
    rows, edges, nodes = d.n_rows, net.n_edges, net.n_nodes
    if method == "exact":
        tables = 48 * (edges + nodes) * steps
    else:
        tables = min(12 * edges * 2 * steps, int(TABLE_BUDGET))
    classes = int(np.unique(np.c_[d.mode, d.group], axis=0).shape[0]) if rows else 1
    packets = int(d.count.sum()) // max(packet_size, 1) + rows
    parts = {
        "planner capacity tables": int(tables),
        "planner groups": PLANNER_BYTES_PER_PERSON * int(d.count.sum()),
        "simulator packets": 208 * packets,
        "simulator routing tables": (33 * nodes + 16 * edges) * max(classes, 1),
        "simulator records": 1120 * edges,
    }
    planner = parts["planner capacity tables"] + parts["planner groups"]
    simulator = parts["simulator packets"] + parts["simulator routing tables"] + parts["simulator records"]
    return MemoryEstimate(planner=int(planner), simulator=int(simulator), parts=parts, steps=steps, rows=rows)


def parse_bytes(text: str) -> int:
    """``"6G"``, ``"6 GiB"``, ``"6000M"``, ``"6e9"`` -> bytes.

    Raises
    ------
    ValueError
        For anything else.
    """
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)\s*", text)
    if m is None or m.group(2).lower() not in _UNITS:
        raise ValueError(f"{text!r} is not an amount of memory (e.g. 6G, 6GiB, 6000M or bytes)")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def available_memory() -> int | None:
    """Bytes the machine has available now (Linux ``MemAvailable``; ``None`` when unknown)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def memory_limit() -> tuple[int | None, str]:
    """The limit in bytes and where it comes from: ``EVACPLAN_MEMORY_LIMIT`` when set, else the available memory.

    Raises
    ------
    ResourceLimitError
        When ``EVACPLAN_MEMORY_LIMIT`` is not an amount of memory.
    """
    env = os.environ.get(ENV_LIMIT, "").strip()
    if env:
        try:
            return parse_bytes(env), f"{ENV_LIMIT}={env}"
        except ValueError as exc:
            raise ResourceLimitError(f"{ENV_LIMIT}: {exc}") from None
    return available_memory(), "the memory available on this machine"


def _gib(n: float) -> str:
    return f"{n / 2**30:,.1f} GiB"


def check_memory(problem: Problem, *, plan: bool = True, simulate: bool = True, packet_size: int = 10,
                 method: str = "fast") -> MemoryEstimate:
    """Stop before planning or simulating ``problem`` when the estimate exceeds the limit.

    Parameters
    ----------
    problem
        The built problem.
    plan, simulate
        Which stages will run (planning and simulation run one after the other: the larger counts).
    packet_size, method
        As for :func:`estimate_memory`.

    Returns
    -------
    MemoryEstimate

    Raises
    ------
    ResourceLimitError
        Naming the estimate, the limit and the settings to change.
    """
    est = estimate_memory(problem, packet_size=packet_size, method=method)
    need = max(est.planner if plan else 0, est.simulator if simulate else 0) + BASELINE_BYTES
    limit, source = memory_limit()
    if limit is None or need <= limit:
        return est
    what = [k for k in est.parts if (plan and k.startswith("planner")) or (simulate and k.startswith("simulator"))]
    top = max(what, key=lambda k: est.parts[k])
    raise ResourceLimitError(
        f"{problem.name!r} would need about {_gib(need)} ({top}: {_gib(est.parts[top])} for {est.rows:,} demand rows, "
        f"{problem.network.n_edges:,} edges and {est.steps:,} time steps) but the limit is {_gib(limit)} ({source}). "
        "Shorten `horizon` or lengthen `time_step` in the scenario file (fewer steps), give the people fewer groups "
        f"or modes (fewer rows), or set {ENV_LIMIT} (e.g. {ENV_LIMIT}=32G) if the machine can hold it."
    )
