"""Recognise a street network file's format and read it with the matching reader."""

from __future__ import annotations

from pathlib import Path

from evacplan.errors import ScenarioError, UnsupportedFormatError
from evacplan.network.raw import RawNetwork

__all__ = ["FORMATS", "detect_format", "read_network"]

#: Formats :func:`read_network` reads, with the paths each is recognised by.
FORMATS = {
    "osm": ".osm.pbf, .pbf, .osm, .osm.bz2, .osm.xml",
    "graphml": ".graphml",
    "tntp": "*_net.tntp or .tntp",
    "gmns": "a folder with node.csv and link.csv, or either file",
}


def _accepted() -> str:
    return "; ".join(f"{k} ({v})" for k, v in FORMATS.items())


def _sniff(path: Path) -> str | None:
    """Guess from the first bytes of a file whose name says nothing."""
    try:
        with path.open("rb") as fh:
            head = fh.read(2048)
    except OSError:
        return None
    if head.startswith(b"BZh") or b"<osm" in head:
        return "osm"
    if b"<graphml" in head:
        return "graphml"
    if b"<NUMBER OF NODES>" in head or b"<NUMBER OF LINKS>" in head:
        return "tntp"
    if b"OSMHeader" in head[:64]:
        return "osm"
    return None


def detect_format(path: str | Path) -> str:
    """The format of a network file or folder.

    Parameters
    ----------
    path
        A file, or a folder holding GMNS ``node.csv`` and ``link.csv``.

    Returns
    -------
    str
        ``"osm"``, ``"graphml"``, ``"tntp"`` or ``"gmns"``.

    Raises
    ------
    ScenarioError
        If the path does not exist.
    UnsupportedFormatError
        If the format is none of those.
    """
    path = Path(path)
    if not path.exists():
        raise ScenarioError(f"{path}: network file not found")
    if path.is_dir():
        if (path / "link.csv").exists() and (path / "node.csv").exists():
            return "gmns"
        raise UnsupportedFormatError(
            f"{path}: folder has no GMNS node.csv and link.csv; accepted network formats: {_accepted()}"
        )
    name = path.name.lower()
    if name.endswith((".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.xml")):
        return "osm"
    if name.endswith(".graphml"):
        return "graphml"
    if name.endswith(".tntp"):
        return "tntp"
    if name in {"link.csv", "node.csv"}:
        return "gmns"
    sniffed = _sniff(path) if name.endswith((".xml", ".bz2", ".txt")) or "." not in name else None
    if sniffed is not None:
        return sniffed
    raise UnsupportedFormatError(
        f"{path}: unrecognised network format; accepted network formats: {_accepted()}"
    )


def read_network(
    path: str | Path,
    format: str = "auto",
    *,
    network_type: str = "walking",
    nodes: str | Path | None = None,
    crs: str | None = None,
    length_unit: str = "auto",
) -> RawNetwork:
    """Read a street network in any supported format.

    Parameters
    ----------
    path
        The network file (or GMNS folder).
    format
        ``"auto"`` (from the path, see :func:`detect_format`), ``"osm"``, ``"graphml"``, ``"tntp"`` or
        ``"gmns"``.
    network_type
        For OSM and GraphML: ``"walking"``, ``"driving"`` or ``"all"`` ways.
    nodes
        For TNTP: the node file (found beside the network file when omitted).
    crs
        CRS of the coordinates for TNTP, GMNS and plain GraphML (ignored for OSM, always lon/lat).
    length_unit
        For TNTP: unit of the ``length`` column (``"auto"``, ``"m"``, ``"km"``, ``"mi"``, ``"ft"``).

    Returns
    -------
    RawNetwork
        As the format's reader returns it.

    Raises
    ------
    ScenarioError
        If the file is missing or cannot be read.
    UnsupportedFormatError
        If the format is not supported.
    """
    path = Path(path)
    fmt = detect_format(path) if format == "auto" else str(format).lower()
    if not path.exists():
        raise ScenarioError(f"{path}: network file not found")
    if fmt == "osm":
        from evacplan.network.readers.osm import read_osm

        return read_osm(path, network_type=network_type)
    if fmt == "graphml":
        from evacplan.network.readers.graphml import read_graphml

        return read_graphml(path, network_type=network_type, crs=crs)
    if fmt == "tntp":
        from evacplan.network.readers.tntp import read_tntp

        return read_tntp(path, nodes, length_unit=length_unit, crs=crs)
    if fmt == "gmns":
        from evacplan.network.readers.gmns import read_gmns

        return read_gmns(path, crs=crs)
    raise UnsupportedFormatError(
        f"{path}: format {format!r} is not supported; accepted network formats: {_accepted()}"
    )
