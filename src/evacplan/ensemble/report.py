"""The ensemble's report section: outcome distributions, deadline risks, bottlenecks and a fan chart (inline SVG).

:func:`report_section` reads only the files of an ensemble folder and returns a self-contained HTML fragment (no
scripts, no external styles or images), ready to be placed in a larger report.
"""

from __future__ import annotations

import html
import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["fan_chart_svg", "report_section"]

_W, _H = 720, 360
_L, _R, _T, _B = 56, 16, 28, 44
_BAND = "#3b6ea8"


def _ticks(hi: float, n: int = 6) -> list[float]:
    """Round tick values from 0 to about ``hi``."""
    if hi <= 0:
        return [0.0]
    raw = hi / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    return [k * step for k in range(int(hi / step + 1e-9) + 1)]


def _extent(bands: pd.DataFrame) -> float:
    """Minutes shown: until the slowest band has levelled off (plus a margin), at least 10."""
    low = bands["p05"].to_numpy()
    minute = bands["minute"].to_numpy()
    if not len(minute):
        return 10.0
    reached = np.flatnonzero(low >= low[-1] - 1e-6)
    end = float(minute[reached[0]]) if reached.size else float(minute[-1])
    return float(min(max(end * 1.08, 10.0), max(minute[-1], 10.0)))


def fan_chart_svg(bands: pd.DataFrame, deadlines: Sequence[tuple[str, float]] = (), title: str = "") -> str:
    """A fan chart of clearance curves as a standalone SVG document.

    Parameters
    ----------
    bands
        ``minute`` and the quantile columns ``p05, p25, p50, p75, p95`` of the share of evacuees in safety (as in
        ``clearance_quantiles.parquet``).
    deadlines
        ``(danger zone name, deadline in minutes)`` pairs, drawn as dashed vertical lines.
    title
        Chart title.
    """
    x_max = _extent(bands)
    hours = x_max > 180
    unit = 60.0 if hours else 1.0
    sel = bands[bands["minute"] <= x_max]
    pw, ph = _W - _L - _R, _H - _T - _B

    def x(m: float) -> float:
        return _L + pw * m / x_max

    def y(s: float) -> float:
        return _T + ph * (1.0 - s)

    def band(lo: str, hi: str, opacity: float) -> str:
        m = sel["minute"].to_numpy()
        up = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in zip(m, sel[hi].to_numpy(), strict=True))
        down = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in zip(m[::-1], sel[lo].to_numpy()[::-1], strict=True))
        return f'<polygon points="{up} {down}" fill="{_BAND}" fill-opacity="{opacity}" stroke="none"/>'

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" width="{_W}" height="{_H}" '
        f'font-family="sans-serif" font-size="11" role="img" aria-label="{html.escape(title)}">',
        f'<title>{html.escape(title)}</title>',
        f'<rect x="{_L}" y="{_T}" width="{pw}" height="{ph}" fill="white" stroke="#999"/>',
    ]
    for s in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(f'<line x1="{_L}" x2="{_L + pw}" y1="{y(s):.1f}" y2="{y(s):.1f}" stroke="#eee"/>')
        parts.append(f'<text x="{_L - 6}" y="{y(s) + 4:.1f}" text-anchor="end">{s * 100:.0f} %</text>')
    for t in _ticks(x_max / unit):
        parts.append(f'<line x1="{x(t * unit):.1f}" x2="{x(t * unit):.1f}" y1="{_T + ph}" y2="{_T + ph + 4}" '
                     f'stroke="#666"/>')
        parts.append(f'<text x="{x(t * unit):.1f}" y="{_T + ph + 16}" text-anchor="middle">{t:g}</text>')
    parts.append(f'<text x="{_L + pw / 2}" y="{_H - 8}" text-anchor="middle">'
                 f'{"hours" if hours else "minutes"} from the start</text>')
    if len(sel):
        parts.append(band("p05", "p95", 0.18))
        parts.append(band("p25", "p75", 0.35))
        med = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in zip(sel["minute"], sel["p50"], strict=True))
        parts.append(f'<polyline points="{med}" fill="none" stroke="{_BAND}" stroke-width="2"/>')
    for k, (name, minute) in enumerate(deadlines):
        if minute is None or not 0 <= minute <= x_max:
            continue
        parts.append(f'<line x1="{x(minute):.1f}" x2="{x(minute):.1f}" y1="{_T}" y2="{_T + ph}" stroke="#b22" '
                     f'stroke-dasharray="5,4"/>')
        parts.append(f'<text x="{x(minute) + 4:.1f}" y="{_T + 12 + 13 * k}" fill="#b22">'
                     f'{html.escape(name)} deadline</text>')
    parts.append(f'<text x="{_L}" y="{_T - 10}" font-size="13" font-weight="bold">{html.escape(title)}</text>')
    lx = _L + pw - 190
    parts.append(f'<rect x="{lx}" y="{_T + ph - 58}" width="14" height="10" fill="{_BAND}" fill-opacity="0.18"/>'
                 f'<text x="{lx + 20}" y="{_T + ph - 49}">5-95 % of members</text>'
                 f'<rect x="{lx}" y="{_T + ph - 42}" width="14" height="10" fill="{_BAND}" fill-opacity="0.5"/>'
                 f'<text x="{lx + 20}" y="{_T + ph - 33}">25-75 % of members</text>'
                 f'<line x1="{lx}" x2="{lx + 14}" y1="{_T + ph - 21}" y2="{_T + ph - 21}" stroke="{_BAND}" '
                 f'stroke-width="2"/><text x="{lx + 20}" y="{_T + ph - 17}">median</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _fmt(v: Any, unit: str = "") -> str:
    if v is None:
        return "never"
    if isinstance(v, float) and not v.is_integer():
        return f"{v:,.1f}{unit}"
    return f"{v:,.0f}{unit}"


def _row(label: str, d: dict[str, Any], unit: str = "", scale: float = 1.0) -> str:
    cells = "".join(f"<td>{_fmt(None if d[k] is None else d[k] * scale, unit)}</td>" for k in ("p50", "p90", "p99"))
    return f"<tr><th scope=\"row\">{html.escape(label)}</th>{cells}</tr>"


def report_section(out_dir: str | os.PathLike[str]) -> str:
    """The ensemble's report section as a self-contained HTML fragment (inline SVG, no scripts or external files).

    Parameters
    ----------
    out_dir
        An ensemble folder written by :func:`evacplan.ensemble.run_ensemble`.

    Returns
    -------
    str
        A ``<section>`` element.
    """
    out = Path(out_dir)
    s = json.loads((out / "ensemble_summary.json").read_text(encoding="utf-8"))
    bands = pd.read_parquet(out / "clearance_quantiles.parquet")
    edges = pd.read_parquet(out / "edge_bottleneck.parquet").head(10)
    deadlines = [(z["name"], z["deadline_min"]) for z in s["danger_zones"] if z["deadline_min"] is not None]
    svg = fan_chart_svg(bands, deadlines, title=f"Share of evacuees in safety, {s['members']} members")
    svg = svg.replace('<svg xmlns="http://www.w3.org/2000/svg" ', '<svg xmlns="http://www.w3.org/2000/svg" '
                      'style="max-width:100%;height:auto" ', 1)
    table = 'style="border-collapse:collapse;margin:0.5em 0" border="1" cellpadding="4"'
    rows = [
        _row("evacuation time (min)", s["evacuation_time_min"]),
        _row("90 % in safety (min)", s["t90_min"]),
        _row("persons exposed", s["exposed"]),
        _row("exposure (person-min)", s["exposure_person_min"]),
        _row("evacuated", s["evacuated_share"], " %", 100.0),
    ]
    zrows = "".join(
        f"<tr><th scope=\"row\">{html.escape(z['name'])}</th><td>{_fmt(z['deadline_min'])}</td>"
        f"<td>{z['p_missed_deadline'] * 100:.0f} %</td><td>{_fmt(z['clearance_min']['p50'])}</td>"
        f"<td>{_fmt(z['clearance_min']['p90'])}</td></tr>"
        for z in s["danger_zones"]
    )
    cols = [c for c in ("name", "edge_id", "tail_id", "head_id") if c in edges.columns] or ["edge"]
    erows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(r[c]))}</td>" for c in cols)
        + f"<td>{r['p_bottleneck'] * 100:.0f} %</td><td>{r['mean_queue_person_min']:,.0f}</td></tr>"
        for r in edges.to_dict("records")
    )
    never = s["evacuation_time_min"]["never_share"]
    note = (f"<p>In {never * 100:.0f} % of members not everyone who could reach safety did so within the horizon "
            f"(shown as “never”).</p>" if never > 0 else "")
    return (
        '<section class="evacplan-ensemble">\n'
        "<h2>Uncertainty ensemble</h2>\n"
        f"<p>{s['members']} simulated members of <em>{html.escape(str(s['scenario']))}</em> (seed {s['seed']}), each "
        "drawing its own mobilization, compliance, walking speeds, danger-zone growth, blockages and capacity losses "
        "from the scenario's declared uncertainties.</p>\n"
        f"{note}"
        f"<table {table}><thead><tr><th></th><th>P50</th><th>P90</th><th>P99</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>\n"
        "<h3>Clearance curves</h3>\n"
        f"<figure style=\"margin:0\">{svg}<figcaption>Share of evacuees in safety over time: median and the bands "
        "holding 50 % and 90 % of members.</figcaption></figure>\n"
        "<h3>Risk of missing each danger zone's deadline</h3>\n"
        f"<table {table}><thead><tr><th>danger zone</th><th>deadline (min)</th><th>P(missed)</th>"
        f"<th>clearance P50 (min)</th><th>clearance P90 (min)</th></tr></thead><tbody>{zrows}</tbody></table>\n"
        "<h3>Recurring bottlenecks</h3>\n"
        f"<p>Share of members in which a street is among the {s['bottleneck_top']} with the most queued "
        "person-minutes.</p>\n"
        f"<table {table}><thead><tr>{''.join(f'<th>{c}</th>' for c in cols)}<th>bottleneck in</th>"
        f"<th>mean queued person-min</th></tr></thead><tbody>{erows}</tbody></table>\n"
        "</section>\n"
    )
