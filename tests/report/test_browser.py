"""The HTML report in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright.

Skipped, with the reason, only when the browser or Playwright is missing outside CI; under CI (``CI`` set) missing
pieces fail the test. ``.ci/run`` installs them: ``apt-get install -y chromium`` and ``pip install -e '.[dev]'``.
"""

from __future__ import annotations

import io
import os
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
    for sel in ("#headline", "#headline li.pvs", "#plan-vs-sim table", "#plan-vs-sim svg.chart", "#map"):
        assert _drawn(page.locator(sel).first.bounding_box()), sel
    # the headline is the first section, and every variant's sentence on plan and simulation is in it
    assert page.locator("main > section").first.get_attribute("id") == "headline"
    assert page.locator("#headline li.pvs").count() == 4
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"report-{width}-{media}.png"), full_page=True)
    assert (SCREENSHOTS / f"report-{width}-{media}.png").stat().st_size > 10_000
    assert errors == []
