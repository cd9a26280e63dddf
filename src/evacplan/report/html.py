"""The HTML report: one self-contained file (inline SVG, CSS and script) that works offline.

It reads run folders written by :func:`evacplan.report.run_scenario` (``run.json`` and each variant's
``assessment.json`` and ``map.json``); with several folders, or a folder with variants, the variants stand side by
side.
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from evacplan._atomic import atomic_path
from evacplan.errors import EvacplanError
from evacplan.report._assets import CSS, MAP_JS, SORT_JS
from evacplan.report.svg import PALETTE, Series, line_chart

__all__ = ["RunFolderError", "VariantRun", "load_runs", "render_report", "write_report"]


class RunFolderError(ValueError, EvacplanError):
    """A folder is not a run folder written by ``evacplan run``."""


@dataclass(frozen=True)
class VariantRun:
    """One variant of one run, as the report needs it."""

    label: str
    description: str
    assessment: dict[str, Any]
    map: dict[str, Any] | None
    folder: Path | None = None
    schedule: tuple[dict[str, Any], ...] = ()
    start: str | None = None


_INT_COLUMNS = ("persons", "leave_from_min", "leave_until_min", "last_arrival_min", "route_length_m", "groups",
                "origins")


def _read_schedule(path: Path) -> tuple[dict[str, Any], ...]:
    if not path.exists():
        return ()
    with open(path, newline="", encoding="utf-8") as fh:
        rows: list[dict[str, Any]] = list(csv.DictReader(fh))
    for r in rows:
        for k in _INT_COLUMNS:
            r[k] = int(float(r[k])) if r.get(k) not in (None, "") else 0
    return tuple(rows)


def _variant(folder: Path, label: str, description: str = "", start: str | None = None) -> VariantRun:
    a_path = folder / "assessment.json"
    if not a_path.exists():
        raise RunFolderError(f"{folder} has no assessment.json: not a run folder written by `evacplan run`")
    a = json.loads(a_path.read_text(encoding="utf-8"))
    m_path = folder / "map.json"
    m = json.loads(m_path.read_text(encoding="utf-8")) if m_path.exists() else None
    return VariantRun(label, description or a.get("description", ""), a, m, folder,
                      _read_schedule(folder / "schedule.csv"), start)


def load_runs(folders: list[str | os.PathLike[str]]) -> list[VariantRun]:
    """Every variant of every run folder (a folder may also be a single variant's folder).

    Raises
    ------
    RunFolderError
        When a folder does not exist or holds no run.
    """
    out: list[VariantRun] = []
    paths = [Path(f) for f in folders]
    for p in paths:
        if not p.is_dir():
            raise RunFolderError(f"{p} is not a folder")
        prefix = f"{p.name} / " if len(paths) > 1 else ""
        manifest = p / "run.json"
        if manifest.exists():
            run = json.loads(manifest.read_text(encoding="utf-8"))
            start = (run.get("options") or {}).get("start")
            for v in run.get("variants", []):
                out.append(_variant(p / v["folder"], prefix + v["name"], v.get("description", ""), start))
        elif (p / "assessment.json").exists():
            out.append(_variant(p, p.name))
        else:
            raise RunFolderError(f"{p} holds neither run.json nor assessment.json: not a run folder")
    if not out:
        raise RunFolderError("no variants found in " + ", ".join(str(p) for p in paths))
    return out


def _num(v: Any, digits: int = 0) -> str:
    if v is None:
        return '<span class="muted">n/a</span>'
    if isinstance(v, bool):
        return '<span class="ok">yes</span>' if v else '<span class="bad">no</span>'
    if isinstance(v, int | float):
        return f"{v:,.{digits}f}"
    return escape(str(v))


def _gap(v: Any, digits: int = 0) -> str:
    if v is None:
        return '<span class="muted">unknown</span>'
    return f'<span class="bad">{v:,.{digits}f}</span>' if v > 0 else '<span class="ok">0</span>'


def _table(head: list[str], rows: list[list[str]], left: int = 1) -> str:
    th = "".join(f'<th class="{"l" if i < left else ""}">{h}</th>' for i, h in enumerate(head))
    body = "".join("<tr>" + "".join(f'<td class="{"l" if i < left else ""}">{c}</td>' for i, c in enumerate(r))
                   + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _summary(runs: list[VariantRun]) -> str:
    rows = []
    for r in runs:
        a, s = r.assessment, r.assessment.get("summary", {})
        exposed = _exposed_once(a)
        pm = s.get("exposure_person_min", sum(e["person_minutes"] for e in a["exposure"]))
        rows.append([f"<b>{escape(r.label)}</b><br><span class='muted'>{escape(r.description)}</span>",
                     _num(a["evacuees"]), _num(a["evacuated"]), _num(a["unreachable"]),
                     _num(s.get("evacuation_time_min")), _num(s.get("t90_min")),
                     _num(s.get("plan_lower_bound_min")), _num(s.get("compliance"), 2),
                     f'<span class="{"bad" if exposed else "ok"}">{exposed:,}</span>', _num(pm)])
    return _table(["variant", "evacuees", "in safety", "no path to safety", "evacuation time (min)",
                   "90 % safe (min)", "plan lower bound (min)", "compliance", "in danger after a deadline",
                   "person-minutes exposed"], rows)


def _deadlines(runs: list[VariantRun]) -> str:
    """One plain sentence per danger zone and a table: persons safe by each deadline in the plan, at most (its
    certificate) and in the simulation (``assessment.json``'s ``deadlines``)."""
    rows, sentences, objective = [], [], []
    for r in runs:
        s = r.assessment.get("summary", {})
        if s.get("plan_objective") == "deadlines":
            q, t = s.get("plan_quickest_time_min"), s.get("plan_evacuation_time_min")
            cost = (f" (the last person safe at {t:,.0f} min, against {q:,.0f} min for the quickest plan found)"
                    if q is not None and t is not None and t > q + 1e-9 else "")
            objective.append(f"<b>{escape(r.label)}</b>: planned for the deadlines, earliest first{cost}")
        for z in r.assessment.get("deadlines", []):
            if z.get("sentence"):
                sentences.append(f"<li><b>{escape(r.label)}</b>: {escape(z['sentence'])}</li>")
            bound = "" if z.get("certificate") in (None, "exact") else " <span class='muted'>(bound)</span>"
            rows.append([escape(r.label), escape(z["name"]), _num(z["deadline_min"]), _num(z["population"]),
                         _num(z["max_safe"]) + bound, _num(z["plan_safe"]), _num(z["simulated_safe"])])
    if not rows:
        return ""
    how = ("<p class='note'>" + "; ".join(objective) + ".</p>") if objective else ""
    return (f"<ul>{''.join(sentences)}</ul>" + how + _table(
        ["variant", "danger zone", "deadline (min)", "evacuees", "at most safe by then (any plan)",
         "safe by then: plan", "safe by then: simulation"], rows, left=2) +
        "<p class='note'>At most: a maximum flow over time to the deadline in the planning model (exact for one "
        "travel class, else an upper bound from its relaxation), counting each zone's people as if nobody else "
        "moved; no plan of the model brings more.</p>")


def _exposed_once(a: dict[str, Any]) -> int:
    """Persons in danger after a deadline, each counted once (older runs: the zones' sum, an upper bound)."""
    s = a.get("summary", {})
    if s.get("exposed") is not None:
        return int(s["exposed"])
    return int(sum(e["exposed"] for e in a["exposure"]))


def _headline(runs: list[VariantRun]) -> str:
    out = []
    for r in runs:
        h = r.assessment.get("headline")
        if not h:
            continue
        pvs = r.assessment.get("plan_vs_simulation")
        nop = r.assessment.get("plan_vs_no_plan")
        items = []
        for sentence in h["sentences"]:
            cls = ""
            if pvs is not None and sentence == pvs["sentence"]:
                cls = ' class="pvs ok"' if pvs["agree"] else ' class="pvs bad"'
            elif nop is not None and sentence == nop["sentence"]:
                cls = ' class="nop bad"' if nop["worse"] else ' class="nop ok"'
            items.append(f"<li{cls}>{escape(sentence)}</li>")
        desc = f" <span class='muted'>({escape(r.description)})</span>" if r.description else ""
        out.append(f'<div class="headline"><h3>{escape(r.label)}{desc}</h3><ul>{"".join(items)}</ul></div>')
    if not out:
        return ""
    return ('<section id="headline"><h2>In short</h2>' + "".join(out) +
            "<p class='note'>Figures from the simulation (the plan's where there is none); times rounded to the "
            "minute; people in danger after a deadline counted once each.</p></section>")


def _mins(v: Any) -> str:
    if v is None:
        return '<span class="bad">never</span>'
    return f"{round(v):,}"


def _plan_vs_sim(runs: list[VariantRun]) -> str:
    both = [r for r in runs if r.assessment.get("plan_vs_simulation")]
    if not both:
        return ("<section id='plan-vs-sim'><h2>Plan and simulation side by side</h2><p class='muted'>No simulation "
                "was run: the figures are the plan's.</p></section>")
    rows, charts = [], []
    for r in both:
        c = r.assessment["plan_vs_simulation"]
        p, m = c["plan"], c["simulation"]
        differ = {d["figure"] for d in c["differences"]}

        def pair(key: str, fmt: Callable[[Any], str] = _mins, p: dict[str, Any] = p, m: dict[str, Any] = m,
                 differ: set[str] = differ) -> str:
            sim = fmt(m[key])
            return f'{fmt(p[key])} / ' + (f'<span class="bad">{sim}</span>' if key in differ else sim)

        rows.append([escape(r.label), _num(c["compliance"], 2), pair("t50_min"), pair("t90_min"),
                     pair("evacuation_time_min"), pair("exposed", _num), pair("person_minutes", _num),
                     '<span class="ok">yes</span>' if c["agree"] else '<span class="bad">no</span>'])
        pop = p["curve"]["population"] or 1
        series = [Series("plan", p["curve"]["minutes"], [100.0 * v / pop for v in p["curve"]["evacuated"]],
                         PALETTE[0], dash="6 3"),
                  Series("simulation", m["curve"]["minutes"], [100.0 * v / pop for v in m["curve"]["evacuated"]],
                         PALETTE[1])]
        charts.append(line_chart(series, title=f"{r.label}: plan and simulation", xlabel="minutes from the start",
                                 ylabel="% of evacuees safe", hlines=[(90.0, "90 %")], ymax=100.0, width=520,
                                 height=300))
    table = _table(["variant", "compliance", "50 % safe (min)<br>plan / simulation", "90 % safe (min)<br>plan / "
                    "simulation", "everyone safe (min)<br>plan / simulation", "in danger after a deadline<br>plan / "
                    "simulation", "person-minutes in danger<br>plan / simulation", "agree within 5 %"], rows)
    sentences = "".join(f"<li><b>{escape(r.label)}</b>: {escape(r.assessment['plan_vs_simulation']['sentence'])}"
                        "</li>" for r in both)
    sentences += "".join(f"<li><b>{escape(r.label)}, against no plan</b>: "
                         f"{escape(r.assessment['plan_vs_no_plan']['sentence'])}</li>"
                         for r in both if r.assessment.get("plan_vs_no_plan"))
    return ("<section id='plan-vs-sim'><h2>Plan and simulation side by side</h2>"
            f'<div class="scroll">{table}</div><ul class="pvs-list">{sentences}</ul>'
            f'<div class="row">{"".join(charts)}</div>'
            "<p class='note'>The plan's figures are what it promises (its groups' arrival times; exposure counted "
            "as the simulator counts it: at home until the planned departure, then street by street); the "
            "simulation's are what happens when people walk it, a share (compliance) following the plan and the "
            "others routing themselves, with queues. 'Everyone safe': everyone with a path to safety. Figures in "
            "red differ by more than 5 % (persons in danger: and by at least 1 % of the evacuees).</p></section>")


def _ete(runs: list[VariantRun]) -> str:
    zones: list[str] = []
    for r in runs:
        for e in r.assessment["ete"]:
            if e["zone"] not in zones:
                zones.append(e["zone"])
    head = ["danger zone", "deadline (min)"]
    for r in runs:
        head += [f"{escape(r.label)}<br>50 %", "90 %", "100 %", "met"]
    rows = []
    for z in zones:
        row = [escape(z), ""]
        for r in runs:
            e = next((x for x in r.assessment["ete"] if x["zone"] == z), None)
            if e is None:
                row += ["", "", "", ""]
                continue
            row[1] = row[1] or _num(e["deadline_min"])
            t100 = _num(e["t100_min"], 1) if e["t100_min"] is not None else '<span class="bad">not cleared</span>'
            row += [_num(e["t50_min"], 1), _num(e["t90_min"], 1), t100, "" if e["met"] is None else _num(e["met"])]
        rows.append(row)
    return _table(head, rows)


def _charts(runs: list[VariantRun]) -> str:
    out = []
    for r in runs:
        a = r.assessment
        series, vlines = [], []
        deadlines = {e["zone"]: e["deadline_min"] for e in a["ete"]}
        for i, c in enumerate(a["curves"]):
            pop = c["population"] or 1
            color = "#000000" if c["zone"] == "all" else PALETTE[i % len(PALETTE)]
            series.append(Series(c["zone"], c["minutes"], [100.0 * v / pop for v in c["evacuated"]], color,
                                 dash="6 3" if c["zone"] == "all" else ""))
            if deadlines.get(c["zone"]) is not None:
                vlines.append((deadlines[c["zone"]], f"deadline {c['zone']}", color))
        out.append(line_chart(series, title=r.label, xlabel="minutes from the start", ylabel="% of evacuees safe",
                              vlines=vlines, hlines=[(90.0, "90 %")], ymax=100.0, width=520, height=300))
    if len(runs) > 1:
        series = []
        for i, r in enumerate(runs):
            c = next(c for c in r.assessment["curves"] if c["zone"] == "all")
            pop = c["population"] or 1
            series.append(Series(r.label, c["minutes"], [100.0 * v / pop for v in c["evacuated"]],
                                 PALETTE[i % len(PALETTE)]))
        out.insert(0, line_chart(series, title="All evacuees, by variant", xlabel="minutes from the start",
                                 ylabel="% of evacuees safe", hlines=[(90.0, "90 %")], ymax=100.0, width=520,
                                 height=300))
    return '<div class="row">' + "".join(out) + "</div>"


def _gaps(runs: list[VariantRun]) -> str:
    out = []
    st = runs[0].assessment["standards"]
    for r in runs:
        rows, notes = [], []
        for s in r.assessment["safe_zones"]:
            space = _num(s["site_m2_per_person"], 1)
            if s.get("area_note"):
                notes.append(s["area_note"])
                space += ' <span class="bad">(declared area; the drawn polygon differs)</span>'
            rows.append([escape(s["name"]), _num(s["received"]), _num(s.get("residents", 0)), _num(s["capacity"]),
                         space,
                         _gap(s["site_gap_km2"], 2), _num(s["tents_needed"]), _gap(s["water_gap_m3_day"], 0),
                         _gap(s["water_points_gap"]), _gap(s["latrines_gap"]), _gap(s["latrines_later_gap"]),
                         _gap(s["health_units_gap"])])
        out.append(f"<h3>{escape(r.label)}</h3>" + _table(
            ["safe zone", "people received", "residents", "capacity", "site m2 / person", "extra land (km2)",
             "family tents", "water gap (m3/day)", "water points gap", "latrines gap (1/50)",
             "latrines gap (1/20)", "health units gap"], rows)
            + "".join(f'<p class="note bad">{escape(n)}</p>' for n in notes))
    note = (f"Minimums: {st['site_area_m2_per_person']:g} m2 site area, {st['covered_area_m2_per_person']:g} m2 "
            f"covered space, {st['water_l_per_person_day']:g} L water per day, 1 water point per "
            f"{st['persons_per_water_point']:g}, 1 latrine per {st['persons_per_latrine']:g} at first and per "
            f"{st['persons_per_latrine_later']:g} later, 1 basic health unit per {st['persons_per_health_unit']:g} "
            "people (Sphere Handbook 2018, unless the scenario overrides them). Tents: a family tent of "
            f"{st['tent_covered_m2']:g} m2 covered floor (assumed; UNHCR family tent, approx.) shelters "
            f"{st['persons_per_tent']} persons at the covered-space minimum; no existing shelter is assumed. "
            "Needs are for the people received and the residents already there; capacity as declared, residents "
            "included. Site area: the declared area_m2 where the layer gives one, else the drawn polygon's; a "
            "declared area more than 10 % away from the polygon's is flagged. 'unknown': the scenario gives no "
            "inventory.")
    return "".join(out) + f'<p class="note">{escape(note)}</p>'


def _vulnerable(runs: list[VariantRun]) -> str:
    out = []
    for r in runs:
        rows = [[escape(v["zone"]), escape(v["group"]), _num(v["persons"]), _num(v["on_foot"]),
                 _gap(v["cannot_walk_in_time"]), _num(v.get("free_flow_cannot_walk")),
                 _num(v.get("late_in_simulation")), _num(v["late_even_by_vehicle"]), _num(v["vehicles_needed"])]
                for v in r.assessment["vulnerable"]]
        if not rows:
            out.append(f"<h3>{escape(r.label)}</h3><p class='muted'>no group is marked vulnerable</p>")
            continue
        sim = any(v.get("source") == "simulation" for v in r.assessment["vulnerable"])
        src = ("from the simulation's arrivals, queues included" if sim
               else "free flow, no queues: a lower bound")
        out.append(f"<h3>{escape(r.label)}</h3><p class='muted'>Late walkers {src}.</p>" + _table(
            ["danger zone", "group", "persons", "on foot", "cannot walk out in time (seats needed)",
             "late in free flow (no queues)", "late in the simulation (every mode)", "late even by vehicle",
             "vehicles (one trip)"], rows, left=2))
    return "".join(out)


def _exposure(runs: list[VariantRun]) -> str:
    head = ["danger zone", "deadline (min)"]
    zones = [e["zone"] for e in runs[0].assessment["exposure"]]
    rows = [[escape(z), _num(runs[0].assessment["exposure"][i]["deadline_min"])] for i, z in enumerate(zones)]
    for r in runs:
        head += [f"{escape(r.label)}<br>exposed", "person-minutes"]
        by = {e["zone"]: e for e in r.assessment["exposure"]}
        for i, z in enumerate(zones):
            e = by.get(z)
            rows[i] += [_gap(e["exposed"]) if e else "", _num(e["person_minutes"]) if e else ""]
    return _table(head, rows)


def _border(runs: list[VariantRun]) -> str:
    out = []
    for r in runs:
        b = r.assessment.get("border")
        if b is None:
            continue
        rows = [[escape(x["zone"]), _num(x["evacuees"]), _num(x["shorter_open"]), _num(x["nearest_across"]),
                 _num(x["either"]), _num(x["minutes_saved_mean"], 1)] for x in b]
        out.append(f"<h3>{escape(r.label)}</h3>" + _table(
            ["danger zone", "evacuees", "shorter walk to safety if open", "nearest refuge across the border",
             "either", "mean walking minutes saved"], rows))
    if not out:
        return "<p class='muted'>The scenario closes nothing.</p>"
    return "".join(out) + ("<p class='note'>A counterfactual, never planned: the scenario is built again with its "
                           "[closed] layer open; walking times at each group's speed, free flow.</p>")


def _bottlenecks(runs: list[VariantRun]) -> str:
    out = []
    for r in runs:
        items = r.assessment.get("summary", {}).get("bottlenecks", [])
        lis = "".join(f"<li>{escape(b)}</li>" for b in items) or "<li class='muted'>none reported</li>"
        out.append(f"<h3>{escape(r.label)}</h3><ul>{lis}</ul>")
    return "".join(out)


#: Rows of a variant's departure schedule shown in the report (the largest neighbourhoods; all in schedule.csv).
SCHEDULE_ROWS = 25


def _link(base: Path | None, target: Path) -> str:
    if base is None:
        return target.as_posix()
    try:
        return Path(os.path.relpath(target, base)).as_posix()
    except ValueError:  # another drive
        return target.resolve().as_uri()


def _schedule(runs: list[VariantRun], start: str | None, base: Path | None) -> str:
    """Per variant, a sortable table of the largest neighbourhoods' departures, with links to the full CSV and the
    handouts."""
    from evacplan.report.schedule import clock

    out = []
    for i, r in enumerate(runs):
        if not r.schedule:
            continue
        shown = sorted(r.schedule, key=lambda x: -x["persons"])[:SCHEDULE_ROWS]
        shown.sort(key=lambda x: (x["danger_zone"], x["leave_from_min"], x["area"]))
        rows = "".join(
            f'<tr><td class="l">{escape(x["danger_zone"])}</td><td class="l">{escape(x["area"])}</td>'
            f'<td data-v="{x["leave_from_min"]}">{escape(clock(x["leave_from_min"], start))}</td>'
            f'<td data-v="{x["leave_until_min"]}">{escape(clock(x["leave_until_min"], start))}</td>'
            f'<td data-v="{x["persons"]}">{x["persons"]:,}</td><td class="wrap">{escape(x["route"])}</td>'
            f'<td class="l">{escape(x["safe_zone"])}</td>'
            f'<td data-v="{x["last_arrival_min"]}">{escape(clock(x["last_arrival_min"], start))}</td></tr>'
            for x in shown)
        total = sum(x["persons"] for x in r.schedule)
        links = ""
        if r.folder is not None:
            links = (f' Every neighbourhood: <a href="{escape(_link(base, r.folder / "schedule.csv"))}">schedule.csv'
                     f'</a>; printable handouts per danger zone: <a href="'
                     f'{escape(_link(base, r.folder / "handouts.html"))}">handouts.html</a>.')
        more = (f"the {len(shown)} largest of {len(r.schedule):,} neighbourhoods" if len(shown) < len(r.schedule)
                else f"all {len(r.schedule):,} neighbourhoods")
        out.append(
            f'<details{" open" if i == 0 else ""}><summary><b>{escape(r.label)}</b>: {total:,} persons, {more}'
            f'</summary><div class="scroll"><table class="sortable schedule"><thead><tr><th class="l">danger zone'
            '</th><th class="l">neighbourhood</th><th>leave from</th><th>leave until</th><th>persons</th>'
            '<th class="l">by (main streets)</th><th class="l">to safe zone</th><th>last arrive</th></tr></thead>'
            f"<tbody>{rows}</tbody></table></div><p class='note'>{links.strip()}</p></details>")
    if not out:
        return ""
    when = (f"clock times from the start at {escape(start)}" if start else
            "minutes after the start (T+; set a clock time with <code>--start HH:MM</code>)")
    return ("<section id='schedule'><h2>Departure schedule</h2>" + "".join(out) +
            f"<p class='note'>When each neighbourhood (a 500 m grid cell of a danger zone) leaves in the plan, "
            f"{when}, by which main streets (the route most of its people take) and to which safe zone; click a "
            "column's header to sort.</p></section>")


def render_report(runs: list[VariantRun], title: str | None = None, start: str | None = None,
                  base: Path | None = None) -> str:
    """The report's HTML text.

    ``start`` (``"HH:MM"``) gives the schedule clock times (default: the run's ``--start``, else ``T+`` minutes);
    ``base`` is the folder the report is written to (links to the runs' files are relative to it).
    """
    from evacplan import __version__
    from evacplan.report.schedule import parse_start

    start = start if start is not None else next((r.start for r in runs if r.start), None)
    parse_start(start)

    name = title or runs[0].assessment.get("scenario", "evacplan")
    provenance = runs[0].assessment.get("provenance") or ""
    prov = f"<p class='provenance'><b>{escape(provenance)}</b></p>" if provenance else ""
    # the schedule's routes are for the handouts: the interactive map does not draw them
    maps: list[dict[str, Any]] = [{"label": r.label, "map": {k: v for k, v in r.map.items() if k != "routes"}}
                                  for r in runs if r.map is not None]
    buttons = "".join(f'<button data-i="{i}" class="{"on" if i == 0 else ""}">{escape(str(m["label"]))}</button>'
                      for i, m in enumerate(maps))
    data = json.dumps(maps, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    map_section = (
        '<section><h2>Map</h2><div class="tools" id="variants">Variant: ' + buttons +
        ' <button id="reset">reset view</button> <span class="muted">wheel: zoom, drag: pan, hover: details'
        '</span></div>'
        '<div id="mapwrap"><svg id="map" xmlns="http://www.w3.org/2000/svg"></svg><div id="tip"></div>'
        '<div id="scalebar"><span class="len"></span><div class="bar"></div></div>'
        '<div id="north" title="north (grid north of the map\'s projection)"><svg width="16" height="22" '
        'viewBox="-8 0 16 22"><path d="M0 0L8 22L0 17L-8 22Z" fill="#222"/></svg><br>N</div></div>'
        '<div class="legend" id="maplegend"><span><b>Streets</b>, width and colour: persons through '
        '(<span id="flowsrc"></span>):</span><span id="flowlegend" class="legend"></span></div>'
        '<div class="legend"><span><i class="sw" style="background:#2a9d55;opacity:.5"></i>safe zone</span>'
        '<span><i class="sw" style="background:#d62828;opacity:.4;border:2px dashed #9d0208"></i>danger zone '
        '(darker: a larger share still in danger after its deadline)</span>'
        '<span><i class="sw" style="background:#e00000;opacity:.55"></i>bottleneck (longest queues)</span>'
        '<span><i class="sw" style="background:#000;opacity:.6"></i>closed</span>'
        '<span><i class="sw" style="background:#ff006e;opacity:.5;border-radius:7px"></i>people still in danger '
        'after the deadline (plan estimate; larger: more)</span></div></section>'
    ) if maps else ""
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(name)}: evacuation report</title>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<style>{CSS}</style></head><body>",
        f"<header><h1>{escape(name)}</h1><p>Evacuation report: {len(runs)} run(s). evacplan {__version__}, "
        f"{now}. Figures are model estimates; check them against what is known on the ground.</p>{prov}</header>"
        "<main>",
        _headline(runs),
        f"<section><h2>Summary</h2><div class='scroll'>{_summary(runs)}</div></section>",
        (f"<section><h2>Safe by the deadlines</h2><div class='scroll'>{dl}</div></section>"
         if (dl := _deadlines(runs)) else ""),
        _plan_vs_sim(runs),
        _schedule(runs, start, base),
        map_section,
        f"<section><h2>Clearance</h2>{_charts(runs)}</section>",
        "<section><h2>Evacuation time estimates (NUREG/CR-7002 style)</h2>"
        f"<p class='note'>Minutes until 50 %, 90 % and 100 % of each danger zone's evacuees are in safety; people "
        f"with no path to safety count, so such a zone is never cleared.</p>{_ete(runs)}</section>",
        f"<section><h2>Safe zones against the Sphere minimums</h2>{_gaps(runs)}</section>",
        f"<section><h2>Vulnerable people</h2><p class='note'>Walking vulnerable people who cannot reach safety "
        f"on foot before their zone's deadline: late in the simulation (queues included) where one was run, else "
        f"in free flow (their group's speed, shortest path, departures by the mobilization curve, no queues). Each "
        f"needs a vehicle seat.</p>{_vulnerable(runs)}</section>",
        f"<section><h2>Exposure after the deadlines</h2>{_exposure(runs)}</section>",
        f"<section><h2>The closed border (counterfactual)</h2>{_border(runs)}</section>",
        f"<section><h2>What limits the plan</h2>{_bottlenecks(runs)}</section>",
        "</main>",
        f'<script type="application/json" id="mapdata">{data}</script>' if maps else "",
        f"<script>{MAP_JS}</script>" if maps else "",
        f"<script>{SORT_JS}</script>",
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p)


def write_report(folders: list[str | os.PathLike[str]], out: str | os.PathLike[str], title: str | None = None,
                 start: str | None = None) -> Path:
    """Write the report of one or more run folders to ``out`` (atomically); ``start`` (``"HH:MM"``) as in
    :func:`render_report`.

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    final = Path(out)
    html = render_report(load_runs(folders), title, start, final.parent)
    with atomic_path(final) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return final
