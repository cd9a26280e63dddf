"""Combining member records: distributions, deadline-miss probabilities, bottleneck frequencies, fan-chart bands.

Quantiles of scalar outcomes use the inverted empirical CDF (``numpy.quantile(method="inverted_cdf")``): each is
the outcome of one member, so a quantile is ``inf`` (``null`` in JSON) when at least that share of members did not
clear, and no interpolation mixes finite and infinite times. The fan-chart bands interpolate linearly (every value is
finite there). Member records are read in index order, so every figure is independent of the order in which members
finished.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from evacplan._atomic import atomic_path, write_json
from evacplan.network.names import edge_names
from evacplan.problem.problem import Problem

__all__ = ["BOTTLENECK_TOP", "FAN_QUANTILES", "QUANTILES", "SUMMARY_SCHEMA", "load_members", "members_table",
           "summarize"]

#: Version of ``ensemble_summary.json``.
SUMMARY_SCHEMA = 1
#: Quantiles reported for every scalar outcome.
QUANTILES = (0.5, 0.9, 0.99)
#: Quantiles of the fan chart's bands (outer band, inner band, median).
FAN_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
#: A member's bottlenecks: its edges with the most queued person-minutes, at most this many.
BOTTLENECK_TOP = 20


def load_members(out_dir: str | os.PathLike[str], runs: int) -> list[dict[str, Any]]:
    """The records of members ``0 .. runs-1``, in index order.

    Raises
    ------
    FileNotFoundError
        When a member's record is missing.
    """
    out = Path(out_dir)
    return [json.loads((out / "members" / f"{i:06d}.json").read_text(encoding="utf-8")) for i in range(runs)]


def _num(v: float | None) -> float:
    return math.inf if v is None else float(v)


def _json(v: float) -> float | None:
    return None if not math.isfinite(v) else round(float(v), 4)


def distribution(values: list[float | None] | NDArray[np.float64]) -> dict[str, Any]:
    """P50, P90, P99, mean, min and max of per-member values (``None`` = never: infinite)."""
    a = np.array([_num(v) for v in values], dtype=np.float64)
    out: dict[str, Any] = {}
    for q in QUANTILES:
        out[f"p{round(q * 100)}"] = _json(float(np.quantile(a, q, method="inverted_cdf")))
    finite = a[np.isfinite(a)]
    out["mean"] = _json(float(a.mean())) if finite.size == a.size else None
    out["min"] = _json(float(a.min()))
    out["max"] = _json(float(a.max()))
    out["never_share"] = round(float(1.0 - finite.size / max(a.size, 1)), 6)
    return out


def members_table(records: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per member: its draws and outcomes; per danger zone ``clearance_min:NAME`` and ``missed:NAME``."""
    rows = []
    for r in records:
        row: dict[str, Any] = {"member": r["member"], "seed": r["seed"], **r["draw"]}
        for k in ("evacuees", "evacuated", "unreachable", "stranded", "en_route_at_end", "exposed"):
            row[k] = int(r[k])
        for k in ("evacuation_time_min", "last_arrival_min", "t50_min", "t90_min", "exposure_person_min"):
            row[k] = np.nan if r[k] is None else float(r[k])
        for z in r["zones"]:
            row[f"clearance_min:{z['name']}"] = np.nan if z["clearance_min"] is None else float(z["clearance_min"])
            row[f"missed:{z['name']}"] = bool(z["missed"])
            row[f"exposed:{z['name']}"] = int(z["exposed"])
        row["runtime_s"] = float(r["runtime_s"])
        rows.append(row)
    return pd.DataFrame(rows)


def clearance_bands(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Share of evacuees in safety by minute: the fan-chart quantiles over members, and their mean."""
    step = records[0]["curve_step_min"]
    n = max(len(r["curve"]) for r in records)
    share = np.zeros((len(records), n))
    for i, r in enumerate(records):
        c = np.asarray(r["curve"], dtype=np.float64) / max(r["evacuees"], 1)
        share[i, : c.size] = c
        share[i, c.size:] = c[-1] if c.size else 0.0
    q = np.quantile(share, FAN_QUANTILES, axis=0)
    table = {"minute": np.arange(n, dtype=np.float64) * step}
    for k, level in enumerate(FAN_QUANTILES):
        table[f"p{round(level * 100):02d}"] = np.round(q[k], 6)
    table["mean"] = np.round(share.mean(axis=0), 6)
    return pd.DataFrame(table)


def bottleneck_table(records: list[dict[str, Any]], problem: Problem | None = None,
                     top: int = BOTTLENECK_TOP) -> pd.DataFrame:
    """Per edge that queued in some member: how often it is among a member's ``top`` bottlenecks, and its queues."""
    n = len(records)
    stats: dict[int, list[float]] = {}  # edge -> [bottleneck members, queued members, person-min sum, max queues...]
    maxq: dict[int, list[float]] = {}
    for r in records:
        q = r["queues"]
        edges = np.asarray(q["edge"], dtype=np.int64)
        pm = np.asarray(q["queue_person_min"], dtype=np.float64)
        order = np.lexsort((edges, -pm))[:top]
        top_set = set(edges[order][pm[order] > 0].tolist())
        for e, p, m in zip(edges.tolist(), pm.tolist(), q["max_queue"], strict=True):
            s = stats.setdefault(e, [0.0, 0.0, 0.0])
            s[0] += e in top_set
            s[1] += 1
            s[2] += p
            maxq.setdefault(e, []).append(float(m))
    edges = np.array(sorted(stats), dtype=np.int64)
    arr = np.array([stats[e] for e in edges.tolist()]).reshape(-1, 3)
    p90 = [float(np.quantile(np.r_[maxq[e], np.zeros(n - len(maxq[e]))], 0.9)) for e in edges.tolist()]
    table = pd.DataFrame({
        "edge": edges,
        "p_bottleneck": np.round(arr[:, 0] / max(n, 1), 6),
        "p_queued": np.round(arr[:, 1] / max(n, 1), 6),
        "mean_queue_person_min": np.round(arr[:, 2] / max(n, 1), 2),
        "max_queue_p90": np.round(np.asarray(p90), 1),
    })
    if problem is not None and len(edges):
        net = problem.network
        table.insert(1, "edge_id", np.asarray(net.edge_id)[edges])
        table.insert(2, "tail_id", np.asarray(net.node_id)[net.tail[edges]])
        table.insert(3, "head_id", np.asarray(net.node_id)[net.head[edges]])
        table.insert(4, "name", edge_names(net)[edges])
    table = table.sort_values(["p_bottleneck", "mean_queue_person_min", "edge"], ascending=[False, False, True])
    return table.reset_index(drop=True)


def summarize(out_dir: str | os.PathLike[str], runs: int, problem: Problem | None = None,
              top: int = BOTTLENECK_TOP) -> dict[str, Any]:
    """Combine members ``0 .. runs-1`` of the ensemble in ``out_dir`` and write the combined outputs.

    Writes ``members.parquet``, ``ensemble_summary.json``, ``edge_bottleneck.parquet``,
    ``clearance_quantiles.parquet`` and ``fan_chart.svg`` (each atomically).

    Parameters
    ----------
    out_dir
        The ensemble folder.
    runs
        Members to combine.
    problem
        The built problem, to name edges by their source ids in ``edge_bottleneck.parquet`` (optional).
    top
        A member's bottlenecks are its ``top`` edges with the most queued person-minutes.

    Returns
    -------
    dict
        The content of ``ensemble_summary.json``.
    """
    from evacplan.ensemble.report import fan_chart_svg

    out = Path(out_dir)
    records = load_members(out, runs)
    config_path = out / "ensemble.json"
    config = json.loads(config_path.read_text(encoding="utf-8")) if config_path.exists() else {}
    members = members_table(records)
    with atomic_path(out / "members.parquet") as tmp:
        members.to_parquet(tmp, index=False)
    bands = clearance_bands(records)
    with atomic_path(out / "clearance_quantiles.parquet") as tmp:
        bands.to_parquet(tmp, index=False)
    edges = bottleneck_table(records, problem, top)
    with atomic_path(out / "edge_bottleneck.parquet") as tmp:
        edges.to_parquet(tmp, index=False)

    zones = []
    for k, z in enumerate(records[0]["zones"]):
        zs = [r["zones"][k] for r in records]
        zones.append({
            "name": z["name"],
            "deadline_min": z["deadline_min"],
            "p_missed_deadline": round(sum(bool(x["missed"]) for x in zs) / len(zs), 6),
            "clearance_min": distribution([x["clearance_min"] for x in zs]),
            "exposed": distribution([x["exposed"] for x in zs]),
        })
    runtime = np.array([r["runtime_s"] for r in records], dtype=np.float64)
    summary = {
        "schema": SUMMARY_SCHEMA,
        "scenario": config.get("scenario", ""),
        "members": runs,
        "seed": config.get("seed"),
        "quantiles": "inverted empirical CDF over members; null = not everyone reachable reached safety",
        "evacuees": distribution([r["evacuees"] for r in records]),
        "evacuation_time_min": distribution([r["evacuation_time_min"] for r in records]),
        "t50_min": distribution([r["t50_min"] for r in records]),
        "t90_min": distribution([r["t90_min"] for r in records]),
        "evacuated_share": distribution([r["evacuated"] / max(r["evacuees"], 1) for r in records]),
        "stranded": distribution([r["stranded"] for r in records]),
        "exposed": distribution([r["exposed"] for r in records]),
        "exposure_person_min": distribution([r["exposure_person_min"] for r in records]),
        "danger_zones": zones,
        "bottleneck_top": top,
        "bottlenecks": json.loads(edges.head(10).to_json(orient="records")),
        "member_runtime_s": {"mean": round(float(runtime.mean()), 3), "median": round(float(np.median(runtime)), 3),
                             "sum": round(float(runtime.sum()), 3)},
        "uncertainty": config.get("uncertainty"),
        "plan": config.get("plan"),
        "settings": config.get("settings"),
    }
    write_json(out / "ensemble_summary.json", summary)
    deadlines = [(z["name"], z["deadline_min"]) for z in zones if z["deadline_min"] is not None]
    svg = fan_chart_svg(bands, deadlines, title=f"Share of evacuees in safety, {runs} members")
    with atomic_path(out / "fan_chart.svg") as tmp:
        tmp.write_text(svg, encoding="utf-8")
    return summary
