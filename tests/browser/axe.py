"""axe-core inside the Playwright browser: the script the axe-playwright-python package ships (axe.min.js)
is injected into the page and run there; what it reports as serious or critical is returned."""

from __future__ import annotations

from importlib import resources
from typing import Any

SEVERE = ("serious", "critical")


def axe_source() -> str:
    """axe.min.js as shipped inside the axe-playwright-python package (the test extra installs it)."""
    return resources.files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")


def severe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core over the page as it stands; each serious or critical rule broken, with where."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source())
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => ({target: n.target.join(' '), summary: n.failureSummary}))}));
    }""")
    return [v for v in result if v.get("impact") in SEVERE]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['impact']} {v['id']}: {v['help']}")
        lines += [f"    {n['target']}: {(n['summary'] or '').splitlines()[-1:]}" for n in v["nodes"]]
    return "\n".join(lines)


def load_ms(page: Any) -> float:
    """How long the page took to load in the browser (navigation start to the load event), in ms."""
    return float(page.evaluate("""() => {
        const [nav] = performance.getEntriesByType('navigation');
        return nav ? nav.loadEventEnd - nav.startTime : -1;
    }"""))
