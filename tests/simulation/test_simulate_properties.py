"""Property tests on small random networks: conservation at every step, capacity and storage never exceeded."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evacplan.problem.toy import toy_problem
from evacplan.simulation import CapacityDrop, EdgeClosure, simulate


@st.composite
def random_problems(draw):
    n = draw(st.integers(3, 7))
    pairs = [(u, v) for u in range(n) for v in range(n) if u != v]
    chosen = draw(st.lists(st.sampled_from(pairs), min_size=2, max_size=min(14, len(pairs)), unique=True))
    edges = [
        (u, v, draw(st.floats(5.0, 200.0)), draw(st.floats(0.2, 8.0)), draw(st.sampled_from([5.0, 15.0, 40.0, 1e6])))
        for u, v in chosen
    ]
    safe_node = draw(st.integers(0, n - 1))
    second = draw(st.one_of(st.none(), st.integers(0, n - 1)))
    safe = {safe_node: 0}
    if second is not None and second != safe_node:
        safe[second] = 1
    caps = [draw(st.sampled_from([np.inf, 50.0, 200.0])) for _ in safe]
    sources = {}
    for u in draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3, unique=True)):
        sources[u] = draw(st.integers(1, 120))
    spread = draw(st.integers(1, 8))
    cdf = [np.clip(np.arange(30) / spread, 0, 1)]
    problem = toy_problem(n, edges, sources, safe, safe_capacity=caps, departure_cdf=cdf, time_step_s=60.0,
                          horizon_s=4 * 3600.0, deadlines_s=[draw(st.floats(0.0, 3600.0))])
    m = problem.network.n_edges
    events = []
    if draw(st.booleans()):
        events.append(EdgeClosure(draw(st.integers(0, m - 1)), draw(st.floats(0.0, 1800.0))))
    if draw(st.booleans()):
        events.append(CapacityDrop(draw(st.integers(0, m - 1)), draw(st.floats(0.0, 1800.0)), 0.5))
    packet = draw(st.sampled_from([1, 3, 10]))
    seed = draw(st.integers(0, 3))
    stuck = draw(st.sampled_from([None, None, 30.0]))
    return problem, events, packet, seed, stuck


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_problems())
def test_conservation_and_capacity(case):
    problem, events, packet, seed, stuck = case
    # check=True recounts every person from the packets after every step and checks edge storage (unless a stuck
    # time may overfill edges)
    r = simulate(problem, events=events, packet_size=packet, seed=seed, stuck_s=stuck, check=True)
    assert r.evacuated + r.en_route + r.stranded + r.unreachable == r.evacuees
    assert r.en_route >= 0 and r.stranded >= 0
    # safe zones never take more than their capacity
    cap = problem.zones.safe_capacity
    got = np.bincount(r.arrival_safe_zone, weights=r.arrival_count, minlength=len(cap))
    assert np.all(got <= cap + 1e-9)
    # no edge passes more than its capacity per minute (plus one packet in service at the minute's end)
    rec = r.edge_records
    if len(rec):
        e = rec[:, 1].astype(int)
        limit = problem.network.capacity_per_s[0, e] * 60.0 + packet
        assert np.all(rec[:, 2] <= limit + 1e-9)
    # arrivals are logged in time order of their step and within the simulated time
    assert np.all(r.arrival_end_s >= r.arrival_start_s)
    assert np.all(r.arrival_start_s <= r.end_s + 1e-9)
