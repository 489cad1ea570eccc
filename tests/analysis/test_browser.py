"""The report and the dashboard in a real browser (headless Chromium through Playwright).

Not just "the page loads": the charts must have drawn lines with data points, the scorecard must be
filled, nothing may be fetched from the network, and on the dashboard moving a lever must rerun the
scenario and change a KPI while the pinned baseline stays put. ``MCSIM_SCREENSHOTS=1`` also refreshes
``docs/report.png`` and ``docs/dashboard.png``.

Chromium comes from the distribution (``make test`` installs Debian's ``chromium`` if missing);
Playwright's own browser download cannot work offline. These tests skip, saying why, only when no
Chromium or no Playwright is available.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from analysis.cli import main
from analysis.report import HEADLINE, load_results
from tests.conftest import REPO

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - dev extra missing
    sync_playwright = None

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (make test installs Debian's chromium)"),
    pytest.mark.skipif(sync_playwright is None, reason="playwright not installed (pip install -e '.[dev]')"),
]

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
FI = REPO / "scenarios" / "fi"
SHOTS = REPO / "docs" if os.environ.get("MCSIM_SCREENSHOTS") else None
WAIT = 180_000  # ms; a run takes seconds, but a busy shared machine can slow it many times over

# every mean line of every Plotly chart on the page: how many finite points plotly computed for it,
# and whether its SVG path was drawn (band traces, drawn with zero width, are left out)
_LINE_POINTS = """
sel => [...document.querySelectorAll(sel)].map(el => ({
    id: el.id,
    lines: el._fullData
        .map((t, i) => [t, el.calcdata[i]])
        .filter(([t]) => t.mode === 'lines' && t.fill !== 'toself')
        .map(([t, cd]) => cd.filter(p => Number.isFinite(p.y)).length),
    drawn: [...el.querySelectorAll('.scatterlayer .trace path.js-line')]
        .filter(p => p.style.strokeWidth !== '0px' && (p.getAttribute('d') || '').length > 5).length,
}))
"""


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _page(browser, external: list[str]):
    page = browser.new_page(viewport={"width": 1440, "height": 1200})
    local = ("file://", "data:", "http://127.0.0.1", "blob:", "about:")
    page.on("request", lambda r: None if r.url.startswith(local) else external.append(r.url))
    return page


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "cmp"
    scenarios = [str(FI / "baseline.yaml"), str(FI / "ca_fund.yaml"), str(FI / "outreach_women.yaml")]
    small = ["--set", "population.workers=400", "--set", "horizon_weeks=60"]
    size = ["--reps", "8", "--jobs", "2"] if SHOTS else ["--reps", "4", *small]  # screenshots: real size
    args = ["compare", *scenarios, "--engine", "vector", "--out", str(out), "--report", *size]
    assert main(args) == 0
    return out


def test_report_draws_every_chart_with_data(browser, report):
    external: list[str] = []
    page = _page(browser, external)
    page.goto((report / "report.html").as_uri(), wait_until="load")
    page.wait_for_selector("#traj-women_share .scatterlayer .trace path.js-line", state="attached")
    charts = page.evaluate(_LINE_POINTS, ".js-plotly-plot[id^='traj-']")
    assert len(charts) >= 20
    for chart in charts:  # three scenarios, a line each, a point per week (some ratios start late)
        assert len(chart["lines"]) == 3 and max(chart["lines"]) >= 10, chart
        assert chart["drawn"] >= 1, chart
    women = next(c for c in charts if c["id"] == "traj-women_share")
    assert min(women["lines"]) >= 30
    assert page.locator("#traj-women_share .shapelayer path").count() >= 1  # the 10 % target line
    # differences: one marker per non-baseline scenario, with error bars
    assert page.locator("#diff-credentials_issued .scatterlayer .point").count() == 2
    assert page.locator("#diff-credentials_issued .errorbar").count() >= 2
    assert page.locator("#fig-funders .barlayer .point").count() >= 8
    assert page.locator("#scorecard td[data-kpi]").count() >= 3 * 20
    assert page.locator("#funders tr").count() == 2  # header + the ca_fund instrument
    assert "Scorecard" in page.inner_text("nav") or "scorecard" in page.inner_text("nav").lower()
    assert external == [], f"the report fetched from the network: {external[:3]}"
    if SHOTS:
        page.set_viewport_size({"width": 1440, "height": 1500})
        page.screenshot(path=str(SHOTS / "report.png"))
    page.close()


def test_slide_images(report, tmp_path):
    from analysis.images import write_images

    tables, _ = load_results(report)
    keep = {"women_share", "credentials_issued"}
    tables["summary"] = tables["summary"][tables["summary"]["kpi"].isin(keep)]
    paths = write_images(tmp_path, tables)
    stems = {p.stem for p in paths}
    assert {"scorecard", "trajectory_women_share", "difference_credentials_issued", "funders"} <= stems
    for p in paths:
        data = p.read_bytes()
        assert len(data) > 2000, p
        assert data.startswith(b"\x89PNG") if p.suffix == ".png" else b"<svg" in data[:400]


def _euros(text: str) -> float:
    """A card's figure as a number: ``12,345``, ``1.20 M`` or ``56.0``."""
    text = text.replace(",", "").strip()
    return float(text[:-2]) * 1e6 if text.endswith(" M") else float(text)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("dashboard") / "server.log"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "analysis.cli",
            "dashboard",
            "--port",
            str(port),
            "--preset",
            "fi_pilot",
            "--reps",
            "3",
        ],
        cwd=REPO,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 120
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                pytest.fail(f"dashboard did not start: {log.read_text()[-2000:]}")
            time.sleep(0.3)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_dashboard_binds_to_localhost_by_default():
    from analysis.cli import build_parser

    args = build_parser().parse_args(["dashboard"])
    assert args.host == "127.0.0.1"


def test_dashboard_lever_moves_a_kpi(browser, dashboard):
    external: list[str] = []
    page = _page(browser, external)
    page.goto(dashboard, wait_until="load")
    assert "South Savo" in page.inner_text("#preset")  # pilot-sized: quick enough for a test
    page.wait_for_selector("#status.done", timeout=WAIT)
    page.wait_for_selector("#graph-women_share .scatterlayer .trace path.js-line", state="attached")
    charts = page.evaluate(_LINE_POINTS, "#charts .js-plotly-plot")
    assert len(charts) == len(HEADLINE) + 1  # the headline trajectories and the funnel
    bars = page.evaluate("document.querySelectorAll('#graph-funnel .barlayer .point path').length")
    assert bars == 8  # four stages, baseline and scenario
    for chart in charts[:4]:  # baseline and scenario lines with a point per week
        assert len(chart["lines"]) == 2 and min(chart["lines"]) >= 50 and chart["drawn"] == 2, chart
    spend = page.locator("#kpi-public_spend_eur")
    before_value = page.inner_text("#kpi-public_spend_eur-value")
    before_base = spend.locator(".kpi-base").inner_text()
    assert before_base.startswith("baseline")

    # the participant raises module fees to the maximum (keyboard on the slider handle); the pilot's
    # own budget pays the fees, so public spend rises
    page.locator("#fees [role=slider]").focus()
    page.keyboard.press("End")
    page.wait_for_selector("#status.running", timeout=WAIT)  # progress is shown while it runs
    assert "Running replication" in page.inner_text("#status")
    page.wait_for_selector("#status.done", timeout=WAIT)
    page.wait_for_function(
        "v => document.querySelector('#kpi-public_spend_eur-value').innerText !== v",
        arg=before_value,
        timeout=WAIT,
    )
    after_value = page.inner_text("#kpi-public_spend_eur-value")
    assert spend.locator(".kpi-base").inner_text() == before_base  # the baseline is pinned
    assert _euros(after_value) > _euros(before_value)
    assert external == [], f"the dashboard fetched from the network: {external[:3]}"
    if SHOTS:
        page.wait_for_timeout(800)
        page.screenshot(path=str(SHOTS / "dashboard.png"), full_page=True)
    page.close()
