"""Special files are refused before anything opens them, and a variant's layers are validated exactly like the
baseline's, by ``validate`` and before ``run`` writes anything. (Named pipes, which could hang a test, are tested in
a subprocess with a timeout: ``test_mutations.py``.)"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from evacplan.cli import app

runner = CliRunner()


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


def test_a_device_and_a_system_file_are_not_layers(make_city: Callable[..., Path]) -> None:
    path = make_city()
    use_layer(path, 'path = "closed.geojson"', 'path = "/dev/zero"')
    assert_stops(runner.invoke(app, ["validate", str(path)]), "closed.path: '/dev/zero' resolves to /dev/zero, a "
                 "system file, not a data layer")
    path = make_city()
    use_layer(path, 'path = "closed.geojson"', 'path = "../../../../../../proc/self/status"')
    assert_stops(runner.invoke(app, ["validate", str(path)]), "'../../../../../../proc/self/status' resolves to /proc/",
                 "a system file, not a data layer")


def test_scenario_file_that_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "folder.toml").mkdir()
    assert_stops(runner.invoke(app, ["validate", str(tmp_path / "folder.toml")]),
                 "is a folder without a scenario.toml, not a scenario file")


def test_scenario_folder_stands_for_its_scenario_toml(make_city: Callable[..., Path]) -> None:
    path = make_city()
    result = runner.invoke(app, ["validate", str(path.parent)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("valid:"), result.output


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
