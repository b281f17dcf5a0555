"""Every page of the built site, opened in headless Chromium: nothing leaves the site, no script
fails, every Mermaid diagram is drawn; search works offline; the architecture page is kept as a
screenshot (build/site-check/architecture.png)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import pytest
from playwright.sync_api import BrowserContext, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from offline.svg import ROOT

SCREENSHOT: Final = ROOT / "build" / "site-check" / "architecture.png"
# What superfences makes of a ```mermaid fence; Material replaces each with a div.mermaid whose
# (shadow) root holds the SVG.
FENCE: Final = '<pre class="mermaid">'
DIAGRAMS_DRAWN_WITHIN_MS: Final = 60_000
# Each diagram on the page: "svg", or what is wrong with it. Mermaid's own error diagram says
# "Syntax error in text" (aria-roledescription "error").
_DIAGRAMS: Final = """() => {
  const drawn = [...document.querySelectorAll("div.mermaid")].map((div) => {
    const svg = div.shadowRoot && div.shadowRoot.querySelector("svg");
    if (!svg) return "no svg";
    if (svg.getAttribute("aria-roledescription") === "error" ||
        svg.textContent.includes("Syntax error")) return "Mermaid's syntax error";
    return "svg";
  });
  const source = [...document.querySelectorAll("pre.mermaid")].map(() => "left as source text");
  const errors = [...document.querySelectorAll('svg[aria-roledescription="error"]')];
  return [...drawn, ...source, ...errors.map(() => "Mermaid's error diagram in the page")];
}"""


@dataclass
class Visit:
    path: str
    fences: int  # in the built HTML
    diagrams: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def url_path(site: Path, html: Path) -> str:
    relative = html.relative_to(site).as_posix()
    return "/" + relative.removesuffix("index.html")


def open_page(browser: BrowserContext, url: str, fences: int) -> tuple[Page, list[str]]:
    """The page loaded, its diagrams drawn (or given up on), and the script errors it raised."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url, wait_until="load")
    if fences:
        # What is not drawn by then, the diagrams' test reports.
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function(
                "n => document.querySelectorAll('div.mermaid').length >= n",
                arg=fences,
                timeout=DIAGRAMS_DRAWN_WITHIN_MS,
            )
    page.wait_for_load_state("networkidle")
    return page, errors


@pytest.fixture(scope="session")
def visits(
    site: Path, origin: str, browser: BrowserContext, outside_requests: list[str]
) -> list[Visit]:
    """Each page of the site, opened once."""
    found = []
    for html in sorted(site.rglob("*.html")):
        visit = Visit(url_path(site, html), html.read_text(encoding="utf-8").count(FENCE))
        before = len(outside_requests)
        page, visit.errors = open_page(browser, origin + visit.path, visit.fences)
        if visit.fences:
            visit.diagrams = page.evaluate(_DIAGRAMS)
        visit.outside = outside_requests[before:]
        page.close()
        found.append(visit)
    return found


def test_no_page_requests_anything_outside_the_site(visits: list[Visit]) -> None:
    outside = {visit.path: visit.outside for visit in visits if visit.outside}
    assert outside == {}


def test_no_page_raises_a_script_error(visits: list[Visit]) -> None:
    errors = {visit.path: visit.errors for visit in visits if visit.errors}
    assert errors == {}


def test_the_site_has_mermaid_diagrams(visits: list[Visit]) -> None:
    # Else the next test would pass on a site whose fences no longer become diagrams.
    assert any(visit.path == "/architecture/" and visit.fences for visit in visits)


def test_every_mermaid_diagram_becomes_an_svg(visits: list[Visit]) -> None:
    wrong = {}
    for visit in visits:
        problems = [diagram for diagram in visit.diagrams if diagram != "svg"]
        drawn = len(visit.diagrams) - len(problems)
        if problems or drawn != visit.fences:
            wrong[visit.path] = f"{drawn} of {visit.fences} drawn: {problems}"
    assert wrong == {}


def test_search_finds_a_page_in_the_browser(origin: str, browser: BrowserContext) -> None:
    page, _ = open_page(browser, f"{origin}/architecture/", 0)
    page.keyboard.press("/")  # Material's shortcut to the search box
    page.keyboard.type("workspace")
    results = page.locator(".md-search-result__item")
    results.first.wait_for(timeout=30_000)
    assert results.count() > 0
    page.close()


def test_the_architecture_page_is_kept_as_a_screenshot(
    site: Path, origin: str, browser: BrowserContext
) -> None:
    html = site / "architecture" / "index.html"
    fences = html.read_text(encoding="utf-8").count(FENCE)
    page, _ = open_page(browser, f"{origin}/architecture/", fences)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    page.screenshot(path=SCREENSHOT, full_page=True)
    page.close()
    assert SCREENSHOT.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
