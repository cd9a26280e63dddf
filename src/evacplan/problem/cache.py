"""On-disk cache of built problems, keyed by the hash of every input.

The key covers the evacplan version, the scenario file and the bytes of every file it reads, so editing any input
rebuilds. The cache lives in ``$EVACPLAN_CACHE_DIR`` (default ``~/.cache/evacplan``; a private temporary folder when
that is not writable); set it to an empty string to disable caching.
"""

from __future__ import annotations

import dataclasses
import glob
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from evacplan._atomic import atomic_path
from evacplan._env import can_write, private_temp_dir
from evacplan.errors import Problem as Finding
from evacplan.network.graph import Network
from evacplan.network.zones import ZoneMap
from evacplan.population.demand import Demand
from evacplan.problem.problem import Problem
from evacplan.scenario.schema import GroupSpec, ModeSpec, Scenario, StandardsSpec

__all__ = ["cache_dir", "cache_key", "load_cached", "store_cached"]

log = logging.getLogger(__name__)
_FORMAT = 5  # bump whenever what a build produces changes


_CHOSEN: dict[str, Path | None] = {}


def cache_dir() -> Path | None:
    """The cache folder, or ``None`` when caching is disabled.

    ``$EVACPLAN_CACHE_DIR`` (empty: disabled), by default ``~/.cache/evacplan``. When that folder cannot be written
    (a read-only or missing home), a private temporary folder is used instead, with a one-line notice.
    """
    env = os.environ.get("EVACPLAN_CACHE_DIR")
    if env is not None and not env:
        return None
    try:
        want = Path(env) if env else Path.home() / ".cache" / "evacplan"
    except RuntimeError:  # no home folder at all
        want = None
    key = str(want)
    if key not in _CHOSEN:
        if want is not None and can_write(want):
            _CHOSEN[key] = want
        else:
            folder = private_temp_dir("cache")
            _CHOSEN[key] = folder
            where = f"{want} is not writable" if want is not None else "there is no home folder"
            log.warning("build cache: %s; %s (set EVACPLAN_CACHE_DIR)", where,
                        f"caching in {folder}" if folder is not None else "not caching")
    return _CHOSEN[key]


def cache_key(scenario: Scenario) -> str | None:
    """Hash of the evacplan version and every input file's bytes."""
    from evacplan import __version__

    h = hashlib.sha256(f"evacplan {__version__} cache {_FORMAT}\n".encode())
    for p in scenario.input_paths():
        h.update(str(p.name).encode())
        if p.is_dir():
            files = sorted(q for q in p.rglob("*") if q.is_file())
        else:  # a shapefile's .dbf, .prj, ... sit beside it under the same stem
            files = sorted(q for q in p.parent.glob(f"{glob.escape(p.stem)}.*") if q.is_file()) or [p]
        for f in files:
            with open(f, "rb") as fh:
                for chunk in iter(lambda fh=fh: fh.read(1 << 22), b""):  # type: ignore[misc]
                    h.update(chunk)
    return h.hexdigest()[:32]


def store_cached(key: str, problem: Problem) -> None:
    """Write ``problem`` to the cache (atomically; failures only log)."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        arrays, meta = _to_arrays(problem)
        with atomic_path(folder / f"{key}.npz") as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, **arrays)  # type: ignore[arg-type]
        with atomic_path(folder / f"{key}.json") as tmp:
            tmp.write_text(json.dumps(meta))
    except OSError as exc:  # a read-only home must not stop the work
        log.warning("could not write the build cache in %s: %s", folder, exc)


def load_cached(key: str) -> Problem | None:
    """The cached problem for ``key``, or ``None``."""
    folder = cache_dir()
    if folder is None:
        return None
    npz, js = folder / f"{key}.npz", folder / f"{key}.json"
    if not (npz.exists() and js.exists()):
        return None
    try:
        meta = json.loads(js.read_text())
        with np.load(npz, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        return _from_arrays(arrays, meta)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("ignoring an unreadable cache entry %s: %s", npz, exc)
        return None


def _to_arrays(p: Problem) -> tuple[dict[str, np.ndarray], dict[str, object]]:
    net, z, d = p.network, p.zones, p.demand
    arrays = {f"net_{k}": getattr(net, k) for k in ("node_id", "x", "y", "indptr", "tail", "head", "length_m",
                                                    "speed_mps", "capacity_per_s", "storage", "edge_id",
                                                    "edge_name")}
    arrays.update({f"zone_{k}": getattr(z, k) for k in ("danger_deadline_s", "node_danger", "safe_capacity",
                                                        "node_safe", "safe_area_m2", "safe_residents",
                                                        "safe_declared_capacity", "safe_drawn_area_m2")})
    arrays.update({f"svc_{k}": v for k, v in z.safe_services.items()})
    arrays.update({f"dem_{k}": getattr(d, k) for k in ("origin", "group", "mode", "count", "danger", "curve")})
    arrays["departure_cdf"] = p.departure_cdf
    arrays["reachable"] = p.reachable
    meta = {
        "name": p.name, "crs": net.crs, "street_names": list(net.street_names),
        "modes": [dataclasses.asdict(m) for m in p.modes],
        "groups": [dataclasses.asdict(g) for g in d.groups], "danger_names": list(z.danger_names),
        "safe_names": list(z.safe_names), "time_step_s": p.time_step_s, "horizon_s": p.horizon_s, "seed": p.seed,
        "off_network": p.off_network, "standards": dataclasses.asdict(p.standards), "closed_edges": p.closed_edges,
        "jam_density_p_per_m2": p.jam_density_p_per_m2,
        "placed": p.placed, "provenance": p.provenance,
        "findings": [[f.file, f.where, f.message] for f in p.findings],
    }
    return arrays, meta


def _from_arrays(a: dict[str, np.ndarray], meta: dict) -> Problem:  # type: ignore[type-arg]
    modes = tuple(ModeSpec(**m) for m in meta["modes"])
    net_arrays: dict[str, Any] = {k[4:]: v for k, v in a.items() if k.startswith("net_")}
    net = Network(crs=meta["crs"], modes=tuple(m.name for m in modes),
                  street_names=tuple(str(s) for s in meta.get("street_names", ())), **net_arrays)
    zones = ZoneMap(danger_names=tuple(meta["danger_names"]), safe_names=tuple(meta["safe_names"]),
                    safe_services={k[4:]: v for k, v in a.items() if k.startswith("svc_")},
                    **{k[5:]: v for k, v in a.items() if k.startswith("zone_")})
    demand = Demand(groups=tuple(GroupSpec(**g) for g in meta["groups"]),
                    **{k[4:]: v for k, v in a.items() if k.startswith("dem_")})
    problem = Problem(
        name=meta["name"], network=net, zones=zones, demand=demand, modes=modes, departure_cdf=a["departure_cdf"],
        time_step_s=meta["time_step_s"], horizon_s=meta["horizon_s"], seed=meta["seed"], reachable=a["reachable"],
        off_network=meta["off_network"], standards=StandardsSpec(**meta["standards"]),
        closed_edges=meta["closed_edges"], jam_density_p_per_m2=meta["jam_density_p_per_m2"],
        placed=meta["placed"], provenance=meta["provenance"],
        findings=tuple(Finding(str(f), str(w), str(m), True) for f, w, m in meta.get("findings", [])),
    )
    problem.validate()
    return problem
