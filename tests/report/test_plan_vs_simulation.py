"""Plan and simulation side by side (issue 17, point 7): the same figures from both, the differences in words."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evacplan.assessment.compare import _exposed_difference, _time_difference


def _summary(run: Path) -> dict[str, dict]:
    s = json.loads((run / "summary.json").read_text())
    assert s["schema_version"] == 1 and s["scenario"] == "small test city"
    return {v["folder"]: v for v in s["variants"]}


def _share_time(times_min: np.ndarray, counts: np.ndarray, target: float) -> float | None:
    order = np.argsort(times_min, kind="stable")
    cum = np.cumsum(counts[order])
    hit = np.flatnonzero(cum >= target - 1e-6)
    return None if hit.size == 0 else float(times_min[order][hit[0]])


def test_side_by_side_figures_agree_with_the_plan_and_simulation_files(small_run: Path) -> None:
    by = _summary(small_run)
    assert set(by) == {"baseline", "late-start", "blocked-road", "low-compliance"}
    for folder, v in by.items():
        plan_s = json.loads((small_run / folder / "plan" / "summary.json").read_text())
        sim_s = json.loads((small_run / folder / "simulation" / "summary.json").read_text())
        groups = pd.read_parquet(small_run / folder / "plan" / "groups.parquet")
        p, m = v["plan"], v["simulation"]
        assert "curve" not in p and "curve" not in m  # the curves are in assessment.json
        # the plan's side: its groups' arrival times and counts; shares of all evacuees (no path counted)
        evacuees = v["evacuees"]
        assert p["evacuated"] == int(groups["count"].sum()) == plan_s["evacuated"]
        for key, share in (("t50_min", 0.5), ("t90_min", 0.9)):
            want = _share_time(groups["arrival_min"].to_numpy(), groups["count"].to_numpy(), share * evacuees)
            assert p[key] == pytest.approx(want, abs=1e-3), (folder, key)
        assert p["t100_min"] is None and v["unreachable"] > 0  # people with no path: never 100 %
        assert p["evacuation_time_min"] == pytest.approx(plan_s["evacuation_time_min"], abs=1e-3)
        # the simulation's side: its own summary and clearance table
        assert m["evacuated"] == sim_s["evacuated"] and m["exposed"] == sim_s["exposed"]
        assert m["exposed_by_zone"] == {z["name"]: z["exposed"] for z in sim_s["danger_zones"]}
        assert m["evacuation_time_min"] == pytest.approx(sim_s["evacuation_time_min"], abs=1e-3)
        assert m["t90_min"] == pytest.approx(sim_s["t90_min"], abs=0.2)
        clear = pd.read_parquet(small_run / folder / "simulation" / "clearance.parquet")
        final = clear[clear.kind == "all"].evacuated.max()
        assert m["evacuated"] == pytest.approx(final, abs=0.5)
        # people in danger after a deadline counted once: never more than the zones' sum, never less than any zone
        for side in (p, m):
            zones = list(side["exposed_by_zone"].values())
            assert max(zones) <= side["exposed"] <= sum(zones)
        assert v["compliance"] == sim_s["settings"]["compliance"]
        a = json.loads((small_run / folder / "assessment.json").read_text())
        assert a["summary"]["exposed"] == m["exposed"] and a["summary"]["plan_exposed"] == p["exposed"]
        curve = a["plan_vs_simulation"]["plan"]["curve"]
        assert curve["zone"] == "all" and curve["evacuated"][-1] == pytest.approx(p["evacuated"])


def test_the_difference_is_said_when_compliance_is_low_and_not_when_they_agree(small_run: Path) -> None:
    by = _summary(small_run)
    base, low = by["baseline"], by["low-compliance"]
    # the same plan (a compliance-only variant reuses it), walked by everyone or by 60 %
    assert base["plan"] == low["plan"] and low["compliance"] == 0.6
    assert base["agree"] is True and base["differences"] == []
    assert base["plan_vs_simulation"].startswith("Plan and simulation agree")
    for key in ("t50_min", "t90_min", "evacuation_time_min"):
        assert base["simulation"][key] == pytest.approx(base["plan"][key], rel=0.05)
    assert low["agree"] is False
    figures = {d["figure"]: d for d in low["differences"]}
    assert figures  # each one differs by more than 5 % of the plan's figure
    for d in figures.values():
        if d["relative"] is not None and d["figure"] != "exposed":
            assert abs(d["relative"]) > 0.05
            assert d["relative"] == pytest.approx(low["simulation"][d["figure"]] / low["plan"][d["figure"]] - 1,
                                                  abs=1e-4)
    sentence = low["plan_vs_simulation"]
    assert sentence.startswith("Plan and simulation differ by more than 5 %")
    assert "compliance 0.6" in sentence and "60 %" in sentence and "follow the plan" in sentence
    assert "compliance" not in base["plan_vs_simulation"]
    html = (small_run / "report.html").read_text()
    assert sentence.replace("'", "&#x27;") in html
    # the headline comes first, with the sentence in it
    assert html.index('id="headline"') < html.index("<h2>Summary</h2>") < html.index("id='plan-vs-sim'")
    a = json.loads((small_run / "low-compliance" / "assessment.json").read_text())
    assert sentence in a["headline"]["sentences"]


def test_tolerances() -> None:
    assert _time_difference("t90_min", "90 % are safe", 100.0, 104.9) is None
    d = _time_difference("t90_min", "90 % are safe", 100.0, 106.0)
    assert d is not None and d.relative == pytest.approx(0.06) and "6 % later than the plan's 100 min" in d.words
    d = _time_difference("t90_min", "90 % are safe", 100.0, 90.0)
    assert d is not None and "10 % earlier" in d.words
    assert _time_difference("t50_min", "half are safe", 10.0, 10.8) is None  # under a minute: rounding
    d = _time_difference("evacuation_time_min", "everyone with a way to safety is safe", 50.0, None)
    assert d is not None and d.relative is None and "never" in d.words
    assert _time_difference("t50_min", "half are safe", None, None) is None
    # persons: more than 5 % of the larger figure and at least 1 % of the evacuees
    assert _exposed_difference(100, 104, 1000) is None
    assert _exposed_difference(100, 108, 1000) is None  # 8 people: under 1 % of 1,000
    d = _exposed_difference(100, 120, 1000)
    assert d is not None and d.relative == pytest.approx(0.2) and "more than the plan's 100" in d.words
    d = _exposed_difference(0, 50, 1000)
    assert d is not None and d.relative is None


def test_the_baseline_is_set_against_nobody_following_the_plan(small_run: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The run simulates the baseline again with nobody following the plan and says, figure by figure, whether
    following it is worse; the figures are those of the two simulations."""
    from evacplan.problem import build_problem
    from evacplan.scenario import load_scenario
    from evacplan.simulation import DEFAULT_STUCK_S, simulate

    by = _summary(small_run)
    nop = by["baseline"]["plan_vs_no_plan"]
    assert all(by[f]["plan_vs_no_plan"] is None for f in by if f != "baseline")  # the baseline only
    sim_s = json.loads((small_run / "baseline" / "simulation" / "summary.json").read_text())
    following = nop["following"]
    assert following["evacuation_time_min"] == pytest.approx(sim_s["evacuation_time_min"], abs=1e-3)
    assert following["exposed"] == sim_s["exposed"]
    # the other side: the same problem simulated with no plan, as a user would
    monkeypatch.setenv("EVACPLAN_CACHE_DIR", str(tmp_path))
    problem = build_problem(load_scenario(small_run.parent / "scenario" / "scenario.toml"))
    alone = simulate(problem, None, stuck_s=DEFAULT_STUCK_S)
    assert nop["no_plan"]["evacuation_time_min"] == pytest.approx(alone.evacuation_time_s / 60, abs=1e-3)
    assert nop["no_plan"]["person_minutes"] == pytest.approx(alone.exposure_person_min_by_zone.sum(), abs=1e-2)
    assert nop["no_plan"]["exposed"] == alone.exposed
    # "worse" exactly where following the plan exceeds no plan by the margin, and the sentence says so
    for key in ("evacuation_time_min", "t90_min", "person_minutes"):
        a, b = following[key], nop["no_plan"][key]
        assert (key in nop["worse"]) == (a - b > max(1.0, 0.01 * abs(b))), key
    assert ("is worse on" in nop["sentence"]) == bool(nop["worse"])
    a = json.loads((small_run / "baseline" / "assessment.json").read_text())
    assert nop["sentence"] in a["headline"]["sentences"]
    assert nop["sentence"] in (small_run / "report.html").read_text()
