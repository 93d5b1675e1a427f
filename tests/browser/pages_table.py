"""The figures for the notes: each main page of the demo district with its axe-core serious and critical
violations and its load time in the browser, in Chinese and English at 1280 px (and the counts at 390 px).

    .venv/bin/python -m tests.browser.pages_table      # loads the demo district (≈1 min), then prints

A measurement, not a test: the tests assert the counts (test_accessibility.py), never the times."""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

from sqlalchemy import update

from engine.store import User

from .axe import load_ms, severe_violations
from .conftest import CHROMIUM, SIZES
from .test_accessibility import DemoDistrictServer, pages, visit

ROUNDS = 3  # loads per page and language; the median is printed


def measure(browser, server, language: str) -> dict[str, tuple[int, int, float]]:
    """page -> (serious+critical at 1280 px, at 390 px, median load ms at 1280 px)."""
    with server.ctx.db.session() as session:
        session.execute(update(User).values(language=language))
    locale = "en-US" if language == "en" else "zh-CN"
    found = {}
    for name, who, path in pages(server.ctx):
        counts, times = {}, []
        for size in ("desktop", "phone"):
            tab = visit(browser, server, who, path, SIZES[size], locale)
            try:
                counts[size] = len(severe_violations(tab))  # rules broken
                if size == "desktop":
                    times.append(load_ms(tab))
                    for _ in range(ROUNDS - 1):
                        tab.reload()
                        tab.wait_for_load_state("load")
                        times.append(load_ms(tab))
            finally:
                tab.context.close()
        found[name] = (counts["desktop"], counts["phone"], statistics.median(times))
    return found


def main() -> int:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        server = DemoDistrictServer(Path(tmp))
        try:
            zh, en = measure(browser, server, "zh_CN"), measure(browser, server, "en")
        finally:
            server.stop()
            browser.close()
    print("| page | axe serious+critical zh 1280 / 390 | en 1280 / 390 | load ms zh (1280) | load ms en (1280) |")
    print("|---|---|---|---|---|")
    for name in zh:
        print(f"| {name} | {zh[name][0]} / {zh[name][1]} | {en[name][0]} / {en[name][1]} | "
              f"{zh[name][2]:.0f} | {en[name][2]:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
