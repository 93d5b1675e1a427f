"""The year around the statistics: the trend month by month, the categories, this year against last,
and the sessions (届次) a year holds. The rates themselves come from workflows.statistics (`report`);
these are counts in SQL over the facts rows, grouped in the database, never a loop over cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from . import statistics
from .cases import CaseFacts

RATES = ("reply_rate", "on_time_rate", "face_reply_rate", "satisfaction_work", "satisfaction_result",
         "implementation_rate")


def _bounds(year: int, zone: ZoneInfo) -> list[datetime]:
    """The 13 instants that start each month of the year (and the next year) in the district's zone."""
    return [datetime(year, m, 1, tzinfo=zone) for m in range(1, 13)] + [datetime(year + 1, 1, 1, tzinfo=zone)]


def monthly(session: Session, year: int, zone: ZoneInfo, case_type: str | None = None) -> list[dict[str, int]]:
    """Per month of the year (in the district's zone): cases assigned, and first replies sent."""
    bounds = _bounds(year, zone)
    columns = []
    for month in range(12):
        lo, hi = bounds[month], bounds[month + 1]
        columns.append(func.sum(case((and_(CaseFacts.assigned_at >= lo, CaseFacts.assigned_at < hi), 1), else_=0)))
        columns.append(func.sum(case((and_(CaseFacts.replied_at >= lo, CaseFacts.replied_at < hi), 1), else_=0)))
    stmt = select(*columns).where(CaseFacts.assigned_at.is_not(None), CaseFacts.lead_unit.is_not(None))
    if case_type:
        stmt = stmt.where(CaseFacts.case_type == case_type)
    row = session.execute(stmt).one()
    return [{"month": m + 1, "assigned": int(row[2 * m] or 0), "replied": int(row[2 * m + 1] or 0)}
            for m in range(12)]


def categories(session: Session, year: int, case_type: str | None = None) -> list[tuple[str, int]]:
    """Cases assigned in the year per category, most first."""
    name = func.coalesce(CaseFacts.category, "")
    stmt = (select(name, func.count()).where(CaseFacts.year == year, CaseFacts.assigned_at.is_not(None),
                                             CaseFacts.lead_unit.is_not(None))
            .group_by(name).order_by(func.count().desc(), name))
    if case_type:
        stmt = stmt.where(CaseFacts.case_type == case_type)
    return [(category, n) for category, n in session.execute(stmt)]


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
    stmt = (select(CaseFacts.session_label, CaseFacts.case_type, CaseFacts.year, func.count())
            .where(CaseFacts.session_label.is_not(None), CaseFacts.year.is_not(None))
            .group_by(CaseFacts.session_label, CaseFacts.case_type, CaseFacts.year))
    best: dict[tuple[str, str], tuple[int, int]] = {}
    for label, case_type, year, n in session.execute(stmt):
        if (label, case_type) not in best or n > best[(label, case_type)][1]:
            best[(label, case_type)] = (year, n)
    return sorted(({"label": label, "case_type": case_type, "year": year}
                   for (label, case_type), (year, _n) in best.items()), key=lambda s: (-s["year"], s["label"]))
