"""Property tests of the build: rounding, allocation, CSR arrays and closures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from evacplan.network import RawNetwork, compile_network
from evacplan.network.closures import closed_edge_mask
from evacplan.population import largest_remainder, split_demand
from evacplan.scenario.schema import GroupSpec, ModeSpec

floats = st.floats(0, 1e4, allow_nan=False)


@given(st.lists(floats, min_size=1, max_size=40), st.integers(0, 10**6))
def test_largest_remainder_is_exact_and_close(values, total) -> None:
    v = np.array(values)
    out = largest_remainder(v, total)
    if v.sum() <= 0:
        assert out.sum() == 0
        return
    assert out.sum() == total
    assert np.all(np.abs(out - v * total / v.sum()) < 1.0 + 1e-9)


@given(
    st.lists(st.integers(0, 10**5), min_size=1, max_size=30),
    st.lists(st.floats(0.01, 1.0), min_size=1, max_size=4),
    st.lists(st.floats(0.01, 1.0), min_size=1, max_size=3),
)
def test_split_demand_counts_every_origin_once(persons, gshares, mshares) -> None:
    g = np.array(gshares) / sum(gshares)
    m = np.array(mshares) / sum(mshares)
    groups = tuple(GroupSpec(f"g{i}", float(s), 1.0) for i, s in enumerate(g))
    modes = tuple(ModeSpec(("walk", "cart", "vehicle")[i], 1.0, 1.0, float(s)) for i, s in enumerate(m))
    p = np.array(persons, dtype=np.int64)
    n = p.size
    d = split_demand(p, np.zeros(n, np.int32), np.zeros(n, np.int16), groups, modes)
    per_node = np.bincount(d.origin, weights=d.count, minlength=n)
    assert np.array_equal(per_node.astype(np.int64), p)
    assert np.all(d.count > 0)


@st.composite
def raw_networks(draw):
    n = draw(st.integers(2, 25))
    m = draw(st.integers(1, 60))
    u = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    v = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    xy = draw(st.lists(st.tuples(st.floats(0, 1000), st.floats(0, 1000)), min_size=n, max_size=n))
    oneway = draw(st.lists(st.booleans(), min_size=m, max_size=m))
    nodes = pd.DataFrame({"id": np.arange(n) + 100, "x": [a for a, _ in xy], "y": [b for _, b in xy]})
    edges = pd.DataFrame({"u": np.array(u) + 100, "v": np.array(v) + 100, "length_m": np.nan, "highway": "residential",
                          "width_m": np.nan, "lanes": np.nan, "vehicle_speed_mps": np.nan, "capacity_vph": np.nan,
                          "oneway": oneway, "walk": True, "vehicle": True, "edge_id": np.arange(m)})
    return RawNetwork(nodes=nodes, edges=edges, crs=None)


MODES = (ModeSpec("walk", 1.34, 1, 0.8), ModeSpec("vehicle", 8.3, 4, 0.2))


@settings(max_examples=60, deadline=None)
@given(raw_networks())
def test_compiled_arrays_are_consistent(raw) -> None:
    net = compile_network(raw, MODES)
    net.validate()
    pairs = set(zip(net.tail.tolist(), net.head.tolist(), strict=True))
    assert len(pairs) == net.n_edges, "no duplicate directed edge"
    # walkers may use every street both ways
    walk = net.capacity_per_s[0] > 0
    for a, b in zip(net.tail[walk].tolist(), net.head[walk].tolist(), strict=True):
        assert (b, a) in pairs
    # vehicles never drive against a one-way street
    idx = {int(k): i for i, k in enumerate(net.node_id)}
    e = raw.edges[raw.edges.u != raw.edges.v]
    all_oneway = e.groupby(["u", "v"])["oneway"].all()
    forward = {(idx[a], idx[b]) for (a, b), one in all_oneway.items() if one}
    both = {(idx[a], idx[b]) for a, b in zip(raw.edges.u, raw.edges.v, strict=True)}
    veh = net.speed_mps[1] > 0
    for a, b in zip(net.tail[veh].tolist(), net.head[veh].tolist(), strict=True):
        if (b, a) in forward and (a, b) not in both:
            raise AssertionError(f"vehicle edge {a}->{b} runs against one-way {b}->{a}")


@settings(max_examples=60, deadline=None)
@given(raw_networks(), st.floats(0, 1000), st.floats(0, 1000))
def test_closures_remove_exactly_the_crossing_edges(raw, y_line, x_poly) -> None:
    line = shapely.LineString([(-1, y_line), (1001, y_line)])
    poly = shapely.box(x_poly, 0, x_poly + 100, 1000)
    mask = closed_edge_mask(raw, "", [line, poly], 50.0)
    xy = raw.nodes.set_index("id")
    segs = shapely.linestrings(np.stack([xy.loc[raw.edges.u, ["x", "y"]].to_numpy(),
                                         xy.loc[raw.edges.v, ["x", "y"]].to_numpy()], axis=1))
    expected = shapely.intersects(segs, line) | shapely.intersects(segs, poly)
    proper = shapely.length(segs) > 0  # zero-length segments are degenerate; compile_network drops self-loops
    assert np.array_equal(mask[proper], expected[proper])
    net = compile_network(raw, MODES, drop_edges=mask)
    kept = shapely.linestrings(np.stack([np.c_[net.x[net.tail], net.y[net.tail]],
                                         np.c_[net.x[net.head], net.y[net.head]]], axis=1))
    assert not (shapely.intersects(kept, line) | shapely.intersects(kept, poly)).any()


def test_atomic_outputs_get_normal_permissions(tmp_path) -> None:
    import os

    from evacplan._atomic import write_json

    write_json(tmp_path / "a.json", {"x": 1})
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


@given(st.floats(0, 600), st.floats(1, 120))
def test_logistic_curve_is_monotone_and_finite(mean, spread) -> None:
    from evacplan.problem.mobilization import LOGISTIC_END_SPREADS, departure_curve
    from evacplan.scenario.schema import MobilizationSpec

    t = np.arange(0, 2000, 1.0)
    f = departure_curve(MobilizationSpec("logistic", mean, spread), t)
    assert f[0] == pytest.approx(0.0, abs=1e-12) and np.all(np.diff(f) >= 0)
    end = mean + LOGISTIC_END_SPREADS * spread
    assert np.all(f[t >= end] == 1.0), "everyone has left by mean + 7 spreads"
    if end > 1:
        assert f[int(end) - 1] < 1.0
