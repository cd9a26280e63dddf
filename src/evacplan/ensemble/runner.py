"""Running an ensemble on Dask: members as tasks, written one file each as they finish, resumable.

Layout of an ensemble folder::

    ensemble.json            what the ensemble is (scenario, seed, uncertainties, plan, settings): a resumed run
                             must match it
    members/000000.json      one record per member, written atomically by the client as each member finishes
    members.parquet, ensemble_summary.json, edge_bottleneck.parquet, clearance_quantiles.parquet, fan_chart.svg
                             the combined results (:func:`evacplan.ensemble.aggregate.summarize`)

Members are written by the client, not by the workers, so workers need no shared file system and a member is written
once however often Dask ran its task (it re-runs the tasks of a worker that died). A member whose file exists is never
run again: an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from evacplan._atomic import atomic_path, write_json
from evacplan.ensemble.aggregate import summarize
from evacplan.ensemble.draw import check_spec
from evacplan.ensemble.member import MemberSettings, run_member
from evacplan.errors import EvacplanError
from evacplan.problem.problem import Problem
from evacplan.progress import Progress
from evacplan.scenario.uncertainty import UncertaintySpec

if TYPE_CHECKING:
    from evacplan.planning import Plan

__all__ = ["EnsembleError", "EnsembleRun", "done_members", "member_path", "run_ensemble"]

log = logging.getLogger(__name__)

CONFIG_SCHEMA = 2  # 2: planned packets held to their release and spread over the group's span


class EnsembleError(ValueError, EvacplanError):
    """An ensemble cannot run as asked (e.g. its folder holds an ensemble of other inputs)."""


@dataclass
class EnsembleRun:
    """What :func:`run_ensemble` did.

    Attributes
    ----------
    out_dir
        The ensemble folder.
    runs
        Members in the ensemble.
    computed
        Members computed by this call, in the order they finished.
    skipped
        Members found already done on disk.
    summary
        The content of ``ensemble_summary.json``.
    """

    out_dir: Path
    runs: int
    computed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def member_path(out_dir: str | os.PathLike[str], index: int) -> Path:
    """Path of member ``index``'s record."""
    return Path(out_dir) / "members" / f"{index:06d}.json"


def _readable(path: Path) -> bool:
    try:
        json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return True


def done_members(out_dir: str | os.PathLike[str], runs: int) -> list[int]:
    """Indices below ``runs`` whose record exists and reads (records are written atomically)."""
    return [i for i in range(runs) if member_path(out_dir, i).exists() and _readable(member_path(out_dir, i))]


def _digest(arrays: list[Any]) -> str:
    h = hashlib.sha256()
    for a in arrays:
        arr = np.ascontiguousarray(np.asarray(a))
        h.update(f"{arr.dtype.str}{arr.shape}".encode())
        h.update(arr.tobytes())
    return h.hexdigest()[:16]


def problem_fingerprint(problem: Problem) -> str:
    """A digest of every array of ``problem`` an ensemble member depends on."""
    net, z, d = problem.network, problem.zones, problem.demand
    return _digest([
        net.indptr, net.head, net.length_m, net.speed_mps, net.capacity_per_s, net.storage, net.edge_id, net.x, net.y,
        z.node_danger, z.danger_deadline_s, z.node_safe, z.safe_capacity,
        d.origin, d.group, d.mode, d.count, d.danger, d.curve, [g.walk_speed_mps for g in d.groups],
        problem.departure_cdf, problem.reachable, [problem.time_step_s, problem.horizon_s, problem.seed],
    ])


def plan_fingerprint(plan: Plan | None) -> str | None:
    """A digest of a plan's groups, departure spans and paths (``None`` for no plan)."""
    if plan is None:
        return None
    return _digest([plan.row, plan.count, plan.departure_s, plan.spans_s(), plan.safe_zone, plan.path_start,
                    plan.step_edge, plan.step_next])


def _config(problem: Problem, spec: UncertaintySpec, plan: Plan | None, seed: int,
            settings: MemberSettings) -> dict[str, Any]:
    sets = settings.to_dict()
    sets.pop("numba_threads", None)
    return {
        "schema": CONFIG_SCHEMA,
        "scenario": problem.name,
        "problem": problem_fingerprint(problem),
        "seed": int(seed),
        "uncertainty": spec.to_dict(),
        "plan": plan_fingerprint(plan),
        "settings": sets,
    }


def _check_config(out: Path, config: dict[str, Any]) -> None:
    path = out / "ensemble.json"
    if path.exists():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            old = {}
        differ = sorted(k for k in config if k != "runs" and old.get(k) != config[k])
        if differ:
            raise EnsembleError(
                f"{out} holds an ensemble with other inputs (differs in: {', '.join(differ)}); resume only with the "
                f"same scenario, seed, uncertainties, plan and settings, or choose another output folder"
            )
    write_json(path, config)


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """A Dask client: on an existing cluster (``scheduler`` address), or on a new local cluster of processes.

    Parameters
    ----------
    scheduler
        Address of a running Dask scheduler, e.g. ``"tcp://10.0.0.5:8786"``.
    workers
        Worker processes of the local cluster (default: the number of CPUs), each with one thread.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        client = Client(scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    n = workers or os.cpu_count() or 1
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=logging.ERROR)
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def run_ensemble(
    problem: Problem,
    out_dir: str | os.PathLike[str],
    *,
    runs: int,
    spec: UncertaintySpec | None = None,
    plan: Plan | None = None,
    settings: MemberSettings | None = None,
    seed: int | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    on_member: Callable[[int, dict[str, Any]], None] | None = None,
) -> EnsembleRun:
    """Simulate ``runs`` members of an ensemble, resuming any already on disk, and combine the results.

    Parameters
    ----------
    problem
        The built problem.
    out_dir
        The ensemble folder (created; see the module docstring for its layout).
    runs
        Number of members (members ``0 .. runs-1``; a later call with more runs adds members).
    spec
        The uncertainties (default: none, every member is the scenario as given).
    plan
        The plan every member follows; ``None`` for self-routing evacuees (or with ``settings.replan``).
    settings
        How members are simulated.
    seed
        Ensemble seed (default: the scenario's).
    scheduler
        Address of an existing Dask scheduler; default a local cluster of ``workers`` processes.
    workers
        Worker processes of the local cluster (default: CPUs); ``0`` runs the members in this process, without Dask.
    progress
        ``progress(message, fraction)`` callback (:class:`evacplan.progress.Progress`), called at the start and
        after each member with ``"members done/runs"`` and the share done.
    on_member
        Called as ``on_member(index, record)`` after each member's record is written.

    Returns
    -------
    EnsembleRun

    Raises
    ------
    EnsembleError
        When ``out_dir`` holds an ensemble of other inputs, or ``runs < 1``.
    ScenarioError
        When the uncertainties name streets the network lacks.
    """
    if runs < 1:
        raise EnsembleError(f"runs must be >= 1, got {runs}")
    spec = spec or UncertaintySpec()
    settings = settings or MemberSettings()
    seed = problem.seed if seed is None else int(seed)
    check_spec(problem, spec)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    base_plan = None if settings.replan else plan
    config = _config(problem, spec, base_plan, seed, settings)
    _check_config(out, config)
    done = done_members(out, runs)
    todo = sorted(set(range(runs)) - set(done))
    run = EnsembleRun(out, runs, skipped=done)
    def tell(finished_members: int) -> None:
        if progress is not None:
            progress(f"members {finished_members}/{runs}", finished_members / runs)

    tell(len(done))

    def finished(i: int, rec: dict[str, Any]) -> None:
        with atomic_path(member_path(out, i)) as tmp:  # compact: one line, about 100 kB on a city
            tmp.write_text(json.dumps(rec, separators=(",", ":")) + "\n", encoding="utf-8")
        run.computed.append(i)
        tell(len(done) + len(run.computed))
        if on_member is not None:
            on_member(i, rec)

    if todo and workers == 0 and not scheduler:
        for i in todo:
            finished(i, run_member(problem, base_plan, spec, i, seed=seed, settings=settings))
    elif todo:
        from distributed import as_completed

        with dask_client(scheduler, workers) as client:
            pf = client.scatter(problem, broadcast=True, hash=False)
            planf = client.scatter(base_plan, broadcast=True, hash=False) if base_plan is not None else None
            tag = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]
            futures = {
                client.submit(run_member, pf, planf, spec, i, seed=seed, settings=settings, pure=False,
                              key=f"evacplan-member-{tag}-{i}"): i
                for i in todo
            }
            try:
                for fut in as_completed(futures):
                    finished(futures[fut], fut.result())
                    fut.release()
            finally:
                client.cancel(list(futures))
    run.summary = summarize(out, runs, problem)
    return run
