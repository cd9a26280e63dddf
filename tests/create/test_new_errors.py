"""Bad arguments to ``evacplan new`` give a clear message naming the option and value, exit code 2, and no folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from typer.testing import CliRunner

from evacplan.cli import app

from .conftest import FLORIANA, INNER

runner = CliRunner()


def fails(tmp_path: Path, *args: str) -> str:
    folder = tmp_path / "city"
    result = runner.invoke(app, ["new", str(folder), *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not folder.exists(), "a failed `new` must leave no folder behind"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".city.")], "temporary folder left behind"
    return " ".join(result.output.split())


def _raster(path: Path, crs: str | None, x0: float, y1: float) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=10, height=10, count=1, dtype="float32", crs=crs,
                       transform=from_origin(x0, y1, 100.0, 100.0)) as dst:
        dst.write(np.ones((10, 10), dtype=np.float32), 1)
    return path


def test_bbox_not_overlapping_the_extract(tmp_path: Path) -> None:
    out = fails(tmp_path, "--osm", str(FLORIANA), "--bbox", "14.30,35.80,14.32,35.81", "--people", "100")
    assert "floriana.osm.pbf" in out and "does not overlap the extract" in out and "14.30" in out.replace("14.3000",
                                                                                                        "14.30")


def test_empty_extract(tmp_path: Path) -> None:
    import osmium

    empty = tmp_path / "empty.osm.pbf"
    with osmium.SimpleWriter(str(empty)):
        pass
    out = fails(tmp_path, "--osm", str(empty), "--bbox", INNER, "--people", "100")
    assert "empty.osm.pbf" in out and "the extract is empty" in out


def test_extract_without_streets(tmp_path: Path) -> None:
    import osmium

    path = tmp_path / "nostreets.osm.pbf"
    with osmium.SimpleWriter(str(path)) as w:
        w.add_node(osmium.osm.mutable.Node(id=1, location=(14.51, 35.896)))
    out = fails(tmp_path, "--osm", str(path), "--bbox", INNER, "--people", "100")
    assert "holds no streets" in out


def test_raster_in_another_crs(tmp_path: Path) -> None:
    # the fixture's UTM 33N coordinates, but labelled UTM 35N: the raster lies hundreds of km away
    tif = _raster(tmp_path / "wrong.tif", "EPSG:32635", 455_000.0, 3_973_500.0)
    out = fails(tmp_path, "--osm", str(FLORIANA), "--bbox", INNER, "--population", str(tif))
    assert "wrong.tif" in out and "EPSG:32635" in out and "does not overlap" in out


def test_raster_without_crs(tmp_path: Path) -> None:
    tif = _raster(tmp_path / "nocrs.tif", None, 455_000.0, 3_973_500.0)
    out = fails(tmp_path, "--osm", str(FLORIANA), "--bbox", INNER, "--population", str(tif))
    assert "nocrs.tif" in out and "has no CRS" in out


@pytest.mark.parametrize("people", ["0", "-5"])
def test_zero_or_negative_people(tmp_path: Path, people: str) -> None:
    out = fails(tmp_path, "--osm", str(FLORIANA), "--bbox", INNER, "--people", people)
    assert f"--people {people}" in out and "positive whole number" in out


@pytest.mark.parametrize(("args", "words"), [
    ((), "no streets"),
    (("--osm", "FLORIANA", "--bbox", INNER), "no people"),
    (("--osm", "FLORIANA", "--bbox", INNER, "--boundary", "x.geojson", "--people", "5"), "give one area"),
    (("--osm", "FLORIANA", "--bbox", "14.5,35.9,14.4", "--people", "5"), "expected four numbers"),
    (("--osm", "FLORIANA", "--bbox", "14.52,35.9,14.50,35.95", "--people", "5"), "minlon < maxlon"),
    (("--osm", "missing.osm.pbf", "--bbox", INNER, "--people", "5"), "file not found"),
    (("--osm", "FLORIANA", "--bbox", INNER, "--people", "5", "--spread", "roofs"), "--spread 'roofs'"),
])
def test_contradictory_or_missing_arguments(tmp_path: Path, args: tuple[str, ...], words: str) -> None:
    argv = [str(FLORIANA) if a == "FLORIANA" else a for a in args]
    assert words in fails(tmp_path, *argv)
