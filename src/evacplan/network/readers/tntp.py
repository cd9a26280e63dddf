"""TNTP network files (``*_net.tntp`` and ``*_node.tntp``) from the Transportation Networks for Research collection.

Format: a metadata block (``<NUMBER OF NODES> ...``, ``<END OF METADATA>``), a header line starting with ``~``, then
one link per line: ``init_node term_node capacity length free_flow_time b power speed toll link_type ;`` (some
networks add ``critical_speed lanes``). Units differ per network; the ``<ORIGINAL HEADER>`` line usually names them.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from evacplan.errors import ScenarioError
from evacplan.network.raw import RawNetwork

__all__ = ["find_node_file", "guess_length_unit", "read_tntp"]

_UNIT_M = {"m": 1.0, "km": 1000.0, "mi": 1609.344, "ft": 0.3048}


def _metadata(text: str) -> dict[str, str]:
    meta = {}
    for m in re.finditer(r"<([A-Z ]+)>([^\n]*)", text):
        meta[m.group(1).strip()] = m.group(2).strip()
    return meta


def guess_length_unit(header: str, lonlat: bool) -> str:
    """Guess the unit of the ``length`` column from the ``<ORIGINAL HEADER>`` text.

    Returns ``"ft"``, ``"mi"``, ``"km"`` or ``"m"``. Without a hint, networks with lon/lat nodes are taken to be in
    km and others in miles (the collection's most common conventions).
    """
    h = header.lower()
    for pat, unit in ((r"length\s*\(ft|\(ft\)", "ft"), (r"\(miles?\)|length\s*\(mi", "mi"),
                      (r"\(km\)|length\s*\(km", "km"), (r"length\s*\(m\)", "m")):
        if re.search(pat, h):
            return unit
    return "km" if lonlat else "mi"


def find_node_file(net_path: Path) -> Path | None:
    """The node file beside a ``*_net.tntp`` file, or ``None``."""
    folder = net_path.parent
    stem = re.sub(r"_net$", "", net_path.stem, flags=re.I)
    for cand in sorted(folder.iterdir()):
        name = cand.name.lower()
        if name.startswith(stem.lower()) and "node" in name and cand.suffix.lower() in {".tntp", ".geojson"}:
            return cand
    for cand in sorted(folder.iterdir()):
        if "node" in cand.name.lower() and cand.suffix.lower() in {".tntp", ".geojson"}:
            return cand
    return None


def _read_nodes(path: Path) -> pd.DataFrame:
    if path.suffix.lower() == ".geojson":
        import geopandas as gpd

        gdf = gpd.read_file(path)
        idcol = next((c for c in gdf.columns if c.lower() in {"id", "node", "node_id"}), None)
        if idcol is None:
            raise ScenarioError(f"{path}: node layer has no 'id' column (columns: {list(gdf.columns)})")
        return pd.DataFrame({"id": gdf[idcol].astype(np.int64), "x": gdf.geometry.x, "y": gdf.geometry.y})
    rows = []
    for line in path.read_text().splitlines():
        t = line.replace(";", " ").split()
        if len(t) >= 3 and t[0].lstrip("-").isdigit():
            rows.append((int(t[0]), float(t[1]), float(t[2])))
    if not rows:
        raise ScenarioError(f"{path}: no node lines ('id x y ;') found")
    arr = np.array(rows)
    return pd.DataFrame({"id": arr[:, 0].astype(np.int64), "x": arr[:, 1], "y": arr[:, 2]})


def read_tntp(
    net_path: str | Path,
    node_path: str | Path | None = None,
    *,
    length_unit: str = "auto",
    crs: str | None = None,
) -> RawNetwork:
    """Read a TNTP network.

    Parameters
    ----------
    net_path
        The ``*_net.tntp`` file.
    node_path
        The node file (``*_node.tntp`` or a GeoJSON of points with an ``id``); found beside ``net_path`` if omitted.
    length_unit
        Unit of the ``length`` column: ``"m"``, ``"km"``, ``"mi"``, ``"ft"`` or ``"auto"`` (from the header).
    crs
        CRS of the node coordinates; ``None`` means lon/lat (EPSG:4326) when they look like degrees, else unknown.

    Returns
    -------
    RawNetwork
        Edges carry ``length_m``, ``capacity_vph``, ``vehicle_speed_mps`` and ``lanes`` (from the file's ``lanes``
        column, else ``round(capacity / 1800)`` between 1 and 4) and no street names. Zone-connector links
        (free-flow time and length 0) are kept with a minimum length of 1 m.
    """
    net_path = Path(net_path)
    text = net_path.read_text(errors="replace")
    meta = _metadata(text)
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("~")), None)
    if start is None:
        raise ScenarioError(f"{net_path}: not a TNTP network file (no line starting with '~')")
    cols = lines[start].replace("~", " ").replace(";", " ").split()
    rows = [line.replace(";", " ").split() for line in lines[start + 1 :]]
    rows = [r for r in rows if r and not r[0].startswith("<")]
    if not rows:
        raise ScenarioError(f"{net_path}: no link lines after the '~' header")
    width = min(len(r) for r in rows)
    data = np.array([r[:width] for r in rows], dtype=np.float64)
    cols = cols[:width] + [f"col{i}" for i in range(len(cols), width)]
    df = pd.DataFrame(data, columns=cols[:width])
    if node_path is None:
        node_path = find_node_file(net_path)
        if node_path is None:
            raise ScenarioError(f"{net_path}: no node file found beside it; set network.nodes in the scenario")
    nodes = _read_nodes(Path(node_path))
    lonlat = bool(nodes.x.abs().max() <= 180 and nodes.y.abs().max() <= 90)
    if crs is None and lonlat:
        crs = "EPSG:4326"
    unit = guess_length_unit(meta.get("ORIGINAL HEADER", ""), lonlat) if length_unit == "auto" else length_unit
    if unit not in _UNIT_M:
        raise ScenarioError(f"{net_path}: length_unit {unit!r} is not one of {sorted(_UNIT_M)}")
    length_m = df["length"].to_numpy() * _UNIT_M[unit]
    fftt_s = df["free_flow_time"].to_numpy() * 60.0
    cap = df["capacity"].to_numpy()
    if "lanes" in df.columns:
        lanes = np.clip(df["lanes"].to_numpy(), 1, None)
    else:
        lanes = np.clip(np.round(cap / 1800.0), 1, 4)
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.where(fftt_s > 0, length_m / fftt_s, np.nan)
    edges = pd.DataFrame(
        {
            "u": df["init_node"].astype(np.int64),
            "v": df["term_node"].astype(np.int64),
            "length_m": np.maximum(length_m, 1.0),
            "highway": pd.Series([None] * len(df), dtype=object),
            "width_m": np.nan,
            "lanes": lanes,
            "vehicle_speed_mps": speed,
            "capacity_vph": cap,
            "oneway": True,
            "walk": True,
            "vehicle": True,
            "edge_id": np.arange(len(df), dtype=np.int64),
            "name": pd.Series([None] * len(df), dtype=object),
        }
    )
    edges = edges[edges.u != edges.v].reset_index(drop=True)
    known = set(nodes.id.tolist())
    missing = sorted((set(edges.u.tolist()) | set(edges.v.tolist())) - known)
    if missing:
        raise ScenarioError(f"{net_path}: links use node ids absent from {node_path}: {missing[:5]}")
    return RawNetwork(nodes=nodes, edges=edges, crs=crs)
