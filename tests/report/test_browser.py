"""The HTML report in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright.

Skipped, with the reason, only when the browser or Playwright is missing outside CI; under CI (``CI`` set) missing
pieces fail the test. ``.ci/run`` installs them: ``apt-get install -y chromium`` and ``pip install -e '.[dev]'``.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import pytest

#: Where the layout screenshots go (CI keeps this folder as an artefact).
SCREENSHOTS = Path(os.environ.get("EVACPLAN_SCREENSHOTS") or Path(__file__).resolve().parents[2] / "artifacts"
                   / "report-screenshots")
CHROMIUM = os.environ.get("EVACPLAN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false")


def _require() -> None:
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"no Chromium binary at {CHROMIUM} (apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("Playwright is not installed (pip install -e '.[dev]')")
    if missing:
        if IN_CI:
            pytest.fail("; ".join(missing) + " -- required under CI")
        pytest.skip("; ".join(missing))


@pytest.fixture(scope="module")
def page_of():
    _require()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])

        def open_page(path: Path):
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
            page.goto(path.resolve().as_uri())
            page.wait_for_selector("body[data-map-ready='1']", timeout=15_000)
            return page, errors

        yield open_page
        browser.close()


def _drawn(box: dict | None) -> bool:
    return box is not None and box["width"] > 0 and box["height"] > 0


def test_report_renders_in_chromium(page_of, small_run: Path, tmp_path: Path) -> None:
    page, errors = page_of(small_run / "report.html")
    # the map: an SVG with streets, zones and bottlenecks drawn at a visible size
    assert _drawn(page.locator("#map").bounding_box())
    n_edges = page.locator("#map line.edge").count()
    assert n_edges > 50
    assert page.locator("#map path.zone.danger").count() == 2 and page.locator("#map path.zone.safe").count() == 1
    assert page.locator("#map line.bottleneck").count() > 0
    drawn = [_drawn(page.locator("#map path.zone").nth(i).bounding_box()) for i in range(3)]
    assert all(drawn)
    # the charts: one per variant plus the comparison, and plan against simulation per variant
    charts = page.locator("svg.chart")
    assert charts.count() == 4 + 1 + 4
    for i in range(charts.count()):
        assert _drawn(charts.nth(i).bounding_box())
    assert _drawn(page.locator("svg.chart polyline.series").first.bounding_box())
    # tooltips and variant switching work
    page.locator("#map path.zone.safe").hover(force=True)
    assert "safe zone" in page.locator("#tip").inner_text()
    page.locator("#variants button", has_text="late start").click()
    assert page.locator("#map line.edge").count() == n_edges
    # a screenshot that is not blank
    png = page.screenshot(path=str(tmp_path / "report.png"), full_page=False)
    from PIL import Image, ImageStat

    img = Image.open(io.BytesIO(png)).convert("L")
    assert img.size == (1280, 900)
    assert ImageStat.Stat(img).stddev[0] > 10, "the screenshot looks blank"
    map_png = page.locator("#map").screenshot()
    colours = Image.open(io.BytesIO(map_png)).convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 20, "the map looks blank"
    assert errors == []


@pytest.mark.parametrize(("width", "media"), [(1440, "screen"), (390, "screen"), (794, "print")])
def test_layout_fits_the_page(page_of, small_run: Path, width: int, media: str) -> None:
    """Desktop, phone and print (A4 at 96 dpi): no horizontal page overflow, no console error, no request for
    anything but the file itself; the headline and the plan-against-simulation table are visible."""
    page, errors = page_of(small_run / "report.html")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.set_viewport_size({"width": width, "height": 900})
    page.emulate_media(media=media)
    page.reload()
    page.wait_for_selector("body[data-map-ready='1']", timeout=15_000)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than the window at {width} px ({media})"
    assert [u for u in requests if not u.startswith("file:")] == []
    for sel in ("#headline", "#headline li.pvs", "#plan-vs-sim table", "#plan-vs-sim svg.chart", "#map",
                "#schedule table.schedule", "#maplegend", "#flowlegend svg", "#scalebar .bar", "#north",
                "#map text.zone-label.danger", "#map text.zone-label.safe"):
        assert _drawn(page.locator(sel).first.bounding_box()), sel
    # the legend, scale bar, north arrow and the zones' names lie within the map's frame and the window
    frame = page.locator("#mapwrap").bounding_box()
    assert frame is not None
    for sel in ("#scalebar", "#north", "#map text.zone-label"):
        loc = page.locator(sel)
        for i in range(loc.count()):
            b = loc.nth(i).bounding_box()
            assert b is not None, sel
            if "label" in sel:  # a name is drawn where its centre is on the map
                assert frame["x"] <= b["x"] + b["width"] / 2 <= frame["x"] + frame["width"], sel
            else:
                assert frame["x"] - 1 <= b["x"] and b["x"] + b["width"] <= frame["x"] + frame["width"] + 1, sel
    assert page.locator("#map text.zone-label").count() == 3
    assert page.locator("#flowlegend > span").count() == 4
    assert page.locator("#scalebar .len").inner_text().endswith(" m") or "km" in page.locator("#scalebar").inner_text()
    for i in range(page.locator("#maplegend").count()):
        b = page.locator("#maplegend").nth(i).bounding_box()
        assert b is not None and b["x"] + b["width"] <= width + 1
    # the headline is the first section, and every variant's sentence on plan and simulation is in it
    assert page.locator("main > section").first.get_attribute("id") == "headline"
    assert page.locator("#headline li.pvs").count() == 4
    assert page.locator("#headline li.nop").count() == 1  # the baseline against nobody following the plan
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"report-{width}-{media}.png"), full_page=True)
    assert (SCREENSHOTS / f"report-{width}-{media}.png").stat().st_size > 10_000
    assert errors == []


def test_map_hover_boxes_and_sorting_in_words(page_of, small_run: Path) -> None:
    """Hover boxes say what a zone is in words; a click on a schedule header sorts the rows."""
    page, errors = page_of(small_run / "report.html")
    zone = page.locator("#map path.zone.danger").first
    words = zone.locator("title").text_content() or ""
    assert re.fullmatch(r"[\w -]+: [\d,]+ people, deadline \d+( h)?( \d+ min)?( min)?, \d+ % safe by then(; [\d,]+ "
                        r"still in danger after it)?", words), words
    zone.hover(force=True)
    assert page.locator("#tip").inner_text() == words
    assert "safe zone" in (page.locator("#map path.zone.safe").first.locator("title").text_content() or "")
    street = page.locator("#map line.bottleneck").first.locator("title").text_content() or ""
    assert street.startswith("Bottleneck, ") and "persons through" in street
    table = page.locator("#schedule table.schedule").first
    head = table.locator("th", has_text="persons")
    head.click()
    values = [int(t.replace(",", "")) for t in table.locator("tbody tr td:nth-child(5)").all_inner_texts()]
    assert values == sorted(values)
    head.click()
    values = [int(t.replace(",", "")) for t in table.locator("tbody tr td:nth-child(5)").all_inner_texts()]
    assert values == sorted(values, reverse=True)
    assert head.get_attribute("aria-sort") == "descending"
    assert errors == []


def test_handouts_print_one_section_per_danger_zone(page_of, small_run: Path, tmp_path: Path) -> None:
    """The handouts print to PDF through Chromium: a page per danger zone (each fits on one A4 page here)."""
    import json

    page, errors = page_of(small_run / "report.html")
    zones = [e["zone"] for e in json.loads((small_run / "baseline" / "assessment.json").read_text())["exposure"]]
    page.goto((small_run / "baseline" / "handouts.html").resolve().as_uri())
    sections = page.locator("section.handout")
    assert [sections.nth(i).get_attribute("data-zone") for i in range(sections.count())] == zones
    for i in range(sections.count()):
        for sel in ("table.schedule", "svg.map", "svg.map .scalebar", "svg.map .north"):
            assert _drawn(sections.nth(i).locator(sel).first.bounding_box()), sel
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)
    (tmp_path / "handouts.pdf").write_bytes(pdf)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "handouts-baseline.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages == len(zones), f"{pages} PDF pages for {len(zones)} danger zones"
    assert errors == []
