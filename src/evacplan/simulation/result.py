"""What a simulation run produced, and the figures derived from it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from evacplan.simulation.kernels import cumulative_ramps

if TYPE_CHECKING:
    import pandas as pd

    from evacplan.problem.problem import Problem

__all__ = ["EDGE_RECORD_COLUMNS", "SimulationResult"]

EDGE_RECORD_COLUMNS = ("minute", "edge", "flow_persons", "queue_persons", "persons")


def _min(t_s: float | None) -> float | None:
    return None if t_s is None or not math.isfinite(t_s) else round(t_s / 60.0, 3)


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """The outcome of :func:`evacplan.simulation.simulate`.

    Arrivals in safety are logged in batches: ``arrival_count[i]`` persons pass into safety evenly between
    ``arrival_start_s[i]`` and ``arrival_end_s[i]`` (a packet crosses its last edge's exit at that edge's capacity).

    Attributes
    ----------
    evacuees
        Persons in the demand.
    unreachable
        Persons with no path to any safe zone (not simulated).
    stranded
        Persons still out when the run stopped with no open route from where they wait (closures, full safe
        zones).
    arrival_start_s, arrival_end_s, arrival_count, arrival_safe_zone, arrival_danger_zone, arrival_row
        The arrival log: times, persons, safe zone reached (-1 for a fixed destination outside every safe zone),
        danger zone of origin and demand row.
    exposed
        Persons inside a danger zone at some time after its onset (its ``clear_by`` deadline unless a
        :class:`~evacplan.simulation.events.DangerOnset` says otherwise), unreachable persons included.
    exposed_by_zone, exposure_person_min_by_zone
        Persons exposed and person-minutes spent inside after the onset, per danger zone.
    onset_s
        Onset time used for each danger zone.
    edge_records
        ``float64[r, 5]``: minute, edge index, persons that left the edge during the minute, persons queued at its
        end and persons on it at the minute's end; only edges with someone on them or leaving them.
    end_s
        Simulated time at which the run stopped (everyone done, or the horizon).
    horizon_s, dt_s, packet_size, compliance, n_packets, seed
        Settings of the run.
    runtime_s
        Wall-clock seconds.
    """

    evacuees: int
    unreachable: int
    stranded: int
    arrival_start_s: NDArray[np.float64]
    arrival_end_s: NDArray[np.float64]
    arrival_count: NDArray[np.int64]
    arrival_safe_zone: NDArray[np.int64]
    arrival_danger_zone: NDArray[np.int64]
    arrival_row: NDArray[np.int64]
    exposed: int
    exposed_by_zone: NDArray[np.int64]
    exposure_person_min_by_zone: NDArray[np.float64]
    onset_s: NDArray[np.float64]
    edge_records: NDArray[np.float64]
    end_s: float
    horizon_s: float
    dt_s: float
    packet_size: int
    compliance: float
    n_packets: int
    seed: int
    runtime_s: float

    @property
    def evacuated(self) -> int:
        """Persons who reached safety within the horizon."""
        return int(self.arrival_count.sum())

    @property
    def en_route(self) -> int:
        """Persons still travelling (or not yet left) when the run stopped."""
        return self.evacuees - self.unreachable - self.stranded - self.evacuated

    @property
    def evacuation_time_s(self) -> float:
        """Time the last person reached safety; ``inf`` when someone reachable did not."""
        if self.evacuated < self.evacuees - self.unreachable:
            return math.inf
        return float(self.arrival_end_s.max()) if len(self.arrival_end_s) else 0.0

    @property
    def last_arrival_s(self) -> float:
        """Time the last person who arrived reached safety (0 when nobody did)."""
        return float(self.arrival_end_s.max()) if len(self.arrival_end_s) else 0.0

    def cumulative(self, times_s: NDArray[np.float64], mask: NDArray[np.bool_] | None = None) -> NDArray[np.float64]:
        """Persons in safety by each of ``times_s`` (evenly spaced from 0), optionally only arrivals in ``mask``."""
        sel = slice(None) if mask is None else mask
        return cumulative_ramps(
            self.arrival_start_s[sel], self.arrival_end_s[sel], self.arrival_count[sel].astype(np.float64),
            np.asarray(times_s, dtype=np.float64),
        )

    def time_to_share(self, share: float) -> float:
        """Time at which ``share`` of the evacuees are in safety (``inf`` if never)."""
        target = share * self.evacuees
        if target <= 0:
            return 0.0
        if self.evacuated < target - 1e-9:
            return math.inf
        grid = np.arange(0.0, self.last_arrival_s + 2 * self.dt_s, 1.0)
        cum = self.cumulative(grid)
        i = int(np.searchsorted(cum, target - 1e-9))
        return float(grid[min(i, len(grid) - 1)])

    def clearance_time_s(self, zone: int, population: int) -> float:
        """Time the last person of danger zone ``zone`` reached safety (``inf`` if not all of them did)."""
        sel = self.arrival_danger_zone == zone
        if int(self.arrival_count[sel].sum()) < population:
            return math.inf
        return float(self.arrival_end_s[sel].max()) if sel.any() else 0.0

    def __repr__(self) -> str:
        t = self.evacuation_time_s
        when = f"all safe by {t / 60:,.0f} min" if math.isfinite(t) else f"{self.en_route + self.stranded:,} not safe"
        return (f"<SimulationResult: {self.evacuated:,} of {self.evacuees:,} people safe, {when}, "
                f"{self.exposed:,} exposed, compliance {self.compliance:g}>")

    def to_dataframe(self, problem: Problem | None = None) -> pd.DataFrame:
        """The clearance curves: cumulative persons in safety at the end of each minute.

        Parameters
        ----------
        problem
            The simulated problem: with it, a curve per danger zone of origin and per safe zone reached besides the
            overall one.

        Returns
        -------
        pandas.DataFrame
            Columns ``minute``, ``kind`` (``"all"``, ``"danger"``, ``"safe"``), ``zone`` (``""`` for ``"all"``) and
            ``evacuated``: the table of ``clearance.parquet``.
        """
        from evacplan.simulation.io import clearance_table

        return clearance_table(self, problem)

    def plot(self, problem: Problem | None = None, ax: Any = None) -> Any:
        """Draw the clearance curves: persons in safety over time, overall and (with ``problem``) per danger zone,
        each zone's deadline as a dotted line.

        Parameters
        ----------
        problem
            The simulated problem (zone names and deadlines).
        ax
            A matplotlib ``Axes`` to draw on (default: a new figure).

        Returns
        -------
        matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(8, 4.5))
        table = self.to_dataframe(problem)
        overall = table[table["kind"] == "all"]
        ax.plot(overall["minute"], overall["evacuated"], color="black", lw=2, label="all")
        if problem is not None:
            zones = problem.zones
            for z, name in enumerate(zones.danger_names):
                curve = table[(table["kind"] == "danger") & (table["zone"] == name)]
                (line,) = ax.plot(curve["minute"], curve["evacuated"], lw=1.2, label=name)
                deadline = float(zones.danger_deadline_s[z])
                if math.isfinite(deadline):
                    ax.axvline(deadline / 60.0, color=line.get_color(), ls=":", lw=1)
        ax.set_xlabel("minutes")
        ax.set_ylabel("persons in safety")
        ax.set_title(f"clearance ({self.evacuated:,} of {self.evacuees:,} people safe)")
        ax.legend(loc="lower right", fontsize="small")
        return ax

    def safe_by(self, zone: int, t_s: float) -> int:
        """Persons of danger zone ``zone`` in safety by ``t_s`` (arrival batches spread evenly over their span, whole
        persons rounded down); 0 for ``t_s <= 0`` or an infinite ``t_s`` with nobody arrived."""
        if not math.isfinite(t_s):
            return int(self.arrival_count[self.arrival_danger_zone == zone].sum())
        if t_s <= 0:
            return 0
        got = self.cumulative(np.array([0.0, float(t_s)]), self.arrival_danger_zone == zone)
        return int(math.floor(float(got[-1]) + 1e-6))

    def summary(self, problem: Problem) -> dict[str, Any]:
        """The figures written to ``summary.json`` (times in minutes, ``null`` when never reached)."""
        zones, d = problem.zones, problem.demand
        danger = []
        for z, name in enumerate(zones.danger_names):
            pop = int(d.count[d.danger == z].sum())
            clear = self.clearance_time_s(z, pop)
            deadline = float(zones.danger_deadline_s[z])
            danger.append(
                {
                    "name": name,
                    "population": pop,
                    "clearance_min": _min(clear),
                    "deadline_min": _min(deadline),
                    "met": bool(clear <= deadline),
                    "safe_by_deadline": self.safe_by(z, deadline) if math.isfinite(deadline) else None,
                    "exposed": int(self.exposed_by_zone[z]),
                    "exposure_person_min": round(float(self.exposure_person_min_by_zone[z]), 1),
                }
            )
        assigned = np.bincount(
            self.arrival_safe_zone[self.arrival_safe_zone >= 0],
            weights=self.arrival_count[self.arrival_safe_zone >= 0],
            minlength=len(zones.safe_names),
        )
        safe = [
            {
                "name": name,
                "assigned": int(assigned[s]),
                "capacity": None if not math.isfinite(zones.safe_capacity[s]) else float(zones.safe_capacity[s]),
            }
            for s, name in enumerate(zones.safe_names)
        ]
        rec = self.edge_records
        max_queue: dict[str, int | None]
        if len(rec):
            i = int(np.argmax(rec[:, 3]))
            max_queue = {"persons": int(rec[i, 3]), "edge": int(rec[i, 1]), "minute": int(rec[i, 0])}
        else:
            max_queue = {"persons": 0, "edge": None, "minute": None}
        return {
            "evacuees": self.evacuees,
            "evacuated": self.evacuated,
            "unreachable": self.unreachable,
            "stranded": self.stranded,
            "en_route_at_end": self.en_route,
            "evacuation_time_min": _min(self.evacuation_time_s),
            "last_arrival_min": _min(self.last_arrival_s),
            "t50_min": _min(self.time_to_share(0.5)),
            "t90_min": _min(self.time_to_share(0.9)),
            "danger_zones": danger,
            "safe_zones": safe,
            "exposed": self.exposed,
            "exposure_person_min": round(float(self.exposure_person_min_by_zone.sum()), 1),
            "max_queue": max_queue,
            "settings": {
                "horizon_min": _min(self.horizon_s),
                "dt_s": self.dt_s,
                "packet_size": self.packet_size,
                "compliance": self.compliance,
                "seed": self.seed,
                "packets": self.n_packets,
            },
            "simulated_min": _min(self.end_s),
            "runtime_s": round(self.runtime_s, 3),
        }
