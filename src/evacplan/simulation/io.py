"""Writing a simulation's outputs: ``summary.json``, ``clearance.parquet``, ``edge_states.parquet``.

Schema version 1 (``summary.json`` carries ``"schema": 1``):

* ``clearance.parquet``: ``minute`` (int), ``kind`` (``"all"``, ``"danger"`` by zone of origin, ``"safe"`` by zone
  reached), ``zone`` (name, ``""`` for ``"all"``), ``evacuated`` (cumulative persons in safety at the minute's end);
* ``edge_states.parquet``: ``minute``, ``edge`` (index in the built network), ``edge_id`` (source id), ``tail_id``,
  ``head_id`` (source node ids), ``flow_persons`` (persons who left the edge during the minute), ``queue_persons``
  (persons waiting at its end when the minute ended), ``persons`` (on the edge then). Sparse: only edges with someone
  on them or leaving them that minute.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from evacplan._atomic import atomic_path, write_json
from evacplan.problem.problem import Problem
from evacplan.simulation.result import SimulationResult

__all__ = ["SCHEMA_VERSION", "clearance_table", "edge_state_table", "write_simulation"]

SCHEMA_VERSION = 1


def clearance_table(result: SimulationResult, problem: Problem | None) -> pd.DataFrame:
    """Cumulative persons in safety per minute: overall, per danger zone of origin and per safe zone reached (the
    zones only with ``problem``, which names them)."""
    danger_names = problem.zones.danger_names if problem is not None else ()
    safe_names = problem.zones.safe_names if problem is not None else ()
    last = result.last_arrival_s if math.isfinite(result.last_arrival_s) else result.end_s
    n_min = int(math.ceil(max(last, result.end_s) / 60.0)) + 1
    grid = np.arange(n_min, dtype=np.float64) * 60.0
    frames = [("all", "", result.cumulative(grid))]
    for z, name in enumerate(danger_names):
        frames.append(("danger", name, result.cumulative(grid, result.arrival_danger_zone == z)))
    for s, name in enumerate(safe_names):
        frames.append(("safe", name, result.cumulative(grid, result.arrival_safe_zone == s)))
    minutes = np.arange(n_min, dtype=np.int64)
    return pd.DataFrame(
        {
            "minute": np.tile(minutes, len(frames)),
            "kind": np.repeat([f[0] for f in frames], n_min),
            "zone": np.repeat([f[1] for f in frames], n_min),
            "evacuated": np.round(np.concatenate([f[2] for f in frames]), 3),
        }
    )


def edge_state_table(result: SimulationResult, problem: Problem) -> pd.DataFrame:
    """The sparse per-minute edge states (see the module docstring)."""
    rec = result.edge_records
    net = problem.network
    e = rec[:, 1].astype(np.int64)
    return pd.DataFrame(
        {
            "minute": rec[:, 0].astype(np.int32),
            "edge": e.astype(np.int32),
            "edge_id": net.edge_id[e],
            "tail_id": net.node_id[net.tail[e]],
            "head_id": net.node_id[net.head[e]],
            "flow_persons": rec[:, 2].astype(np.int64),
            "queue_persons": rec[:, 3].astype(np.int64),
            "persons": rec[:, 4].astype(np.int64),
        }
    )


def write_simulation(result: SimulationResult, problem: Problem, out_dir: str | Path) -> dict[str, Path]:
    """Write ``summary.json``, ``clearance.parquet`` and ``edge_states.parquet`` into ``out_dir``, atomically.

    Returns
    -------
    dict
        The paths written, by name.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "summary": out / "summary.json",
        "clearance": out / "clearance.parquet",
        "edge_states": out / "edge_states.parquet",
    }
    with atomic_path(paths["clearance"]) as tmp:
        clearance_table(result, problem).to_parquet(tmp, index=False)
    with atomic_path(paths["edge_states"]) as tmp:
        edge_state_table(result, problem).to_parquet(tmp, index=False)
    summary = {"schema": SCHEMA_VERSION, "scenario": problem.name, **result.summary(problem)}
    write_json(paths["summary"], summary)
    return paths
