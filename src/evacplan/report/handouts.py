"""Printable handouts: one A4 section per danger zone, for the people who organise the departures there.

Each section (``section.handout``, a page break before each) holds the zone in one sentence, a small map of its
routes (static SVG with scale bar and north arrow: it prints without script), its departure schedule (every
neighbourhood, :mod:`evacplan.report.schedule`) and the services of the safe zones its people go to against the
Sphere minimums. ``handouts.html`` is self-contained (inline CSS, no script, no external file); print it, or save it
as PDF from a browser (``chromium --headless --print-to-pdf=handouts.pdf handouts.html``).
"""

from __future__ import annotations

import math
import os
from html import escape
from pathlib import Path
from typing import Any

from evacplan._atomic import atomic_path
from evacplan.report.geodata import safe_by_deadline
from evacplan.report.html import VariantRun, load_runs
from evacplan.report.schedule import OUTSIDE, clock
from evacplan.report.svg import PALETTE

__all__ = ["HANDOUT_CSS", "duration", "nice_length", "render_handouts", "write_handouts"]

HANDOUT_CSS = """
@page{size:A4;margin:12mm}
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#222;margin:0 auto;
max-width:1000px;padding:8px 12px;-webkit-print-color-adjust:exact;print-color-adjust:exact}
h1{font-size:20px;margin:4px 0}h2{font-size:17px;margin:6px 0}h3{font-size:14px;margin:10px 0 4px}
section.handout{border-top:3px solid #1f3a5f;padding-top:6px;margin-top:18px}
section.handout+section.handout{break-before:page;page-break-before:always}
table{border-collapse:collapse;font-size:11px;width:100%;margin:4px 0}
th,td{border:1px solid #bbb;padding:2px 4px;text-align:right;vertical-align:top}th{background:#eef2f6}
td.l,th.l{text-align:left}tr{break-inside:avoid}
.map{width:100%;max-width:640px;height:auto;border:1px solid #ccc;display:block}
.note{font-size:11px;color:#555}.bad{color:#b00020;font-weight:600}.ok{color:#1b7a3a}
.scroll{overflow-x:auto;max-width:100%}
@media print{body{max-width:none;padding:0}section.handout{margin-top:0}.map{max-width:560px}}
"""


def duration(minutes: float | None) -> str:
    """A duration in words: ``"4 h"``, ``"1 h 30 min"``, ``"45 min"``.

    >>> duration(240), duration(90), duration(45)
    ('4 h', '1 h 30 min', '45 min')
    """
    if minutes is None:
        return "none"
    m = int(round(minutes))
    if m < 60:
        return f"{m} min"
    return f"{m // 60} h" + (f" {m % 60} min" if m % 60 else "")


def nice_length(target: float) -> float:
    """The round length (1, 2 or 5 times a power of ten) at most ``target``.

    >>> nice_length(730), nice_length(260)
    (500.0, 200.0)
    """
    if target <= 0:
        return 1.0
    mag = 10 ** math.floor(math.log10(target))
    return float(max(m * mag for m in (1, 2, 5) if m * mag <= target))


def _zone_map(m: dict[str, Any], zone: str, width: int = 640) -> str:
    """A static SVG of one danger zone: its outline, the safe zones, its routes (width by persons), names, a scale
    bar and a north arrow (map coordinates: metres, y up; north taken as up, the CRS's grid north)."""
    dz = next((f for f in m["danger_zones"] if str(f["props"].get("name")) == zone), None)
    routes = [r for r in m.get("routes", []) if r["danger_zone"] == zone]
    xs, ys = m["x"], m["y"]
    px = [p[0] for f in ([dz] if dz else []) for ring in f["rings"] for p in ring]
    py = [p[1] for f in ([dz] if dz else []) for ring in f["rings"] for p in ring]
    for r in routes:
        px += [xs[v] for v in r["nodes"]]
        py += [ys[v] for v in r["nodes"]]
    if not px:
        return ""
    # the zone as far as the street network reaches, and the routes
    x0, x1 = max(min(px), min(xs)), min(max(px), max(xs))
    y0, y1 = max(min(py), min(ys)), min(max(py), max(ys))
    span = max(x1 - x0, y1 - y0, 50.0)
    pad = 0.06 * span
    x0, x1, y0, y1 = x0 - pad, x1 + pad, y0 - pad, y1 + pad
    w, h = x1 - x0, y1 - y0
    height = int(max(min(width * h / w, 1.1 * width), 0.45 * width))
    s = min(width / w, height / h)
    ox, oy = (width - w * s) / 2, (height - h * s) / 2

    def tx(x: float) -> float:
        return ox + (x - x0) * s

    def ty(y: float) -> float:
        return height - oy - (y - y0) * s

    def path(rings: list[list[list[float]]]) -> str:
        return " ".join("M" + "L".join(f"{tx(p[0]):.1f} {ty(p[1]):.1f}" for p in ring) for ring in rings)

    out = [f'<svg class="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="Routes from {escape(zone)}"><rect width="{width}" height="{height}" fill="#f4f6f8"/>']
    for f in m["safe_zones"]:
        out.append(f'<path d="{path(f["rings"])}" fill="#2a9d55" fill-opacity="0.25" stroke="#1b7a3a" '
                   f'stroke-width="1.5"/>')
    for f in m["danger_zones"]:
        mine = f is dz
        out.append(f'<path d="{path(f["rings"])}" fill="#d62828" fill-opacity="{0.15 if mine else 0.05}" '
                   f'stroke="#9d0208" stroke-width="{2 if mine else 1}" stroke-dasharray="8 4"/>')
    safe_names = sorted({r["safe_zone"] for r in routes})
    colour = {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(safe_names)}
    pmax = max((r["persons"] for r in routes), default=1) or 1
    for r in sorted(routes, key=lambda r: r["persons"]):
        pts = " ".join(f"{tx(xs[v]):.1f},{ty(ys[v]):.1f}" for v in r["nodes"])
        wd = 1.2 + 5 * math.sqrt(r["persons"] / pmax)
        out.append(f'<polyline points="{pts}" fill="none" stroke="{colour[r["safe_zone"]]}" stroke-width="{wd:.1f}" '
                   f'stroke-linecap="round" stroke-linejoin="round" stroke-opacity="0.85"><title>'
                   f'{escape(r["area"])}: {r["persons"]:,} persons to {escape(r["safe_zone"])}</title></polyline>')
        v = r["nodes"][0]
        out.append(f'<circle cx="{tx(xs[v]):.1f}" cy="{ty(ys[v]):.1f}" r="3" fill="#222"/>')
    for f in [*m["safe_zones"], *([dz] if dz else [])]:
        lab = f.get("label")
        if lab is None:
            continue
        lx, ly = min(max(tx(lab[0]), 40.0), width - 40.0), min(max(ty(lab[1]), 14.0), height - 30.0)
        out.append(f'<text x="{lx:.1f}" y="{ly:.1f}" font-size="13" font-weight="bold" text-anchor="middle" '
                   f'stroke="#fff" stroke-width="3" paint-order="stroke">{escape(str(f["props"].get("name")))}'
                   "</text>")
    bar = nice_length(0.25 * width / s)
    bl = bar * s
    label = f"{bar / 1000:g} km" if bar >= 1000 else f"{bar:g} m"
    out.append(f'<g class="scalebar"><rect x="8" y="{height - 26}" width="{bl + 8:.1f}" height="20" fill="#fff" '
               f'fill-opacity="0.8"/><path d="M12 {height - 14}v6h{bl:.1f}v-6" fill="none" stroke="#000" '
               f'stroke-width="2"/><text x="{12 + bl / 2:.1f}" y="{height - 16}" font-size="11" '
               f'text-anchor="middle">{label}</text></g>')
    out.append(f'<g class="north" transform="translate({width - 22} 12)"><path d="M0 0L8 22L0 17L-8 22Z" '
               'fill="#222"/><text x="0" y="34" font-size="12" font-weight="bold" text-anchor="middle">N</text></g>')
    legend = "".join(f'<tspan fill="{colour[n]}">\u25ac</tspan> {escape(n)}  ' for n in safe_names)
    if legend:
        out.append(f'<text x="8" y="16" font-size="11" stroke="#fff" stroke-width="3" paint-order="stroke">'
                   f'Routes to: {legend}(width: persons)</text>')
    out.append("</svg>")
    return "".join(out)


def _zone_sentence(a: dict[str, Any], zone: str) -> str:
    ete = next((e for e in a.get("ete", []) if e["zone"] == zone), None)
    if ete is None:
        return ""
    pop = ete["population"]
    dl = ete.get("deadline_min")
    if dl is None:
        return f"{pop:,} people to move; no deadline set."
    exp = next((e for e in a.get("exposure", []) if e["zone"] == zone), None)
    safe = safe_by_deadline(a, zone)
    what = "safe"
    if safe is None and exp is not None:
        safe, what = pop - int(exp["exposed"]), "out of the zone"
    if safe is None:
        return f"{pop:,} people to move; deadline {duration(dl)}."
    share = 100.0 * safe / pop if pop else 100.0
    return (f"{pop:,} people to move; deadline {duration(dl)} after the start; {math.floor(share):.0f} % {what} by "
            f"then ({safe:,} people).")


def _services(a: dict[str, Any], names: list[str]) -> str:
    rows = []
    for s in a.get("safe_zones", []):
        if s["name"] not in names:
            continue

        def gap(v: Any) -> str:
            if v is None:
                return '<span class="note">unknown</span>'
            return f'<span class="bad">{v:,.0f}</span>' if v > 0 else '<span class="ok">0</span>'

        rows.append(f'<tr><td class="l">{escape(s["name"])}</td><td>{s["received"]:,}</td>'
                    f'<td>{int(s.get("residents") or 0):,}</td><td>{s["site_m2_per_person"]:,.1f}</td>'
                    f'<td>{s["tents_needed"]:,}</td><td>{gap(s["water_gap_m3_day"])}</td>'
                    f'<td>{gap(s["water_points_gap"])}</td><td>{gap(s["latrines_gap"])}</td>'
                    f'<td>{gap(s["health_units_gap"])}</td></tr>')
    if not rows:
        return ""
    st = a.get("standards", {})
    return ("<h3>Where they go: services against the Sphere minimums</h3><div class='scroll'><table><thead><tr>"
            "<th class='l'>safe zone</th><th>people received (all zones)</th><th>residents</th><th>site m2 / "
            "person</th><th>family tents needed</th><th>water missing (m3/day)</th><th>water points missing</th>"
            "<th>latrines missing</th><th>health units missing</th></tr></thead><tbody>" + "".join(rows) +
            "</tbody></table></div><p class='note'>Minimums (Sphere Handbook 2018 unless the scenario overrides "
            f"them): {st.get('water_l_per_person_day', 15):g} L water per person and day, 1 water point per "
            f"{st.get('persons_per_water_point', 250):g}, 1 latrine per {st.get('persons_per_latrine', 50):g}, "
            f"1 basic health unit per {st.get('persons_per_health_unit', 10000):g} people, "
            f"{st.get('site_area_m2_per_person', 45):g} m2 site area per person.</p>")


def render_handouts(run: VariantRun, start: str | None = None, title: str | None = None) -> str:
    """The handouts of one variant as HTML: one ``section.handout`` per danger zone (see the module)."""
    a = run.assessment
    zones = [e["zone"] for e in a.get("ete", []) if e["zone"] != "all"]
    if any(r["danger_zone"] == OUTSIDE for r in run.schedule):
        zones.append(OUTSIDE)
    name = title or f"{a.get('scenario', 'evacplan')}: {run.label}"
    when = (f"Clock times from the start at {escape(start)}." if start else
            "Times are minutes after the start of the evacuation (T+); the coordinator sets the clock time.")
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             f"<title>{escape(name)}: handouts</title>",
             "<meta name='viewport' content='width=device-width, initial-scale=1'>",
             f"<style>{HANDOUT_CSS}</style></head><body>"]
    prov = a.get("provenance") or ""
    for zone in zones:
        rows = [r for r in run.schedule if r["danger_zone"] == zone]
        safe_names = sorted({r["safe_zone"] for r in rows})
        body = "".join(
            f'<tr><td class="l">{escape(r["area"])}</td><td>{escape(clock(r["leave_from_min"], start))}</td>'
            f'<td>{escape(clock(r["leave_until_min"], start))}</td><td>{r["persons"]:,}</td>'
            f'<td class="l">{escape(r["route"])}</td><td class="l">{escape(r["safe_zone"])}</td>'
            f'<td>{escape(clock(r["last_arrival_min"], start))}</td></tr>' for r in rows)
        table = ("<div class='scroll'><table class='schedule'><thead><tr><th class='l'>neighbourhood</th>"
                 "<th>leave from</th><th>leave until</th><th>persons</th><th class='l'>by (main streets)</th>"
                 "<th class='l'>to safe zone</th><th>last arrive</th></tr></thead><tbody>" + body +
                 "</tbody></table></div>") if rows else "<p class='note'>Nobody in this zone is planned to leave.</p>"
        total = sum(r["persons"] for r in rows)
        parts.append(
            f'<section class="handout" data-zone="{escape(zone)}"><h1>{escape(zone)}: when and where to go</h1>'
            f"<p>{escape(name)}. {escape(_zone_sentence(a, zone))} {when}</p>"
            + (f"<p class='note'>{escape(prov)}</p>" if prov else "")
            + (_zone_map(run.map, zone) if run.map else "")
            + f"<h3>Departure schedule: {len(rows)} neighbourhood(s), {total:,} persons</h3>{table}"
            + _services(a, safe_names)
            + "<p class='note'>Neighbourhoods: 500 m grid cells, numbered eastwards and northwards from the south-"
              "west corner of the street network. Each row's people leave in the window shown, in the order of "
              "the plan, and follow the main streets listed to the safe zone. Model estimates: check them against "
              "what is known on the ground.</p></section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_handouts(folder: str | os.PathLike[str], out: str | os.PathLike[str] | None = None,
                   start: str | None = None, title: str | None = None) -> Path:
    """Write the handouts of a variant's folder (``assessment.json``, ``map.json``, ``schedule.csv``) to ``out``
    (default ``folder/handouts.html``), atomically.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    run = load_runs([folder])[0]
    final = Path(out) if out is not None else Path(folder) / "handouts.html"
    html = render_handouts(run, start, title)
    with atomic_path(final) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return final
