"""The readable reference engine: analytic results, and arrival-by-arrival agreement with the fast engine."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from evacplan.problem.toy import toy_problem
from evacplan.simulation import simulate
from evacplan.simulation.reference import simulate_reference


def test_reference_bottleneck_matches_analytic():
    p = toy_problem(3, [(0, 1, 30.0, 100.0), (1, 2, 50.0, 2.0)], {0: 1000}, {2: 0}, horizon_s=7200)
    arrivals = simulate_reference(p)
    assert sum(a.count for a in arrivals) == 1000
    assert max(a.end_s for a in arrivals) == pytest.approx(80.0 + 1000 / 2.0)


def test_reference_spillback_and_safe_capacity():
    edges = [(0, 1, 30.0, 5.0, 1e6), (1, 2, 30.0, 5.0, 20.0), (2, 3, 30.0, 0.1, 20.0), (1, 4, 400.0, 5.0)]
    p = toy_problem(5, edges, {0: 100}, {3: 0, 4: 1}, safe_capacity=[30, np.inf], horizon_s=7200)
    arrivals = simulate_reference(p)
    by_zone = {z: sum(a.count for a in arrivals if a.safe_zone == z) for z in (0, 1)}
    # zone 0 fills; those already past node 1 are stuck in the dead end 1 -> 2 -> 3, the others divert to zone 1
    fast = simulate(p, stuck_s=None, check=True)
    assert by_zone[0] == 30 and 0 < by_zone[1] < 70
    assert by_zone[1] == fast.evacuated - 30 and fast.stranded == 70 - by_zone[1]


@st.composite
def small_problems(draw):
    n = draw(st.integers(3, 6))
    pairs = [(u, v) for u in range(n) for v in range(n) if u != v]
    chosen = draw(st.lists(st.sampled_from(pairs), min_size=2, max_size=min(12, len(pairs)), unique=True))
    edges = [
        (u, v, draw(st.floats(5.0, 200.0)), draw(st.floats(0.2, 8.0)), draw(st.sampled_from([5.0, 15.0, 40.0, 1e6])))
        for u, v in chosen
    ]
    safe = {draw(st.integers(0, n - 1)): 0}
    other = draw(st.integers(0, n - 1))
    if other not in safe:
        safe[other] = 1
    caps = [draw(st.sampled_from([np.inf, 40.0, 150.0])) for _ in safe]
    sources = {u: draw(st.integers(1, 100)) for u in draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3))}
    cdf = [np.clip(np.arange(30) / draw(st.integers(1, 6)), 0, 1)]
    p = toy_problem(n, edges, sources, safe, safe_capacity=caps, departure_cdf=cdf, horizon_s=2 * 3600.0)
    return p, draw(st.sampled_from([1, 4, 10])), draw(st.integers(0, 5))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems())
def test_fast_engine_agrees_with_reference(case):
    problem, packet, seed = case
    fast = simulate(problem, packet_size=packet, seed=seed, reroute_s=120.0, stuck_s=None, check=True)
    ref = simulate_reference(problem, packet_size=packet, seed=seed, reroute_s=120.0)
    got = np.c_[fast.arrival_start_s, fast.arrival_end_s, fast.arrival_count, fast.arrival_safe_zone, fast.arrival_row]
    want = np.array([(a.start_s, a.end_s, a.count, a.safe_zone, a.row) for a in ref]).reshape(-1, 5)
    event("some arrive" if len(ref) else "nobody arrives")
    event("queues form" if fast.edge_records[:, 3].max(initial=0) > 0 else "free flow")
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-6)
