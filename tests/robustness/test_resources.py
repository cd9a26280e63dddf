"""Resource limits known before they bite: a 60-day horizon stops before the planner allocates its tables (with a
message naming the settings to change), and a sparse 30,000 x 30,000 raster is validated in well under 1 GB."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from rasterio.windows import Window
from typer.testing import CliRunner

import evacplan.planning
import evacplan.simulation
from evacplan.cli import app
from evacplan.problem import load_problem
from evacplan.problem.resources import (
    ENV_LIMIT,
    PLANNER_BYTES_PER_PERSON,
    TABLE_BUDGET,
    check_memory,
    estimate_memory,
    parse_bytes,
)

runner = CliRunner()
SRC = Path(__file__).resolve().parents[2] / "src"
SIXTY_DAYS = "horizon = 86400"


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_estimate_follows_its_documented_formulas(make_city: Callable[..., Path]) -> None:
    problem = load_problem(make_city())
    est = estimate_memory(problem, packet_size=10)
    rows, steps, edges = problem.demand.n_rows, problem.n_steps + 1, problem.network.n_edges
    assert est.parts["planner capacity tables"] == min(12 * edges * 2 * steps, int(TABLE_BUDGET))
    assert est.parts["planner groups"] == PLANNER_BYTES_PER_PERSON * problem.demand.total
    assert est.parts["simulator packets"] == 208 * (problem.demand.total // 10 + rows)
    assert est.planner == sum(v for k, v in est.parts.items() if k.startswith("planner"))


@pytest.mark.parametrize("command", ["plan", "run"])
def test_sixty_day_horizon_stops_before_allocating(command: str, make_city: Callable[..., Path],
                                                   edit: Callable[..., str], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*args: object, **kw: object) -> None:
        raise AssertionError("planning or simulating started")

    monkeypatch.setattr(evacplan.planning, "plan", never)
    monkeypatch.setattr(evacplan.simulation, "simulate", never)
    monkeypatch.setattr("evacplan.pipeline.make_plan", never)
    monkeypatch.setenv(ENV_LIMIT, "1G")
    path = make_city(edit("horizon = 600", SIXTY_DAYS))
    args = [command, str(path), "--out", str(tmp_path / "out")]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    out = squash(result.output)
    for frag in ("Not enough memory", "would need about", "86,401 time steps", "the limit is 1.0 GiB",
                 f"({ENV_LIMIT}=1G)", "Shorten `horizon` or lengthen `time_step`"):
        assert squash(frag) in out, f"{frag!r} not in {result.output}"
    assert not (tmp_path / "out").exists()


def test_simulating_sixty_days_needs_no_table_per_step(make_city: Callable[..., Path], edit: Callable[..., str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # the simulator keeps packets and per-edge state, not per-step tables: a long horizon costs it time, not memory
    monkeypatch.setenv(ENV_LIMIT, "1G")
    problem = load_problem(make_city(edit("horizon = 600", SIXTY_DAYS)))
    assert check_memory(problem, plan=False).simulator < 2**28


def test_sixty_day_horizon_within_the_limit_proceeds(make_city: Callable[..., Path], edit: Callable[..., str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_LIMIT, "64G")
    problem = load_problem(make_city(edit("horizon = 600", SIXTY_DAYS)))
    assert check_memory(problem).planner < 64 * 2**30


def test_memory_limit_that_is_not_an_amount(make_city: Callable[..., Path], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_LIMIT, "lots")
    result = runner.invoke(app, ["plan", str(make_city()), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and f"{ENV_LIMIT}: 'lots' is not an amount of memory" in result.output


@pytest.mark.parametrize(("text", "value"), [("6G", 6 * 2**30), ("6 GiB", 6 * 2**30), ("6000M", 6000 * 2**20),
                                             ("6e9", 6_000_000_000), ("512mb", 512_000_000)])
def test_parse_bytes(text: str, value: int) -> None:
    assert parse_bytes(text) == value


def sparse_huge_raster(path: Path) -> None:
    """30,000 x 30,000 float32 cells of 1 m around the tiny city, people only in a 100 x 150 m block of East."""
    with rasterio.open(path, "w", driver="GTiff", width=30_000, height=30_000, count=1, dtype="float32",
                       crs="EPSG:32635", transform=from_origin(371_000.0, 6_687_000.0, 1.0, 1.0), tiled=True,
                       blockxsize=512, blockysize=512, compress="deflate", sparse_ok=True, nodata=0) as dst:
        dst.write(np.ones((1, 150, 100), dtype="float32"), window=Window(15_150, 14_900, 100, 150))


def test_validate_a_sparse_huge_raster_in_under_1_gb(make_city: Callable[..., Path], tmp_path: Path) -> None:
    path = make_city()
    sparse_huge_raster(path.parent / "population.tif")
    assert (path.parent / "population.tif").stat().st_size < 100_000
    code = ("import atexit, resource, sys\n"
            "atexit.register(lambda: print('MAXRSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
            "file=sys.stderr))\n"
            "from evacplan.cli import main\n"
            f"sys.argv = ['evacplan', 'validate', {str(path)!r}]\n"
            "main()\n")
    env = {**os.environ, "PYTHONPATH": str(SRC), "EVACPLAN_CACHE_DIR": ""}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    peak_kb = int(re.search(r"MAXRSS_KB (\d+)", proc.stderr).group(1))  # type: ignore[union-attr]
    assert peak_kb < 1024 * 1024, f"validate peaked at {peak_kb / 1024:.0f} MB"
