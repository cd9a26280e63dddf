"""Small self-contained SVG charts (no plotting library, no external files)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

__all__ = ["PALETTE", "Series", "line_chart", "nice_ticks"]

#: Colour-blind-safe palette (Okabe and Ito, 2008).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")


@dataclass(frozen=True)
class Series:
    """One line of a chart: points ``(x[i], y[i])``, a label and a colour."""

    label: str
    x: Sequence[float]
    y: Sequence[float]
    color: str = PALETTE[0]
    dash: str = ""
    width: float = 2.0
    markers: list[tuple[float, str]] = field(default_factory=list)


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering ``[lo, hi]``.

    >>> nice_ticks(0, 100)
    [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
    """
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    start = math.floor(lo / step) * step
    out = [float(round(start, 10))]
    while out[-1] < hi - step * 1e-9:
        out.append(float(round(out[-1] + step, 10)))
    return out


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 10 or v == int(v) else f"{v:g}"


def line_chart(
    series: Sequence[Series],
    *,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    vlines: Sequence[tuple[float, str, str]] = (),
    hlines: Sequence[tuple[float, str]] = (),
    width: int = 560,
    height: int = 320,
    ymax: float | None = None,
) -> str:
    """An SVG line chart as a string (class ``chart``), with axes, ticks, legend and optional reference lines.

    Parameters
    ----------
    series
        The lines.
    title, xlabel, ylabel
        Texts.
    vlines
        Vertical reference lines ``(x, label, colour)`` (deadlines).
    hlines
        Horizontal reference lines ``(y, label)`` (90 %).
    width, height
        Size in pixels.
    ymax
        Top of the y axis (default: the data's maximum).
    """
    ml, mr, mt, mb = 62, 16, 28 if title else 12, 44
    pw, ph = width - ml - mr, height - mt - mb
    xs = [float(v) for s in series for v in s.x] + [v[0] for v in vlines]
    ys = [float(v) for s in series for v in s.y]
    xmax = max(xs, default=1.0) or 1.0
    top = ymax if ymax is not None else (max(ys, default=1.0) or 1.0)
    xt, yt = nice_ticks(0.0, xmax), nice_ticks(0.0, top)
    xmax, top = xt[-1], yt[-1]

    def px(v: float) -> float:
        return ml + pw * v / xmax

    def py(v: float) -> float:
        return mt + ph * (1 - v / top)

    p = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
         f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title or ylabel)}">',
         f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>']
    if title:
        p.append(f'<text x="{ml}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>')
    for v in yt:
        p.append(f'<line x1="{ml}" x2="{ml + pw}" y1="{py(v):.1f}" y2="{py(v):.1f}" stroke="#e5e5e5"/>'
                 f'<text x="{ml - 6}" y="{py(v) + 4:.1f}" font-size="11" text-anchor="end">{_fmt(v)}</text>')
    for v in xt:
        p.append(f'<line x1="{px(v):.1f}" x2="{px(v):.1f}" y1="{mt + ph}" y2="{mt + ph + 4}" stroke="#555"/>'
                 f'<text x="{px(v):.1f}" y="{mt + ph + 17}" font-size="11" text-anchor="middle">{_fmt(v)}</text>')
    p.append(f'<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="none" stroke="#555"/>')
    for v, label in hlines:
        p.append(f'<line x1="{ml}" x2="{ml + pw}" y1="{py(v):.1f}" y2="{py(v):.1f}" stroke="#888" '
                 f'stroke-dasharray="2 3"/><text x="{ml + pw - 4}" y="{py(v) - 4:.1f}" font-size="10" '
                 f'text-anchor="end" fill="#555">{escape(label)}</text>')
    for v, label, color in vlines:
        p.append(f'<line x1="{px(v):.1f}" x2="{px(v):.1f}" y1="{mt}" y2="{mt + ph}" stroke="{color}" '
                 f'stroke-dasharray="5 4"><title>{escape(label)}</title></line>')
    for s in series:
        pts = " ".join(f"{px(float(a)):.1f},{py(float(b)):.1f}" for a, b in zip(s.x, s.y, strict=True))
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        p.append(f'<polyline class="series" fill="none" stroke="{s.color}" stroke-width="{s.width}"{dash} '
                 f'points="{pts}"><title>{escape(s.label)}</title></polyline>')
    p.append(f'<text x="{ml + pw / 2}" y="{height - 8}" font-size="12" text-anchor="middle">{escape(xlabel)}</text>')
    p.append(f'<text transform="translate(14 {mt + ph / 2}) rotate(-90)" font-size="12" '
             f'text-anchor="middle">{escape(ylabel)}</text>')
    ly = mt + ph - 15 * len(series) - 4  # legend at the lower right, below rising clearance curves
    for s in series:
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        p.append(f'<line x1="{ml + pw - 150}" x2="{ml + pw - 128}" y1="{ly + 4}" y2="{ly + 4}" stroke="{s.color}" '
                 f'stroke-width="{s.width}"{dash}/><text x="{ml + pw - 124}" y="{ly + 8}" font-size="11">'
                 f'{escape(s.label[:22])}</text>')
        ly += 15
    p.append("</svg>")
    return "".join(p)
