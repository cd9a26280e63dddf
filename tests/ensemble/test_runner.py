"""Running ensembles: identical results whatever the workers, real clusters, dead workers and resumed runs."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from evacplan.ensemble import EnsembleError, MemberSettings, UncertaintySpec, load_members, run_ensemble
from evacplan.problem.problem import Problem

RUNS = 8


def _records(out: Path, runs: int) -> list[dict[str, Any]]:
    recs = load_members(out, runs)
    for r in recs:
        r.pop("runtime_s")
    return recs


def _combined(out: Path) -> tuple[pd.DataFrame, dict[str, Any], pd.DataFrame, pd.DataFrame]:
    members = pd.read_parquet(out / "members.parquet").drop(columns="runtime_s")
    summary = json.loads((out / "ensemble_summary.json").read_text())
    summary.pop("member_runtime_s")
    return (members, summary, pd.read_parquet(out / "edge_bottleneck.parquet"),
            pd.read_parquet(out / "clearance_quantiles.parquet"))


def _assert_same_ensemble(a: Path, b: Path, runs: int) -> None:
    assert _records(a, runs) == _records(b, runs)
    ma, sa, ea, ca = _combined(a)
    mb, sb, eb, cb = _combined(b)
    pd.testing.assert_frame_equal(ma, mb)
    assert sa == sb
    pd.testing.assert_frame_equal(ea, eb)
    pd.testing.assert_frame_equal(ca, cb)
    assert (a / "fan_chart.svg").read_text() == (b / "fan_chart.svg").read_text()


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, grid: Problem, grid_plan, spec: UncertaintySpec) -> Path:
    """The ensemble computed in this process, member after member."""
    out = tmp_path_factory.mktemp("reference")
    run = run_ensemble(grid, out, runs=RUNS, spec=spec, plan=grid_plan, workers=0)
    assert run.computed == list(range(RUNS)) and not run.skipped
    return out


@pytest.mark.parametrize("workers", [1, 2])
def test_same_results_with_one_and_two_workers(tmp_path: Path, grid: Problem, grid_plan, spec: UncertaintySpec,
                                               reference: Path, workers: int) -> None:
    run = run_ensemble(grid, tmp_path, runs=RUNS, spec=spec, plan=grid_plan, workers=workers)
    assert sorted(run.computed) == list(range(RUNS))
    _assert_same_ensemble(reference, tmp_path, RUNS)
    summary = json.loads((tmp_path / "ensemble_summary.json").read_text())
    assert summary["members"] == RUNS
    assert set(summary["evacuation_time_min"]) >= {"p50", "p90", "p99"}
    assert [z["name"] for z in summary["danger_zones"]] == ["danger0", "danger1"]
    assert 0.0 < summary["danger_zones"][0]["p_missed_deadline"] < 1.0
    assert (tmp_path / "fan_chart.svg").read_text().startswith("<svg")


def test_interrupted_run_resumes_with_only_the_missing_members(tmp_path: Path, grid: Problem, grid_plan,
                                                               spec: UncertaintySpec, reference: Path) -> None:
    class Stop(Exception):
        pass

    def stop_after_three(i: int, rec: dict[str, Any]) -> None:
        if len(list((tmp_path / "members").glob("*.json"))) == 3:
            raise Stop

    with pytest.raises(Stop):
        run_ensemble(grid, tmp_path, runs=RUNS, spec=spec, plan=grid_plan, workers=0, on_member=stop_after_three)
    first = sorted(int(p.stem) for p in (tmp_path / "members").glob("*.json"))
    assert len(first) == 3
    run = run_ensemble(grid, tmp_path, runs=RUNS, spec=spec, plan=grid_plan, workers=0)
    assert run.skipped == first
    assert sorted(run.computed) == sorted(set(range(RUNS)) - set(first))
    # lost member files are recomputed, and only they
    for i in (1, 6):
        (tmp_path / "members" / f"{i:06d}.json").unlink()
    again = run_ensemble(grid, tmp_path, runs=RUNS, spec=spec, plan=grid_plan, workers=0)
    assert sorted(again.computed) == [1, 6]
    _assert_same_ensemble(reference, tmp_path, RUNS)
    # more runs add members; the first ones stay as they are
    more = run_ensemble(grid, tmp_path, runs=RUNS + 2, spec=spec, plan=grid_plan, workers=0)
    assert more.computed == [RUNS, RUNS + 1]
    assert _records(tmp_path, RUNS) == _records(reference, RUNS)


def test_resuming_with_other_inputs_is_refused(tmp_path: Path, grid: Problem, grid_plan,
                                               spec: UncertaintySpec) -> None:
    run_ensemble(grid, tmp_path, runs=2, spec=spec, plan=grid_plan, workers=0)
    with pytest.raises(EnsembleError, match="differs in: uncertainty"):
        run_ensemble(grid, tmp_path, runs=2, spec=UncertaintySpec(), plan=grid_plan, workers=0)
    with pytest.raises(EnsembleError, match="differs in: plan"):
        run_ensemble(grid, tmp_path, runs=2, spec=spec, plan=None, workers=0)
    with pytest.raises(EnsembleError, match="runs must be >= 1"):
        run_ensemble(grid, tmp_path, runs=0, spec=spec, plan=grid_plan, workers=0)


# ---- a real Dask cluster: scheduler and workers as separate processes on loopback --------------------------------

def _dask_cli() -> list[str]:
    exe = Path(sys.executable).parent / "dask"
    found = str(exe) if exe.exists() else shutil.which("dask")
    if found is None:
        pytest.skip("the `dask` command is not installed")
    return [found]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _cluster(n_workers: int) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """``dask scheduler`` and ``n_workers`` ``dask worker`` processes (no nanny: killing one kills the worker)."""
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = _dask_cli()
    env = dict(os.environ)
    procs = [subprocess.Popen([*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)]
    try:
        for _ in range(n_workers):
            procs.append(subprocess.Popen(
                [*dask, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env))
        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(address, timeout=5) as client:
                    client.wait_for_workers(n_workers, timeout=max(deadline - time.monotonic(), 1))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield address, procs[1:]
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def test_runs_on_an_existing_cluster(tmp_path: Path, grid: Problem, grid_plan, spec: UncertaintySpec,
                                     reference: Path) -> None:
    with _cluster(2) as (address, _):
        run = run_ensemble(grid, tmp_path, runs=RUNS, spec=spec, plan=grid_plan, scheduler=address)
    assert sorted(run.computed) == list(range(RUNS))
    _assert_same_ensemble(reference, tmp_path, RUNS)


def test_a_killed_worker_loses_and_repeats_no_member(tmp_path: Path, slow_grid: Problem) -> None:
    runs = 40
    spec = UncertaintySpec(compliance=(0.5, 1.0), mobilization_delay_min=(0.0, 10.0))
    settings = MemberSettings(packet_size=1, dt_s=1.0)
    ref = tmp_path / "reference"
    run_ensemble(slow_grid, ref, runs=runs, spec=spec, settings=settings, workers=0)
    out = tmp_path / "killed"
    with _cluster(2) as (address, workers):
        killed: list[int] = []

        def kill_one(i: int, rec: dict[str, Any]) -> None:
            if not killed:
                workers[0].send_signal(signal.SIGKILL)
                workers[0].wait()
                killed.append(i)

        run = run_ensemble(slow_grid, out, runs=runs, spec=spec, settings=settings, scheduler=address,
                           on_member=kill_one)
    assert killed and workers[0].returncode == -signal.SIGKILL
    assert sorted(run.computed) == list(range(runs))  # each member written exactly once
    assert sorted(p.name for p in (out / "members").iterdir()) == [f"{i:06d}.json" for i in range(runs)]
    _assert_same_ensemble(ref, out, runs)
