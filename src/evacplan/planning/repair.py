"""Repair of a schedule's last arrivals: each is taken out and sent again by the quickest way the others leave.

The route scheduler serves people first come first served over a handful of candidate routes, so the last to arrive
are often people who found those routes full (or their nearest zone's room taken) when their turn came, although
some other street, another departure label or a zone with room left would bring them in sooner. The repair takes the
group that is safe last, frees its windows and its safe-zone room, and searches the quickest plan for it alone over
what is left (:func:`evacplan.planning.kernels.repair_search`: an A* search over ``(node, label)`` states without
waiting on the way, any street, any zone with room, any departure its row's release allows); when that is quicker
the group moves there, else it is put back as it was and the repair ends (the plan's time cannot drop below that
group's). Every step keeps the plan feasible: the windows and the room it takes were free, and the departure
respects the row's release (see :func:`earliest_departure`). Deterministic: the latest group first, ties by index.
"""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import NDArray

from evacplan.planning import kernels
from evacplan.planning.model import INF_T, PlanningModel
from evacplan.planning.routes import TREE_DTYPE
from evacplan.planning.zones import labels_to_go
from evacplan.problem.physics import MIN_ROOM
from evacplan.problem.problem import Problem

__all__ = ["MAX_REPAIRS", "MAX_STATES", "STATE_BUDGET", "earliest_departure", "fill_by_deadline", "repair_late",
           "reroute_early"]

log = logging.getLogger(__name__)

#: Most groups moved by one repair.
MAX_REPAIRS = 2000

#: Most ``(node, label)`` states one search visits.
MAX_STATES = 1_000_000

#: Most states all the searches of one repair visit together.
STATE_BUDGET = 10_000_000

#: Most bytes of the marks of visited states (a search whose labels would not fit departs later).
SEEN_BUDGET = 1 << 26


def earliest_departure(model: PlanningModel, row: int, ahead: int) -> int:
    """Earliest label to which a group of ``row`` can be moved when ``ahead`` persons of the row (the group's own
    included) depart no later than the group does now: the first label by which the row has released ``ahead``.

    Moving it there keeps every prefix of the row's departures within its release: at a label ``L`` between the new
    and the old departure, the row has sent at most ``ahead`` persons, and ``released(L) >= ahead``."""
    return int(kernels.next_departure(model.cdf, model.cdf_step_s, model.step_s, model.row_count[row],
                                      model.row_curve[row], model.row_potential_s[row], ahead - 1,
                                      model.row_first[row], model.row_last[row], model.row_first[row]))


def repair_late(problem: Problem, model: PlanningModel, state: dict[str, np.ndarray], out,  # type: ignore[no-untyped-def]
                trees: NDArray[np.int32], *, floor: int = 0, max_repairs: int | None = None,
                max_states: int = MAX_STATES, every: bool = False, budget: int | None = None) -> int:
    """Move the plan's last groups (buffers ``out``, capacity tables ``state``) to quicker plans while one exists;
    stop once the last group's horizon is at most ``floor`` (a lower bound) or cannot be improved, or the searches
    have visited :data:`STATE_BUDGET` states, or would exceed it moving every group at the last horizon at the mean
    cost of the searches so far (the plan's time drops only once they all have moved). Groups moved get
    explicit paths; the buffers are compacted. Returns the number of groups moved (at most ``max_repairs``,
    default :data:`MAX_REPAIRS`).

    ``every``: try every group once, the latest first, each moved where that is quicker and else kept, within
    ``budget`` states (default :data:`STATE_BUDGET`; :func:`reroute_early`); a group moved is not tried again."""
    net, zones = problem.network, problem.zones
    g_n = out.n_groups
    max_repairs = MAX_REPAIRS if max_repairs is None else max_repairs
    budget = STATE_BUDGET if budget is None else budget
    if g_n == 0 or max_repairs <= 0:
        return 0
    head = net.head.astype(np.int64)
    indptr = net.indptr.astype(np.int64)
    node_safe = zones.node_safe.astype(np.int64)
    origin_of_row = problem.demand.origin.astype(np.int64)
    resid, zone_rem = state["resid"], state["zone_rem"]
    cls_of_row = model.row_class
    sink_shift = model.sink_shift

    # the horizon each group reaches: its arrival label less the sink shift of the node its path ends at
    rows = out.row[:g_n]
    ends = kernels.group_ends(out.route[:g_n], origin_of_row[rows], out.plen[:g_n], out.edges[: out.n_path], trees,
                              head)
    horizon = np.full(g_n + max_repairs, -INF_T, dtype=np.int64)  # room for the groups the repair adds
    horizon[:g_n] = np.where(out.count[:g_n] > 0, out.arr[:g_n] - sink_shift[cls_of_row[rows], ends], -INF_T)
    start = int(horizon.max())
    to_go_of: dict[int, tuple[bytes, NDArray[np.int64]]] = {}  # per class: the open zones and their to-go labels
    max_shift = int(sink_shift.max(initial=0))
    work = [np.empty(max_states, dtype=np.int64) for _ in range(4)] + [np.empty(max_states, dtype=np.float64),
                                                                        np.empty(max_states, dtype=np.int64)]
    seen = np.zeros(0, dtype=np.uint8)
    explicit_start = np.zeros(0, dtype=np.int64)
    moved, spent = 0, 0
    todo = horizon.copy() if every else horizon  # the groups to try: each once, or the latest each time
    while moved < max_repairs and spent < budget:
        g = int(np.argmax(todo))
        best = int(todo[g])
        if best <= floor:
            break
        if not every and moved and \
                spent + int(np.count_nonzero(horizon == best)) * (spent // moved) > budget:
            break  # the groups at this horizon cannot all move within the budget: the plan's time would not drop
        r = int(out.row[g])
        c = int(cls_of_row[r])
        x = int(out.count[g])
        o = int(origin_of_row[r])
        # the group's own windows and room are free while it searches
        if out.route[g] >= 0:
            path = _route_path(trees, int(out.route[g]), o, head)
        else:
            if explicit_start.size != out.n_groups + 1:
                explicit_start = np.concatenate(([0], np.cumsum(np.where(out.route[: out.n_groups] < 0,
                                                                         out.plen[: out.n_groups], 0))))
            path = out.edges[explicit_start[g]: explicit_start[g] + out.plen[g]].copy()
        bins = _path_bins(model, c, o, int(out.dep[g]), path, head)
        w = model.weight_s[c, path]
        np.add.at(resid, (bins, path), x * w)
        zone_rem[out.zone[g]] += x
        rows_g = np.flatnonzero(out.row[: out.n_groups] == r)
        ahead = int(out.count[rows_g][(out.dep[rows_g] <= out.dep[g]) & (out.count[rows_g] > 0)].sum())
        d_min = earliest_departure(model, r, ahead)
        # the horizon still to come from each node, over the zones that have room for the group (a lower bound)
        open_z = (zone_rem >= MIN_ROOM) & (zone_rem + kernels.EPS >= x) & (model.phys.safe_capacity >= 1)
        if c not in to_go_of or to_go_of[c][0] != open_z.tobytes():
            to_go_of[c] = (open_z.tobytes(), labels_to_go(problem, model, c, open_z))
        to_go = to_go_of[c][1]
        # marks for the labels d_min .. best + max_shift at every node (and "at home"); on huge networks with long
        # waits the search departs no earlier than fits
        width = net.n_nodes + 1
        d_min = max(d_min, best + max_shift + 2 - SEEN_BUDGET // width)
        span = (best + max_shift - d_min + 2) * width
        if seen.size < span:
            seen = np.zeros(span, dtype=np.uint8)
        h_new, dep, arr, new_path, n_states = kernels.repair_search(
            indptr, head, model.tau[c], model.weight_s[c], model.shift[c], sink_shift[c], resid, node_safe,
            zone_rem, to_go, o, d_min, x, best, seen, *work,
        )
        spent += n_states
        if h_new >= best:  # nothing quicker: put it back and stop (or, trying every group, go on)
            np.add.at(resid, (bins, path), -x * w)
            zone_rem[out.zone[g]] -= x
            if every:
                todo[g] = -INF_T
                continue
            break
        k = _add_group(model, state, out, r, o, x, int(dep), int(arr), new_path, node_safe, head)
        out.count[g] = 0
        horizon[k] = h_new
        horizon[g] = todo[g] = -INF_T
        moved += 1
    if moved:
        _compact(out)
        log.info("repair: %d groups moved, horizon %d -> %d (%d states searched)", moved, start,
                 int(horizon.max()), spent)
    return moved


def reroute_early(problem: Problem, model: PlanningModel, groups: dict[str, NDArray[np.integer]], *,
                  budget: int = STATE_BUDGET // 10) -> dict[str, NDArray[np.integer]]:
    """The plan of ``groups`` (explicit paths, labels of ``model``: the path decomposition of a time-expanded flow)
    with every group, the latest first, sent again by the quickest way the others leave where that brings it to
    safety sooner (:func:`repair_late` trying every group once, within ``budget`` states): no group later, so the
    plan's time does not rise, every window and zone within its capacity.

    A maximum flow at the optimal horizon is quickest but not early: it may bring people to safety at any time up to
    that horizon, by farther exits (on Chicago with 50,000 walkers 90 % were safe at 1,524 min where people leaving
    at once by their nearest exits were at 1,458). The fast method does this where the optimum is the free-flow
    bound (``api._fast``: there congestion does not set the evacuation time and many plans reach it). Returns new
    group buffers."""
    from evacplan.planning.fast import GroupArrays

    g_n = int(groups["row"].size)
    if g_n == 0:
        return groups
    n_path = int(groups["plen"].sum())
    out = GroupArrays(g_n, max(n_path, 1))
    for name in ("row", "count", "dep", "arr", "zone", "plen"):
        getattr(out, name)[:g_n] = groups[name]
    out.edges[:n_path], out.entry[:n_path] = groups["edges"], groups["entry"]
    out.n_groups, out.n_path = g_n, n_path
    net = problem.network
    cls = np.repeat(model.row_class[groups["row"]], groups["plen"])
    bins = groups["entry"] + model.shift[cls, net.tail[groups["edges"]].astype(np.int64)] + kernels.BIN0
    resid = np.full((int(bins.max(initial=0)) + 2, net.n_edges), model.step_s, order="F")
    np.subtract.at(resid, (bins, groups["edges"]),
                   np.repeat(groups["count"], groups["plen"]) * model.weight_s[cls, groups["edges"]])
    room = model.phys.safe_capacity.astype(np.float64).copy()
    np.subtract.at(room, groups["zone"], groups["count"])
    state = {"resid": resid, "zone_rem": room}
    trees = np.zeros((0, net.n_nodes), dtype=TREE_DTYPE)
    if not repair_late(problem, model, state, out, trees, max_repairs=g_n, every=True, budget=budget):
        return groups
    moved = out.trimmed()
    return {k: moved[k] for k in groups}


def fill_by_deadline(problem: Problem, model: PlanningModel, state: dict[str, np.ndarray], out,  # type: ignore[no-untyped-def]
                     rows: NDArray[np.int64], horizon: int, *, budget: int = STATE_BUDGET,
                     max_states: int = MAX_STATES) -> int:
    """Send more persons of ``rows`` (still in ``state['remaining']``) to safety by ``horizon``, one group at a
    time by the quickest way the capacity left allows (:func:`evacplan.planning.kernels.repair_search`): the
    deadlines objective's tiers, after the routes. A row's group is as large as the row's unscheduled persons and
    halves while no way brings it in by ``horizon``; a row is done when one person cannot make it (windows only
    fill up), which is tried first (a group of one needs the least room and departs earliest, so where one cannot
    make it no group can: one search instead of one per halving). Rows in order of their first release, ties by
    index; at most ``budget`` states searched in all.
    Returns the persons added."""
    net, zones = problem.network, problem.zones
    remaining, taken, resid, zone_rem = state["remaining"], state["taken"], state["resid"], state["zone_rem"]
    head = net.head.astype(np.int64)
    indptr = net.indptr.astype(np.int64)
    node_safe = zones.node_safe.astype(np.int64)
    origin_of_row = problem.demand.origin.astype(np.int64)
    sink_shift = model.sink_shift
    max_shift = int(sink_shift.max(initial=0))
    work = [np.empty(max_states, dtype=np.int64) for _ in range(4)] + [np.empty(max_states, dtype=np.float64),
                                                                        np.empty(max_states, dtype=np.int64)]
    width = net.n_nodes + 1
    seen = np.zeros(0, dtype=np.uint8)
    to_go_of: dict[tuple[int, bytes], NDArray[np.int64]] = {}
    added, spent = 0, 0
    todo = rows[remaining[rows] > 0]
    for r in todo[np.lexsort((todo, model.row_first[todo]))]:
        r = int(r)
        c, o = int(model.row_class[r]), int(origin_of_row[r])
        x = int(remaining[r])
        probe = x > 1  # first whether one person can make it: if not, no group can (it would halve down to one)
        while remaining[r] > 0 and spent < budget:
            if not probe:
                x = min(x, int(remaining[r]))
            size = 1 if probe else x
            d_min = earliest_departure(model, r, int(taken[r]) + size)
            if d_min > horizon:
                break
            open_z = (zone_rem >= MIN_ROOM) & (zone_rem + kernels.EPS >= size) & (model.phys.safe_capacity >= 1)
            key = (c, open_z.tobytes())
            if key not in to_go_of:
                to_go_of[key] = labels_to_go(problem, model, c, open_z)
            to_go = to_go_of[key]
            span = (horizon + 1 + max_shift - d_min + 2) * width
            if span > SEEN_BUDGET:
                break
            if seen.size < span:
                seen = np.zeros(span, dtype=np.uint8)
            h_new, dep, arr, path, n_states = kernels.repair_search(
                indptr, head, model.tau[c], model.weight_s[c], model.shift[c], sink_shift[c], resid, node_safe,
                zone_rem, to_go, o, d_min, size, horizon + 1, seen, *work,
            )
            spent += n_states
            if probe:
                probe = False
                if h_new > horizon:
                    break
                continue  # one can: the groups start at the row's whole size again, as without the probe
            if h_new > horizon:
                if x == 1:
                    break
                x = max(1, x // 2)
                continue
            _add_group(model, state, out, r, o, x, int(dep), int(arr), path, node_safe, head)
            taken[r] += x
            remaining[r] -= x
            added += x
    if added:
        log.info("fill: %d more persons safe by horizon %d (%d states searched)", added, horizon, spent)
    return added


def _add_group(model: PlanningModel, state: dict[str, np.ndarray], out, r: int, o: int, x: int,  # type: ignore[no-untyped-def]
               dep: int, arr: int, path: NDArray[np.int64], node_safe: NDArray[np.int64],
               head: NDArray[np.int64]) -> int:
    """Append a group of ``x`` persons of row ``r`` leaving ``o`` in ``dep`` along the explicit ``path``; take its
    windows and its safe zone's room. Returns its index."""
    c = int(model.row_class[r])
    end = int(head[path[-1]]) if path.size else o
    z = int(node_safe[end])
    bins = _path_bins(model, c, o, dep, path, head)
    np.add.at(state["resid"], (bins, path), -x * model.weight_s[c, path])
    state["zone_rem"][z] -= x
    out.reserve(1, path.size)
    k = out.n_groups
    out.row[k], out.count[k], out.dep[k], out.arr[k] = r, x, dep, arr
    out.zone[k], out.plen[k], out.route[k] = z, path.size, -1
    labels = dep + np.concatenate(([0], np.cumsum(model.tau[c, path])[:-1])).astype(np.int64)
    out.edges[out.n_path: out.n_path + path.size] = path
    out.entry[out.n_path: out.n_path + path.size] = labels
    out.n_path += path.size
    out.n_groups += 1
    return int(k)


def _route_path(trees: NDArray[np.int32], k: int, v: int, head: NDArray[np.int64]) -> NDArray[np.int64]:
    path = []
    while trees[k, v] >= 0:
        e = int(trees[k, v])
        path.append(e)
        v = int(head[e])
    return np.asarray(path, dtype=np.int64)


def _path_bins(model: PlanningModel, c: int, o: int, dep: int, path: NDArray[np.int64],
               head: NDArray[np.int64]) -> NDArray[np.int64]:
    """Rows of the capacity tables (window + ``BIN0``, at least 0) a group departing in ``dep`` uses on ``path``."""
    if path.size == 0:
        return np.zeros(0, dtype=np.int64)
    tails = np.concatenate(([o], head[path[:-1]]))
    labels = dep + np.concatenate(([0], np.cumsum(model.tau[c, path])[:-1]))
    return np.maximum(labels + model.shift[c, tails] + kernels.BIN0, 0)


def _compact(out) -> None:  # type: ignore[no-untyped-def]
    """Drop the groups emptied by the repair (and their explicit path edges)."""
    g = out.n_groups
    keep = out.count[:g] > 0
    plen = np.where(out.route[:g] < 0, out.plen[:g], 0)
    keep_edge = np.repeat(keep, plen)
    n_keep = int(keep.sum())
    for name in ("row", "count", "dep", "arr", "zone", "plen", "route"):
        arr = getattr(out, name)
        arr[:n_keep] = arr[:g][keep]
    n_edge = int(keep_edge.sum())
    for name in ("edges", "entry"):
        arr = getattr(out, name)
        arr[:n_edge] = arr[: out.n_path][keep_edge]
    out.n_groups, out.n_path = n_keep, n_edge
