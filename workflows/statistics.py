"""The yearly statistics of handling, per lead unit and overall, read from the case facts rows.

Which cases count: those of the case type (or of both types) assigned in the year, the year of the
assignment (交办) date in the configured zone; a unit's figures are those of the cases it leads (主办).
Each rate is a count over its base, None when the base is empty:

- reply_rate (办复率): replied / assigned.
- on_time_rate (按期办复率): replied on or before the reply deadline (reply_due, extensions included;
  the reply's date in the configured zone) / the cases whose reply is due: replied, or open past the
  deadline. A case not replied and not yet due does not count against the unit in mid-year.
- face_reply_rate (面复率): replied face to face / replied.
- satisfaction_rate (满意率), for the handling work and for the result separately: satisfied plus
  basically satisfied / evaluated (rated satisfied, basically satisfied or unsatisfied; "not evaluated"
  is no rating). After a re-handling round the latest evaluation counts.
- implementation_rate (落实率): implemented (checklist closed out and confirmed together) / suggestions
  replied in class A or B, the replies that promise a result, and class C ones solved later: listed in a
  plan (列入计划逐步解决), followed up until solved and their implementation confirmed (DOMAIN.md step 10, "a
  further reply when solved"); such a case counts, implemented, for the year it was assigned, even when
  the confirmation comes in a later year. Only suggestions are followed up with a checklist (清单式管理);
  a proposal's outcome is recorded as adopted results (成果转化) instead.
- class shares (A–D): replied in the class / replied with a class.
- rehandled: how many went through at least one re-handling round (二次办理).
- results (成果转化, workflows.results): the cases with results adopted, the items of each kind (policy,
  project, funds) and the funds summed (万元), per lead unit and overall.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from engine import clock
from engine.store import Group

from . import results, tallies
from .cases import CLASSES, CaseFacts, CaseUnit
from .tallies import Tally

SATISFIED = ("satisfied", "basically_satisfied")
RATED = ("satisfied", "basically_satisfied", "unsatisfied")


def _rate(count: int, base: int) -> float | None:
    return count / base if base else None


@dataclass
class Figures:
    unit: str | None = None  # None: all units
    unit_name: str = ""
    assigned: int = 0
    replied: int = 0
    due: int = 0  # replied, or open past the deadline
    on_time: int = 0
    face_replies: int = 0
    evaluated_work: int = 0
    satisfied_work: int = 0
    evaluated_result: int = 0
    satisfied_result: int = 0
    promised: int = 0  # suggestions replied in class A or B
    implemented: int = 0
    classes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLASSES, 0))
    rehandled: int = 0

    def add(self, row: Any, zone: ZoneInfo, today: date) -> None:
        self.assigned += 1
        self.rehandled += (row.rehandling_rounds or 0) > 0
        if row.replied_at is None:
            self.due += row.reply_due is not None and row.reply_due < today
            return
        self.replied += 1
        self.due += 1
        self.on_time += row.reply_due is None or row.replied_at.astimezone(zone).date() <= row.reply_due
        self.face_replies += bool(row.face_reply)
        for aspect in ("work", "result"):
            rating = getattr(row, f"satisfaction_{aspect}")
            if rating in RATED:
                setattr(self, f"evaluated_{aspect}", getattr(self, f"evaluated_{aspect}") + 1)
                setattr(self, f"satisfied_{aspect}", getattr(self, f"satisfied_{aspect}") + (rating in SATISFIED))
        if row.result_class in self.classes:
            self.classes[row.result_class] += 1
            # a class C case solved later counts once its implementation is confirmed (see the top)
            if row.case_type == "suggestion" and (row.result_class in ("A", "B")
                                                  or (row.result_class == "C" and row.implemented)):
                self.promised += 1
                self.implemented += bool(row.implemented)

    @property
    def reply_rate(self) -> float | None:
        return _rate(self.replied, self.assigned)

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.on_time, self.due)

    @property
    def face_reply_rate(self) -> float | None:
        return _rate(self.face_replies, self.replied)

    @property
    def satisfaction_rate_work(self) -> float | None:
        return _rate(self.satisfied_work, self.evaluated_work)

    @property
    def satisfaction_rate_result(self) -> float | None:
        return _rate(self.satisfied_result, self.evaluated_result)

    @property
    def implementation_rate(self) -> float | None:
        return _rate(self.implemented, self.promised)

    @property
    def class_shares(self) -> dict[str, float | None]:
        classed = sum(self.classes.values())
        return {name: _rate(count, classed) for name, count in self.classes.items()}

    def as_dict(self) -> dict[str, Any]:
        def r(value: float | None) -> float | None:
            return round(value, 4) if value is not None else None

        return {
            "unit": self.unit, "unit_name": self.unit_name,
            "counts": {"assigned": self.assigned, "replied": self.replied, "due": self.due, "on_time": self.on_time,
                       "face_replies": self.face_replies, "evaluated_work": self.evaluated_work,
                       "satisfied_work": self.satisfied_work, "evaluated_result": self.evaluated_result,
                       "satisfied_result": self.satisfied_result, "promised": self.promised,
                       "implemented": self.implemented, "classes": dict(self.classes)},
            "reply_rate": r(self.reply_rate), "on_time_rate": r(self.on_time_rate),
            "face_reply_rate": r(self.face_reply_rate),
            "satisfaction_rate": {"work": r(self.satisfaction_rate_work), "result": r(self.satisfaction_rate_result)},
            "implementation_rate": r(self.implementation_rate),
            "class_shares": {k: r(v) for k, v in self.class_shares.items()},
            "rehandled": self.rehandled,
        }


@dataclass
class YearStatistics:
    year: int
    case_type: str | None
    overall: Figures
    units: list[Figures]


def _local_date(column: Any, zone: ZoneInfo, dialect: str, year: int) -> Any:
    """The date of a UTC time in the zone, as SQL; None when SQLite cannot say it (a zone with DST)."""
    if dialect == "postgresql":
        return cast(func.timezone(zone.key, column), Date)
    offsets = {zone.utcoffset(datetime(y, m, 1)) for y in (year - 1, year, year + 1) for m in range(1, 13)}
    if len(offsets) != 1:
        return None
    minutes = int(offsets.pop().total_seconds() // 60)
    return func.date(column, f"{minutes:+d} minutes")


def _tallied(session: Session, year: int, zone: ZoneInfo, today: date, case_type: str | None,
             ) -> dict[str, dict[str, Any]]:
    """Each lead unit's counts, added up from the year's running tallies (workflows/tallies.py): a few
    hundred rows however many cases the year has."""
    tallies.ensure(session, zone)
    t = Tally

    def n(*conditions: Any) -> Any:
        return func.coalesce(func.sum(case((and_(*conditions), t.count), else_=0)), 0)

    replied = t.replied.is_(True)
    columns = {
        "assigned": func.coalesce(func.sum(t.count), 0),
        "rehandled": n(t.rehandled.is_(True)),
        "replied": n(replied),
        "due": n(or_(replied, and_(t.reply_due.is_not(None), t.reply_due < today))),
        "on_time": n(replied, t.on_time.is_(True)),
        "face_replies": n(replied, t.face_reply.is_(True)),
        "evaluated_work": n(replied, t.satisfaction_work.in_(RATED)),
        "satisfied_work": n(replied, t.satisfaction_work.in_(SATISFIED)),
        "evaluated_result": n(replied, t.satisfaction_result.in_(RATED)),
        "satisfied_result": n(replied, t.satisfaction_result.in_(SATISFIED)),
        "promised": n(replied, t.case_type == "suggestion",
                      or_(t.result_class.in_(("A", "B")), and_(t.result_class == "C", t.implemented.is_(True)))),
        "implemented": n(replied, t.result_class.in_(("A", "B", "C")), t.case_type == "suggestion",
                         t.implemented.is_(True)),
        **{f"class_{name}": n(replied, t.result_class == name) for name in CLASSES},
    }
    where = [t.year == year, t.count > 0]
    if case_type:
        where.append(t.case_type == case_type)
    stmt = select(t.lead_unit, *(c.label(k) for k, c in columns.items())).where(*where).group_by(t.lead_unit)
    found = {}
    for row in session.execute(stmt):
        counts = dict(row._mapping)
        found[counts.pop("lead_unit")] = counts
    return found


def _columns(src: Any, f: Any, local: Any, today: date) -> dict[str, Any]:
    """The counts of one unit's rows, added up by the database; `src` holds the reply and the evaluation
    (the facts row of a case, or a split unit's part), `f` the case's facts."""
    replied = src.replied_at.is_not(None)

    def n(*conditions: Any) -> Any:
        return func.coalesce(func.sum(case((and_(*conditions), 1), else_=0)), 0)

    columns = {
        "assigned": func.count(),
        "rehandled": n(func.coalesce(f.rehandling_rounds, 0) > 0),
        "replied": n(replied),
        "due": n(or_(replied, and_(src.reply_due.is_not(None), src.reply_due < today))),
        "face_replies": n(replied, src.face_reply.is_(True)),
        "evaluated_work": n(replied, src.satisfaction_work.in_(RATED)),
        "satisfied_work": n(replied, src.satisfaction_work.in_(SATISFIED)),
        "evaluated_result": n(replied, src.satisfaction_result.in_(RATED)),
        "satisfied_result": n(replied, src.satisfaction_result.in_(SATISFIED)),
        "promised": n(replied, f.case_type == "suggestion",
                      or_(src.result_class.in_(("A", "B")), and_(src.result_class == "C", f.implemented.is_(True)))),
        "implemented": n(replied, src.result_class.in_(("A", "B", "C")), f.case_type == "suggestion",
                         f.implemented.is_(True)),
        **{f"class_{name}": n(replied, src.result_class == name) for name in CLASSES},
    }
    if local is not None:
        columns["on_time"] = n(replied, or_(src.reply_due.is_(None), local <= src.reply_due))
    return columns


def _grouped(session: Session, year: int, zone: ZoneInfo, today: date, case_type: str | None,
             split_only: bool) -> dict[str, dict[str, Any]]:
    """Counts by a GROUP BY over the year's rows: each split unit's parts (分办: the parts of the year's split
    cases, which the tallies do not hold), and unless `split_only` each lead unit's facts rows as well."""
    f, u = CaseFacts, CaseUnit
    dialect = session.get_bind().dialect.name
    split = literal("split", literal_execute=True)  # a literal, as the partial index ix_case_units_split says it
    sources = [(u, u.unit, [u.case_id == f.case_id, u.role == split, f.year == year, f.assigned_at.is_not(None)])]
    if not split_only:
        sources.insert(0, (f, f.lead_unit, [f.year == year, f.assigned_at.is_not(None), f.lead_unit.is_not(None)]))
    found: dict[str, dict[str, Any]] = {}
    for src, unit, where in sources:
        if case_type:
            where = [*where, f.case_type == case_type]
        local = _local_date(src.replied_at, zone, dialect, year)
        columns = _columns(src, f, local, today)
        stmt = select(unit.label("unit"), *(c.label(k) for k, c in columns.items())).where(*where).group_by(unit)
        for row in session.execute(stmt):
            counts = dict(row._mapping)
            name = counts.pop("unit")
            if local is None:  # a zone with summer time on SQLite: the replies' local dates in Python
                replies = session.execute(select(src.replied_at, src.reply_due)
                                          .where(*where, unit == name, src.replied_at.is_not(None)))
                counts["on_time"] = sum(due is None or at.astimezone(zone).date() <= due for at, due in replies)
            _add(found, name, counts)
    return found


def _add(found: dict[str, dict[str, Any]], name: str, counts: dict[str, Any]) -> None:
    found[name] = {k: found[name][k] + counts[k] for k in counts} if name in found else counts


def _counts(session: Session, year: int, zone: ZoneInfo, today: date, case_type: str | None,
            ) -> dict[str, dict[str, Any]]:
    """Each lead unit's counts from the tallies, with the split parts of the year's split cases added."""
    found = _tallied(session, year, zone, today, case_type)
    for name, counts in _grouped(session, year, zone, today, case_type, split_only=True).items():
        _add(found, name, counts)
    return found


def recount(session: Session, year: int, zone: ZoneInfo, today: date, case_type: str | None,
            ) -> dict[str, dict[str, Any]]:
    """Each unit's counts straight from the year's facts rows and split parts (GROUP BYs): what the tallies
    must add up to (tests compare the two; `_counts` reads the tallies)."""
    return _grouped(session, year, zone, today, case_type, split_only=False)


def _figures(unit: str | None, counts: dict[str, Any]) -> Figures:
    figures = Figures(unit=unit)
    for name in ("assigned", "replied", "due", "on_time", "face_replies", "evaluated_work", "satisfied_work",
                 "evaluated_result", "satisfied_result", "promised", "implemented", "rehandled"):
        setattr(figures, name, int(counts[name]))
    figures.classes = {name: int(counts[f"class_{name}"]) for name in CLASSES}
    return figures


def compute(session: Session, year: int, zone: ZoneInfo, today: date, case_type: str | None = None) -> YearStatistics:
    """The year's figures, counted by SQL aggregation over the facts rows (never row by row in Python:
    a province's year is tens of thousands of cases)."""
    units = {unit: _figures(unit, counts) for unit, counts in _counts(session, year, zone, today, case_type).items()}
    overall = Figures()
    for figures in units.values():
        for name in ("assigned", "replied", "due", "on_time", "face_replies", "evaluated_work", "satisfied_work",
                     "evaluated_result", "satisfied_result", "promised", "implemented", "rehandled"):
            setattr(overall, name, getattr(overall, name) + getattr(figures, name))
        for name, count in figures.classes.items():
            overall.classes[name] += count
    names = dict(session.execute(select(Group.name, Group.display_name).where(Group.name.in_(sorted(units)))).all())
    for unit, figures in units.items():
        figures.unit_name = names.get(unit) or unit
    return YearStatistics(year, case_type, overall, sorted(units.values(), key=lambda f: f.unit or ""))


def years(session: Session) -> list[int]:
    """The years with assigned cases, newest first."""
    return list(session.scalars(select(Tally.year).where(Tally.count > 0, Tally.year.is_not(None))
                                .distinct().order_by(Tally.year.desc())))


def report(ctx: Any, session: Session, year: int, case_type: str | None = None) -> dict[str, Any]:
    """The statistics of a year as the page and the API show them: overall, each lead unit with its
    face-reply quota (suggestions only: None when only proposals are asked for), and the warned units."""
    from . import quota  # the quota reads the same facts; imported here to keep the two modules apart

    today = clock.now().astimezone(ctx.zone).date()
    stats = compute(session, year, ctx.zone, today, case_type)
    per_unit: dict[str, list[quota.Quota]] = {}
    if case_type in (None, "suggestion"):
        for entry in quota.current(ctx, session, year=year, with_cases=False):
            per_unit.setdefault(entry.unit, []).append(entry)
    overall_results, unit_results = results.counts(session, year, case_type)
    units = []
    for figures in stats.units:
        row = figures.as_dict()
        row["results"] = unit_results.get(figures.unit) or results.empty()
        entries = per_unit.get(figures.unit)
        row["face_reply_quota"] = None if entries is None else {
            "required": sum(e.required for e in entries), "done": sum(e.done for e in entries),
            "short": sum(e.short for e in entries), "warning": any(e.warning for e in entries),
            "sessions": [e.as_dict() for e in entries]}
        units.append(row)
    names = {f.unit: f.unit_name for f in stats.units}
    warnings = [{"unit": e.unit, "unit_name": names.get(e.unit, e.unit), **e.as_dict()}
                for entries in per_unit.values() for e in entries if e.warning]
    overall = {**stats.overall.as_dict(), "results": overall_results}
    return {"year": year, "case_type": case_type, "years": years(session), "overall": overall,
            "units": units, "face_reply_warnings": warnings}
