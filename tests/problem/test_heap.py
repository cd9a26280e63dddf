"""Property tests of the one numba binary heap (``evacplan.problem.kernels``) against :mod:`heapq`.

The heap orders ``(key, value)`` pairs lexicographically; a random sequence of pushes and pops must pop exactly
what :mod:`heapq` pops from the same sequence of tuples, both compiled and interpreted (``py_func``).
"""

from __future__ import annotations

import heapq

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evacplan.problem import kernels

# a push (key, value) or a pop (None); few distinct keys so that ties, broken on the value, are frequent
_KEYS = st.one_of(st.integers(-5, 5).map(float), st.floats(-1e6, 1e6, allow_nan=False), st.just(np.inf))
_OPS = st.lists(st.one_of(st.tuples(_KEYS, st.integers(0, 20)), st.none()), max_size=200)

_IMPLS = {
    "compiled": (kernels.heap_push, kernels.heap_pop),
    "python": (kernels.heap_push.py_func, kernels.heap_pop.py_func),
}


def _replay(ops: list[tuple[float, int] | None], push, pop) -> None:  # type: ignore[no-untyped-def]
    hk = np.empty(len(ops) + 1, dtype=np.float64)
    hv = np.empty(len(ops) + 1, dtype=np.int64)
    n = 0
    ref: list[tuple[float, int]] = []
    for op in ops:
        if op is None:
            if not ref:
                continue
            key, val, n = pop(hk, hv, n)
            assert (float(key), int(val)) == heapq.heappop(ref)
        else:
            n = push(hk, hv, n, op[0], op[1])
            heapq.heappush(ref, op)
        assert n == len(ref)
        if n:
            assert (hk[0], hv[0]) == ref[0]  # the top is the smallest pair
    drained = []
    while n:
        key, val, n = pop(hk, hv, n)
        drained.append((float(key), int(val)))
    assert drained == sorted(ref)


@pytest.mark.parametrize("impl", sorted(_IMPLS))
@settings(max_examples=300, deadline=None)
@given(ops=_OPS)
def test_heap_pops_what_heapq_pops(impl: str, ops: list[tuple[float, int] | None]) -> None:
    _replay(ops, *_IMPLS[impl])


@pytest.mark.parametrize("impl", sorted(_IMPLS))
def test_heap_breaks_ties_on_the_value(impl: str) -> None:
    push, pop = _IMPLS[impl]
    hk, hv = np.empty(4), np.empty(4, dtype=np.int64)
    n = 0
    for val in (3, 1, 2):
        n = push(hk, hv, n, 7.0, val)
    out = []
    while n:
        _, val, n = pop(hk, hv, n)
        out.append(int(val))
    assert out == [1, 2, 3]


def test_planner_and_simulator_share_the_heap() -> None:
    import inspect

    from evacplan.planning import kernels as planning_kernels
    from evacplan.simulation import kernels as simulation_kernels

    assert planning_kernels.heap_push is kernels.heap_push and planning_kernels.heap_pop is kernels.heap_pop
    assert simulation_kernels.tree_to_targets is kernels.tree_to_targets
    for mod in (planning_kernels, simulation_kernels):
        assert "def _heap" not in inspect.getsource(mod) and "def heap" not in inspect.getsource(mod)
