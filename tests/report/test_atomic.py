"""Every output is written atomically: a writer interrupted midway leaves no file under its final name."""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import pytest

from evacplan import pipeline as pipeline_mod
from evacplan.assessment import write_csv
from evacplan.pipeline import run_scenario
from evacplan.report import write_report


class Interrupted(Exception):
    """Stands for a crash, a full disk or Ctrl-C in the middle of a write."""


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.startswith(".") or p.suffix in (".part", ".tmp")]


def test_csv_interrupted_after_one_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = csv.DictWriter.writerow
    calls = {"n": 0}

    def writerow(self, row):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise Interrupted
        return real(self, row)

    monkeypatch.setattr(csv.DictWriter, "writerow", writerow)
    with pytest.raises(Interrupted):
        write_csv(tmp_path / "t.csv", [{"a": 1}, {"a": 2}, {"a": 3}])
    assert not (tmp_path / "t.csv").exists() and not leftovers(tmp_path)


def test_report_interrupted_midway(tmp_path: Path, small_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def write_text(self: Path, data: str, *args: object, **kw: object) -> int:
        with open(self, "w", encoding="utf-8") as fh:
            fh.write(data[: len(data) // 2])  # half the report is on disk ...
        raise Interrupted  # ... when the write fails

    monkeypatch.setattr(Path, "write_text", write_text)
    with pytest.raises(Interrupted):
        write_report([small_run], tmp_path / "report.html")
    assert not (tmp_path / "report.html").exists() and not leftovers(tmp_path)


def test_geopackage_interrupted_after_one_layer(tmp_path: Path, small_run: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    real = gpd.GeoDataFrame.to_file
    calls = {"n": 0}

    def to_file(self, *args, **kw):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise Interrupted
        return real(self, *args, **kw)

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", to_file)
    scenario = small_run.parent / "scenario" / "scenario.toml"
    out = tmp_path / "out"
    with pytest.raises(Interrupted):
        run_scenario(scenario, out, pipeline_mod.RunOptions(variants=()))
    assert calls["n"] == 3
    assert not (out / "baseline" / "evacplan.gpkg").exists()
    assert not leftovers(out), leftovers(out)
    assert not (out / "report.html").exists() and not (out / "run.json").exists()


def test_interrupted_run_leaves_only_complete_files(tmp_path: Path, small_run: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kw: object) -> None:
        raise Interrupted

    scenario = small_run.parent / "scenario" / "scenario.toml"
    out = tmp_path / "out"
    run_scenario(scenario, out, pipeline_mod.RunOptions(variants=(), report=False))
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    monkeypatch.setattr(pipeline_mod, "write_geopackage", boom)
    with pytest.raises(Interrupted):
        run_scenario(scenario, out, pipeline_mod.RunOptions(variants=(), report=False))
    # the run folder is written whole or not at all: the earlier run's files stand untouched, nothing else is there
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert not leftovers(out) and not leftovers(tmp_path)
    assert (out / "baseline" / "assessment.json").exists() and not (out / "report.html").exists()
