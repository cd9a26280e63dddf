"""One error path for outputs: an ``--out`` that is a file, a read-only folder or a full disk is a message and exit
code 2 for every command; a re-run replaces a folder as a whole (never a new ``groups.parquet`` beside an old
``summary.json``), removes what interrupted runs left, and writes a manifest last that says which run wrote it.

Tests run as root, where permissions do not bite: a read-only folder and a full disk are injected ``OSError``s."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import evacplan._atomic as atomic_mod
from evacplan.cli import app
from evacplan.problem.cache import cache_key
from evacplan.scenario import load_scenario

runner = CliRunner()
COMMANDS = {
    "plan": lambda s, o: ["plan", str(s), "--out", str(o)],
    "simulate": lambda s, o: ["simulate", str(s), "--out", str(o), "--horizon-min", "240"],
    "run": lambda s, o: ["run", str(s), "--out", str(o), "--no-variants", "--no-simulate"],
}


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def assert_message(result: Result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    for frag in fragments:
        assert squash(frag) in squash(result.output), f"{frag!r} not in:\n{result.output}"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.startswith(".") or p.suffix in (".part", ".old")]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_out_that_is_a_file(command: str, make_city: Callable[..., Path], tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.write_text("not a folder")
    result = runner.invoke(app, COMMANDS[command](make_city(), target))
    assert_message(result, f"--out {target} is a file, not a folder")
    assert target.read_text() == "not a folder"


@pytest.mark.parametrize("command", list(COMMANDS))
def test_read_only_output_folder(command: str, make_city: Callable[..., Path], tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kw: object) -> str:
        raise PermissionError(errno.EACCES, "Permission denied", str(kw.get("dir", "")))

    monkeypatch.setattr(atomic_mod.tempfile, "mkdtemp", refuse)
    result = runner.invoke(app, COMMANDS[command](make_city(), tmp_path / "ro" / "out"))
    assert_message(result, "cannot write --out", "Permission denied")


@pytest.mark.parametrize("command", list(COMMANDS))
def test_full_disk_keeps_the_previous_output(command: str, make_city: Callable[..., Path], edit: Callable[..., str],
                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    assert runner.invoke(app, COMMANDS[command](make_city(), out)).exit_code == 0
    before = snapshot(out)
    # the disk fills up after the re-run (of a changed scenario) has written its first table
    real_replace = os.replace
    calls = {"n": 0}

    def full(src: str | Path, dst: str | Path) -> None:
        if str(dst).endswith(".parquet"):
            calls["n"] += 1
            if calls["n"] >= 2:
                raise OSError(errno.ENOSPC, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", full)
    later = make_city(edit("mean = 30", "mean = 90", edit("end = 60", "end = 100")))
    assert_message(runner.invoke(app, COMMANDS[command](later, out)), "No space left on device")
    assert calls["n"] == 2
    assert snapshot(out) == before, "a failed re-run changed the folder"
    assert not leftovers(tmp_path)


def test_interrupted_replan_never_mixes_two_runs(make_city: Callable[..., Path], edit: Callable[..., str],
                                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "plan"
    assert runner.invoke(app, ["plan", str(make_city()), "--out", str(out)]).exit_code == 0
    before = snapshot(out)
    # a different scenario (an hour later) planned into the same folder, interrupted after groups.parquet is written
    import evacplan.planning.io as plan_io

    calls = {"n": 0}
    real = plan_io.write_edge_flows

    def crash(*args: object, **kw: object) -> None:
        calls["n"] += 1
        raise KeyboardInterrupt

    monkeypatch.setattr(plan_io, "write_edge_flows", crash)
    later = make_city(edit("mean = 30", "mean = 90"))
    result = runner.invoke(app, ["plan", str(later), "--out", str(out)])
    assert calls["n"] == 1 and result.exit_code != 0
    assert snapshot(out) == before, "an interrupted re-plan changed the folder"
    assert not leftovers(tmp_path)
    monkeypatch.setattr(plan_io, "write_edge_flows", real)
    assert runner.invoke(app, ["plan", str(later), "--out", str(out)]).exit_code == 0
    after = snapshot(out)
    assert after["groups.parquet"] != before["groups.parquet"] and after["summary.json"] != before["summary.json"]


def test_stale_staging_folders_and_part_files_are_removed(make_city: Callable[..., Path], tmp_path: Path) -> None:
    scenario, out = make_city(), tmp_path / "plan"
    assert runner.invoke(app, ["plan", str(scenario), "--out", str(out)]).exit_code == 0
    dead = 2**22 + 12345  # above Linux's default pid_max: no such process
    stale_stage = tmp_path / f".plan.{dead}.abc123xy.part"
    stale_stage.mkdir()
    (stale_stage / "groups.parquet").write_bytes(b"half")
    stale_part = out / ".summary.json.k2j3h4.part"
    stale_part.write_text("{")
    assert runner.invoke(app, ["plan", str(scenario), "--out", str(out)]).exit_code == 0
    assert not stale_stage.exists() and not stale_part.exists() and not leftovers(tmp_path)


def test_manifest_says_which_run_wrote_the_folder(make_city: Callable[..., Path], tmp_path: Path) -> None:
    scenario, out = make_city(), tmp_path / "plan"
    assert runner.invoke(app, ["plan", str(scenario), "--out", str(out), "--method", "fast"]).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == "plan" and manifest["options"]["method"] == "fast"
    assert manifest["inputs_hash"] == cache_key(load_scenario(scenario))
    files = {f["path"]: f for f in manifest["files"]}
    assert set(files) == {"summary.json", "groups.parquet", "steps.parquet", "edge_flows.parquet"}
    for name, f in files.items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == f["sha256"]
    # written last: nothing in the folder is newer
    assert all(os.stat(out / n).st_mtime_ns <= os.stat(out / "manifest.json").st_mtime_ns for n in files)


def test_run_folder_manifest(make_city: Callable[..., Path], tmp_path: Path) -> None:
    scenario, out = make_city(), tmp_path / "run"
    result = runner.invoke(app, ["run", str(scenario), "--out", str(out), "--no-simulate"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == "run" and manifest["inputs_hash"] == cache_key(load_scenario(scenario))
    paths = {f["path"] for f in manifest["files"]}
    assert {"run.json", "report.html", "baseline/plan/groups.parquet", "extra-closure/inputs/closed.geojson"} <= paths
    assert json.loads((out / "run.json").read_text())["inputs_hash"] == manifest["inputs_hash"]


def test_a_folder_evacplan_did_not_write_is_never_replaced(make_city: Callable[..., Path], tmp_path: Path) -> None:
    out = tmp_path / "documents"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    result = runner.invoke(app, ["plan", str(make_city()), "--out", str(out)])
    assert_message(result, "holds files evacplan did not write (no manifest.json)")
    assert (out / "thesis.tex").read_text() == "precious"


def test_simulation_into_its_own_plan_folder_is_refused(make_city: Callable[..., Path], tmp_path: Path) -> None:
    scenario, out = make_city(), tmp_path / "plan"
    assert runner.invoke(app, ["plan", str(scenario), "--out", str(out)]).exit_code == 0
    result = runner.invoke(app, ["simulate", str(scenario), "--plan", str(out), "--out", str(out)])
    assert_message(result, "is the --plan folder")
    assert (out / "groups.parquet").exists()


def test_simulate_with_a_plan_folder_that_is_not_one(make_city: Callable[..., Path], tmp_path: Path) -> None:
    bogus = tmp_path / "bogus"
    bogus.mkdir()
    (bogus / "summary.json").write_text("{}")
    result = runner.invoke(app, ["simulate", str(make_city()), "--plan", str(bogus), "--out", str(tmp_path / "s")])
    assert_message(result, f"--plan {bogus}: cannot read a plan of this scenario there")
