"""Browser tests: the real app served on a local port, driven by Playwright in Debian's Chromium.

Skipped, with the reason, where /usr/bin/chromium or Playwright is missing. Screenshots of the main
pages go to docs/screenshots/ at phone and desktop widths (`shoot`).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from engine import migrate
from engine.context import EngineContext
from workflows import demo

from ..conftest import make_config

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CASEWORK_CHROMIUM", "/usr/bin/chromium")
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (Debian package 'chromium'); .ci/run installs it")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests need the playwright Python package (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield instance
        instance.close()


class LiveServer:
    """The app with the demo district on a fresh SQLite file, served from a thread."""

    def __init__(self, tmp: Path):
        config = make_config(f"sqlite:///{tmp / 'browser.db'}", uploads__attachments_dir=str(tmp / "files"))
        self.ctx = EngineContext.create(config)
        migrate.upgrade(self.ctx.db)
        demo.load_example(self.ctx, progress=lambda _message: None)
        self._serve()

    def _serve(self) -> None:
        from webui.app import create_app

        self.app = create_app(ctx=self.ctx)
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.ctx.db.dispose()


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def page(browser: Any, live: LiveServer) -> Iterator[Any]:
    context = browser.new_context(viewport=SIZES["desktop"], locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.base = live.url
    yield tab
    context.close()


def sign_in(page: Any, username: str, password: str = demo.DEMO_PASSWORD) -> None:
    page.goto(page.base + "/sign-in")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit].primary")
    page.wait_for_load_state()


def shoot(page: Any, name: str) -> None:
    """Save the current page at desktop and phone widths as docs/screenshots/<name>-<size>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{size}.png"), full_page=True)
    page.set_viewport_size(original)
