"""The built site in headless Debian Chromium: `make site-check` (after `make site` and
`make browser`). Not under tests/: `make test` runs without a browser or a built site, and these
tests fail, never skip, when either is missing.

The site is served from build/site on 127.0.0.1 (an ephemeral port); every request to anywhere
else is blocked and recorded, and fails the test that looks at it.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest
from playwright.sync_api import BrowserContext, Route

from offline.svg import CHROMIUM, CHROMIUM_MISSING, ROOT, chromium

SITE: Final = ROOT / "build" / "site"
SITE_MISSING: Final = f"{SITE.relative_to(ROOT)} is not built: run `make site`"
# Material's bundle opens each diagram in a closed shadow root; opened, the test can look inside.
OPEN_SHADOW_ROOTS: Final = """
const attachShadow = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) {
  return attachShadow.call(this, { ...init, mode: "open" });
};
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def site() -> Path:
    if not (SITE / "sitemap.xml").is_file():
        pytest.fail(SITE_MISSING, pytrace=False)
    return SITE


@pytest.fixture(scope="session")
def origin(site: Path) -> Iterator[str]:
    """The site served on 127.0.0.1, on a port of the system's choosing."""
    handler = functools.partial(_Quiet, directory=str(site))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}"
        server.shutdown()


@pytest.fixture(scope="session")
def outside_requests() -> list[str]:
    """Every request a page attempted to somewhere other than the site (each one blocked)."""
    return []


@pytest.fixture(scope="session")
def browser(origin: str, outside_requests: list[str]) -> Iterator[BrowserContext]:
    if not CHROMIUM.exists():
        pytest.fail(CHROMIUM_MISSING, pytrace=False)

    def only_the_site(route: Route) -> None:
        if route.request.url.startswith(f"{origin}/"):
            route.continue_()
        else:
            outside_requests.append(route.request.url)
            route.abort()

    with chromium() as context:
        context.route("**/*", only_the_site)
        context.add_init_script(OPEN_SHADOW_ROOTS)
        yield context
