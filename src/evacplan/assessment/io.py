"""Assessment files: ``assessment.json`` and one CSV table per part, each written atomically."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

from evacplan._atomic import atomic_path, write_json
from evacplan.assessment.api import Assessment

__all__ = ["TABLES", "read_assessment", "write_assessment", "write_csv"]

#: CSV tables written beside ``assessment.json``: file name -> key of the assessment dict.
TABLES = {
    "safe_zones.csv": "safe_zones",
    "vulnerable.csv": "vulnerable",
    "exposure.csv": "exposure",
    "border.csv": "border",
    "ete.csv": "ete",
}


def write_csv(path: str | os.PathLike[str], rows: list[dict[str, Any]], columns: list[str] | None = None) -> Path:
    """Write dict rows as a CSV file with a header, atomically (empty cells for ``None``)."""
    cols = columns or (list(rows[0]) if rows else [])
    final = Path(path)
    with atomic_path(final) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
            w.writeheader()
            for r in rows:
                w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in cols})
    return final


def write_assessment(assessment: Assessment, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write ``assessment.json`` and the CSV tables of :data:`TABLES` into ``out_dir``.

    Returns
    -------
    dict
        Paths written, by file name.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = assessment.to_dict()
    paths: dict[str, Path] = {}
    for name, key in TABLES.items():
        rows = data.get(key) or []
        paths[name] = write_csv(out / name, rows)
    paths["assessment.json"] = out / "assessment.json"
    write_json(paths["assessment.json"], data)
    return paths


def read_assessment(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read ``assessment.json`` (a file or the folder holding it) as a dict."""
    p = Path(path)
    if p.is_dir():
        p = p / "assessment.json"
    return json.loads(p.read_text(encoding="utf-8"))
