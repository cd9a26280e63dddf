"""Special files are refused before anything opens them (a named pipe must not make ``validate`` wait forever), and a
variant's layers are validated exactly like the baseline's, by ``validate`` and before ``run`` writes anything."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from evacplan.cli import app

runner = CliRunner()
SRC = Path(__file__).resolve().parents[2] / "src"


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def assert_stops(result: Result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    for frag in fragments:
        assert squash(frag) in squash(result.output), f"{frag!r} not in:\n{result.output}"


def use_layer(path: Path, key_line: str, new: str) -> None:
    text = path.read_text()
    assert text.count(key_line) == 1
    path.write_text(text.replace(key_line, new))


@pytest.mark.parametrize("layer", ["population", "danger_zones", "network"])
def test_named_pipe_as_a_layer_does_not_hang_validate(layer: str, make_city: Callable[..., Path]) -> None:
    path = make_city()
    fifo = path.parent / "pipe.geojson"
    os.mkfifo(fifo)
    old = {"population": 'path = "population.tif"', "danger_zones": 'path = "danger_zones.geojson"',
           "network": 'path = "network"'}[layer]
    use_layer(path, old, 'path = "pipe.geojson"')
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.run([sys.executable, "-c", "from evacplan.cli import main; main()", "validate", str(path)],
                          env=env, capture_output=True, text=True, timeout=120)  # a hang fails here
    assert proc.returncode == 2, proc.stderr
    assert squash(f"{layer}.path: 'pipe.geojson' is a named pipe (FIFO), not a file") in squash(proc.stderr)
    assert "Traceback" not in proc.stderr


def test_a_device_and_a_system_file_are_not_layers(make_city: Callable[..., Path]) -> None:
    path = make_city()
    use_layer(path, 'path = "closed.geojson"', 'path = "/dev/zero"')
    assert_stops(runner.invoke(app, ["validate", str(path)]), "closed.path: '/dev/zero' resolves to /dev/zero, a "
                 "system file, not a data layer")
    path = make_city()
    use_layer(path, 'path = "closed.geojson"', 'path = "../../../../../../proc/self/status"')
    assert_stops(runner.invoke(app, ["validate", str(path)]), "'../../../../../../proc/self/status' resolves to /proc/",
                 "a system file, not a data layer")


def test_named_pipe_beside_a_shapefile(make_city: Callable[..., Path]) -> None:
    import geopandas as gpd

    path = make_city()
    gpd.read_file(path.parent / "closed.geojson").iloc[:1].to_file(path.parent / "closed.shp")
    (path.parent / "closed.dbf").unlink()
    os.mkfifo(path.parent / "closed.dbf")
    use_layer(path, 'path = "closed.geojson"', 'path = "closed.shp"')
    assert_stops(runner.invoke(app, ["validate", str(path)]), "closed.dbf (beside or inside 'closed.shp') is a named "
                 "pipe (FIFO)")


def test_scenario_file_that_is_a_pipe_or_a_folder(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe" / "scenario.toml"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    assert_stops(runner.invoke(app, ["validate", str(fifo)]), "is a named pipe (FIFO), not a file")
    (tmp_path / "folder.toml").mkdir()
    assert_stops(runner.invoke(app, ["validate", str(tmp_path / "folder.toml")]), "is a folder, not a scenario file")


@pytest.mark.parametrize("kind", ["binary", "system"])
def test_variant_with_a_bad_closed_layer(kind: str, make_city: Callable[..., Path], tmp_path: Path) -> None:
    path = make_city()
    if kind == "binary":
        (path.parent / "variant_closed.geojson").write_bytes(bytes(range(256)) * 64)
        expected = ["variants[1].closed (extra closure): cannot read the layer", "variant_closed.geojson"]
    else:
        use_layer(path, 'closed = "variant_closed.geojson"', 'closed = "/etc/passwd"')
        expected = ["variants[1].closed (extra closure): cannot read the layer", "/etc/passwd"]
    assert_stops(runner.invoke(app, ["validate", str(path)]), *expected)
    out = tmp_path / "run"
    assert_stops(runner.invoke(app, ["run", str(path), "--out", str(out)]), *expected)
    assert not out.exists(), "run wrote before it checked the variant's layers"


def test_variant_closing_everything_is_implausible(make_city: Callable[..., Path], tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    path = make_city()
    gpd.GeoDataFrame({"name": ["all"]}, geometry=[box(24.93, 60.16, 24.96, 60.18)], crs=4326).to_file(
        path.parent / "variant_closed.geojson", driver="GeoJSON")
    result = runner.invoke(app, ["validate", str(path)])
    assert_stops(result, "Implausible scenario", "variant_closed.geojson: variants[1] (extra closure): closed",
                 "nobody is placed in any danger zone (0 evacuees): no street node is usable: the closed areas cover "
                 "every node")
    out = tmp_path / "run"
    assert_stops(runner.invoke(app, ["run", str(path), "--out", str(out)]), "variant 'extra closure'")
    assert not out.exists()
    forced = runner.invoke(app, ["run", str(path), "--out", str(out), "--force", "--no-simulate"])
    assert forced.exit_code == 0, forced.output
