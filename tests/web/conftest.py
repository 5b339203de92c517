"""Browser fixtures: Debian's Chromium driven by Playwright (never a downloaded browser),
headless, one browser per test module; screenshots go to ``artifacts/web/``."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Response,
    ViewportSize,
    sync_playwright,
)

from shared.manifest import Manifest, verify_signed_manifest
from tests.support.events import EventFiles
from tests.support.live import LiveServer, add_staff, copy_event, start_server

#: Debian's chromium-headless-shell: the same Blink and V8 as the chromium package, built
#: for headless use only, as Playwright runs its own Chromium headless (tests/web: 83 → 57
#: CPU-seconds, the same pages and screenshots).
CHROMIUM = "/usr/lib/chromium/chromium-headless-shell"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync",
    # a synthetic camera, granted without a prompt (the /verify camera scan test)
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
]
LAPTOP: ViewportSize = {"width": 1366, "height": 768}
TABLET: ViewportSize = {"width": 1280, "height": 800}
STAFF, PASSWORD = "mina", "mina-password-1"


# Module scope, not session: while Playwright's sync API is open it keeps an asyncio loop
# running in the main thread, and a test of another module that calls asyncio.run() after a
# browser module (random order) would fail. A Chromium start per browser module is ~1 s.
@pytest.fixture(scope="module")
def playwright_session() -> Iterator[Playwright]:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium-headless-shell package (make system)")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    b = playwright_session.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
    yield b
    b.close()


@pytest.fixture(scope="session")
def shots(artifacts_dir: Path) -> Path:
    out = artifacts_dir / "web"
    out.mkdir(parents=True, exist_ok=True)
    return out


class Watch:
    """Collects page errors and failed requests so a test can assert there were none."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def attach(self, page: Page) -> Page:
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on("console", self._console)
        page.on("response", self._response)
        return page

    def _console(self, m: ConsoleMessage) -> None:
        # A page answered 4xx on purpose (wrong password, unknown receipt) logs "Failed to
        # load resource"; assets and scripts are watched through _response instead.
        if m.type == "error" and not m.text.startswith("Failed to load resource"):
            self.errors.append(f"console {m.type}: {m.text}")

    def _response(self, r: Response) -> None:
        if r.status >= 500 or (r.status >= 400 and "/static/" in r.url):
            self.errors.append(f"{r.status} {r.url}")


def new_context(browser: Browser, viewport: ViewportSize, base_url: str) -> BrowserContext:
    ctx = browser.new_context(viewport=viewport, base_url=base_url, locale="ko-KR", timezone_id="Asia/Seoul")
    ctx.set_default_timeout(15_000)
    return ctx


@pytest.fixture(scope="module")
def event_copy(mini_event: EventFiles, tmp_path_factory: pytest.TempPathFactory) -> EventFiles:
    d = copy_event(mini_event.dir, tmp_path_factory.mktemp("web-event"))
    return EventFiles(d, mini_event.credentials, mini_event.pins)


@pytest.fixture(scope="module")
def server(event_copy: EventFiles) -> Iterator[LiveServer]:
    """One live ``simsa server`` per test module, with staff account mina."""
    add_staff(event_copy.dir, None, STAFF, PASSWORD)
    with start_server(event_copy.dir) as srv:
        yield srv


@pytest.fixture
def fresh_server(mini_event: EventFiles, tmp_path: Path) -> Iterator[LiveServer]:
    """A live server of one test's own (staff account mina), for a test that changes what the
    module's other tests read, such as closing the event."""
    event_dir = copy_event(mini_event.dir, tmp_path / "event")
    add_staff(event_dir, None, STAFF, PASSWORD)
    with start_server(event_dir) as srv:
        yield srv


@pytest.fixture(scope="module")
def manifest(event_copy: EventFiles) -> Manifest:
    return verify_signed_manifest(json.loads(event_copy.manifest_path.read_text()))


def login(page: Page, name: str = STAFF, password: str = PASSWORD, lang: str = "ko") -> None:
    page.goto(f"/staff/login?lang={lang}")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("form button[type=submit]")
    page.wait_for_url("**/staff/")


def shoot(page: Page, shots: Path, name: str, **kw: Any) -> Path:
    """A full-page screenshot named after the step and the viewport width."""
    w = page.viewport_size["width"] if page.viewport_size else 0
    path = shots / f"{name}-{w}.png"
    page.screenshot(path=path, full_page=True, **kw)
    return path


def no_horizontal_overflow(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"))
