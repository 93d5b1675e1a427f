"""The year around the statistics: the trend month by month, the categories, this year against last,
and the sessions (届次) a year holds. The rates themselves come from workflows.statistics (`report`);
these are sums of the running counts (workflows/tallies.py), a few rows a month, category or session,
however many cases the year holds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import statistics, tallies
from .tallies import Count

RATES = ("reply_rate", "on_time_rate", "face_reply_rate", "satisfaction_work", "satisfaction_result",
         "implementation_rate")


def monthly(session: Session, year: int, zone: ZoneInfo, case_type: str | None = None) -> list[dict[str, int]]:
    """Per month of the year (in the district's zone): cases assigned, and first replies sent."""
    tallies.ensure(session, zone)
    stmt = (select(Count.name, Count.label, func.sum(Count.count))
            .where(Count.name.in_(("assigned", "replied")), Count.label >= f"{year:04d}-01",
                   Count.label <= f"{year:04d}-12").group_by(Count.name, Count.label))
    if case_type:
        stmt = stmt.where(Count.case_type == case_type)
    found = {(name, label): int(n or 0) for name, label, n in session.execute(stmt)}
    return [{"month": m, "assigned": found.get(("assigned", f"{year:04d}-{m:02d}"), 0),
             "replied": found.get(("replied", f"{year:04d}-{m:02d}"), 0)} for m in range(1, 13)]


def categories(session: Session, year: int, case_type: str | None = None) -> list[tuple[str, int]]:
    """Cases assigned in the year per category, most first."""
    total = func.sum(Count.count)
    stmt = (select(Count.label, total).where(Count.name == "category", Count.year == year)
            .group_by(Count.label).having(total > 0).order_by(total.desc(), Count.label))
    if case_type:
        stmt = stmt.where(Count.case_type == case_type)
    return [(category, int(n)) for category, n in session.execute(stmt)]


def rate(figures: dict[str, Any], key: str) -> float | None:
    if key.startswith("satisfaction_"):
        return figures["satisfaction_rate"][key.split("_", 1)[1]]
    return figures[key]


@dataclass
class Comparison:
    year: int
    this: dict[str, Any]  # the overall figures of the year (statistics.Figures.as_dict)
    last: dict[str, Any] | None  # of the year before, None when it had no case

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for key in RATES:
            now, before = rate(self.this, key), rate(self.last, key) if self.last else None
            out.append({"key": key, "this": now, "last": before,
                        "change": None if now is None or before is None else now - before})
        return out


def compare(ctx: Any, session: Session, report: dict[str, Any]) -> Comparison:
    """This year's overall figures against last year's (from the same statistics report)."""
    year = report["year"]
    last = None
    if year - 1 in report["years"]:
        last = statistics.report(ctx, session, year - 1, report.get("case_type"))["overall"]
    return Comparison(year, report["overall"], last)


def sessions(session: Session) -> list[dict[str, Any]]:
    """The sessions (届次) of the facts rows: label, case type, and the year most of its cases were
    assigned in (the statistics of a session are those of its year and case type)."""
    total = func.sum(Count.count)
    stmt = (select(Count.label, Count.case_type, Count.year, total).where(Count.name == "session")
            .group_by(Count.label, Count.case_type, Count.year).having(total > 0))
    best: dict[tuple[str, str], tuple[int, int]] = {}
    for label, case_type, year, n in session.execute(stmt):
        if (label, case_type) not in best or n > best[(label, case_type)][1]:
            best[(label, case_type)] = (year, n)
    return sorted(({"label": label, "case_type": case_type, "year": year}
                   for (label, case_type), (year, _n) in best.items()), key=lambda s: (-s["year"], s["label"]))
