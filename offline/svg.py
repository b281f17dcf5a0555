"""Mermaid from node_modules in headless Debian Chromium: the site's diagrams and standalone SVGs.

package.json pins Mermaid, package-lock.json pins everything it brings with integrity hashes, and
`npm ci --ignore-scripts` installs them (``make site``, ``make diagram``). That one copy:

- is served by the documentation site itself: MkDocs loads this file as a hook (mkdocs.yml
  ``hooks``) and ``on_files`` adds it to the site as ``javascripts/mermaid.min.js``, which
  mkdocs.yml's ``extra_javascript`` loads on every page. Material's own script fetches Mermaid
  from a CDN only when no ``mermaid`` is defined, so a page never does (tests_site/test_site.py:
  no request leaves the site);
- renders a stack's architecture diagram as a standalone SVG (``render``:
  ``python -m offline.preview --format svg``, ``make diagram``).

The browser is Debian's Chromium (``make browser``), driven by Playwright; Playwright's own browser
download is never used. tests_site/ opens the built site in the same browser (``chromium``).

MkDocs loads this file by its path, outside the project's import path: it imports the standard
library only, and Playwright and MkDocs where they are needed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from playwright.sync_api import BrowserContext

ROOT: Final = Path(__file__).resolve().parent.parent
MERMAID_PATH: Final = "node_modules/mermaid/dist/mermaid.min.js"
MERMAID: Final = ROOT / MERMAID_PATH
# Where the site serves it: mkdocs.yml's extra_javascript names this path.
SITE_MERMAID: Final = "javascripts/mermaid.min.js"
CHROMIUM: Final = Path("/usr/bin/chromium")
CHROMIUM_MISSING: Final = f"{CHROMIUM} is missing: run `make browser` (Debian's chromium package)"
# Only the page's own work: no sync, component updates, background or QUIC traffic, GPU or
# first-run UI. Playwright adds --headless (headless=True) and --no-sandbox (chromium_sandbox
# False: CI runs as root, where Chromium's sandbox refuses to start).
CHROMIUM_FLAGS: Final = (
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
# Mermaid's defaults, but with labels as SVG text (HTML labels would be XHTML inside
# <foreignObject>, which SVG tools other than browsers do not draw), the diagram at its own
# size, and element ids and outlines (rough.js, seeded) the same from one run to the next.
_RENDER: Final = """async (diagram) => {
  mermaid.initialize({
    startOnLoad: false,
    deterministicIds: true,
    handDrawnSeed: 1,
    htmlLabels: false,
    flowchart: { htmlLabels: false, useMaxWidth: false },
  });
  const { svg } = await mermaid.render("diagram", diagram);
  document.body.innerHTML = svg;
  return new XMLSerializer().serializeToString(document.body.querySelector("svg"));
}"""


class SvgError(Exception):
    """No SVG: what is missing and the make target that installs it, or Mermaid's error."""


def mermaid_missing(installed_by: str) -> str:
    """node_modules lacks Mermaid: the make target that installs it."""
    return f"{MERMAID_PATH} is missing: run `{installed_by}` (npm ci)"


@contextmanager
def chromium() -> Iterator[BrowserContext]:
    """Headless Chromium with a fresh profile, deleted afterwards."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 (only a browser needs it)

    with tempfile.TemporaryDirectory(prefix="chromium-") as profile, sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            chromium_sandbox=False,
            args=list(CHROMIUM_FLAGS),
        )
        try:
            yield context
        finally:
            context.close()


def render(diagram: str) -> str:
    """A Mermaid diagram as a standalone SVG document: no request leaves the page, and the
    XML serialisation makes it well-formed XML."""
    from playwright.sync_api import Error  # noqa: PLC0415 (only a browser needs it)

    if not CHROMIUM.exists():
        raise SvgError(CHROMIUM_MISSING)
    if not MERMAID.exists():
        raise SvgError(mermaid_missing("make diagram"))
    try:
        with chromium() as context:
            context.route("**/*", lambda route: route.abort())
            page = context.new_page()
            page.add_script_tag(path=MERMAID)  # inlined into the page, not fetched
            svg = page.evaluate(_RENDER, diagram)
    except Error as error:
        raise SvgError(f"Mermaid in Chromium: {error.message}") from error
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{svg}\n'


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """MkDocs hook: the site serves node_modules' Mermaid as SITE_MERMAID."""
    from mkdocs.exceptions import PluginError  # noqa: PLC0415 (only MkDocs runs this)
    from mkdocs.structure.files import File  # noqa: PLC0415 (only MkDocs runs this)

    if not MERMAID.exists():
        raise PluginError(mermaid_missing("make site"))
    files.append(File.generated(config, SITE_MERMAID, abs_src_path=str(MERMAID)))
    return files
