"""The statistics' running tallies: how many counted cases share each combination of the facts that the
yearly figures and the face-reply quota are made of, kept by the facts listener on every save.

A case counts once it is assigned to a lead unit (as in workflows/statistics.py). Its tally is the tuple
(year, type, lead unit, session, replied, on time, face reply (by the head), ratings, class, re-handled,
implemented, and the reply deadline while not replied: "due" depends on today, so it is decided when the
figures are read). A save that changes the tuple moves the case from one tally to the other. A year of
a province is a few hundred tallies, not tens of thousands of facts rows; the page adds up the tallies.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Boolean, Date, Index, Integer, String, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.store import Base

from .cases import CaseFacts

# the facts a tally is made of: a save that changes none of them leaves the tallies alone
FACTS = ("case_type", "year", "session_label", "lead_unit", "assigned_at", "reply_due", "replied_at",
         "face_reply", "face_reply_by_head", "satisfaction_work", "satisfaction_result", "result_class",
         "rehandling_rounds", "implemented", "category")
FACT_SET = frozenset(FACTS)
_BUILT: set[str] = set()  # databases (by URL) whose tallies this process has seen built


class Tally(Base):
    __tablename__ = "case_tallies"
    __table_args__ = (Index("ix_case_tallies_year", "year", "case_type"),
                      Index("ix_case_tallies_unit", "lead_unit", "session_label"))
    key: Mapped[str] = mapped_column(String(32), primary_key=True)  # a hash of the columns below
    year: Mapped[int | None] = mapped_column(Integer)
    case_type: Mapped[str] = mapped_column(String(20))
    lead_unit: Mapped[str] = mapped_column(String(100))
    session_label: Mapped[str | None] = mapped_column(String(100))
    reply_due: Mapped[date | None] = mapped_column(Date)  # only while not replied
    replied: Mapped[bool] = mapped_column(Boolean)
    on_time: Mapped[bool] = mapped_column(Boolean)  # replied by the deadline (the reply's date in the zone)
    face_reply: Mapped[bool] = mapped_column(Boolean)
    face_reply_by_head: Mapped[bool | None] = mapped_column(Boolean)
    satisfaction_work: Mapped[str | None] = mapped_column(String(30))
    satisfaction_result: Mapped[str | None] = mapped_column(String(30))
    result_class: Mapped[str | None] = mapped_column(String(1))
    rehandled: Mapped[bool] = mapped_column(Boolean)
    implemented: Mapped[bool] = mapped_column(Boolean)
    count: Mapped[int] = mapped_column(Integer, default=0)


class Count(Base):
    """How many cases share one value of what the year's page counts besides the rates: assigned and
    replied per month (`label` YYYY-MM in the zone), per category of the year, and per session (届次) and
    year (every case with a session label, assigned or not)."""

    __tablename__ = "case_counts"
    __table_args__ = (Index("ix_case_counts_name", "name", "label"),)
    key: Mapped[str] = mapped_column(String(32), primary_key=True)  # a hash of the columns below
    name: Mapped[str] = mapped_column(String(10))  # assigned, replied, category, session
    case_type: Mapped[str] = mapped_column(String(20))
    year: Mapped[int | None] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(100))
    count: Mapped[int] = mapped_column(Integer, default=0)


def counts_of(facts: dict[str, Any], zone: ZoneInfo) -> list[dict[str, Any]]:
    """The counts a case with these facts adds one to."""
    found = []
    kind, year = facts["case_type"], facts.get("year")
    # a split case (分办: no single lead unit) is one case in the months and categories, though each of its
    # parts is an assignment of its unit in the statistics
    if facts.get("assigned_at") is not None:
        found.append(dict(name="assigned", case_type=kind, year=None,
                          label=facts["assigned_at"].astimezone(zone).strftime("%Y-%m")))
        if facts.get("replied_at") is not None:
            found.append(dict(name="replied", case_type=kind, year=None,
                              label=facts["replied_at"].astimezone(zone).strftime("%Y-%m")))
        found.append(dict(name="category", case_type=kind, year=year, label=facts.get("category") or ""))
    if facts.get("session_label") is not None and year is not None:
        found.append(dict(name="session", case_type=kind, year=year, label=facts["session_label"]))
    return found


def tally_of(facts: dict[str, Any], zone: ZoneInfo) -> dict[str, Any] | None:
    """The tally a case with these facts counts in; None when it does not count (not assigned)."""
    if facts.get("assigned_at") is None or facts.get("lead_unit") is None:
        return None
    replied_at, due = facts.get("replied_at"), facts.get("reply_due")
    replied = replied_at is not None
    return dict(year=facts.get("year"), case_type=facts["case_type"], lead_unit=facts["lead_unit"],
                session_label=facts.get("session_label"), reply_due=None if replied else due, replied=replied,
                on_time=replied and (due is None or replied_at.astimezone(zone).date() <= due),
                face_reply=bool(facts.get("face_reply")), face_reply_by_head=facts.get("face_reply_by_head"),
                satisfaction_work=facts.get("satisfaction_work"),
                satisfaction_result=facts.get("satisfaction_result"), result_class=facts.get("result_class"),
                rehandled=(facts.get("rehandling_rounds") or 0) > 0, implemented=bool(facts.get("implemented")))


def _key(tally: dict[str, Any]) -> str:
    text = json.dumps([tally[c] for c in sorted(tally)], default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _add(session: Session, model: type[Tally] | type[Count], values: dict[str, Any], count: int) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(model).values(key=_key(values), count=count, **values)
    session.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"count": model.count + count}))


def move(session: Session, before: dict[str, Any] | None, after: dict[str, Any] | None, zone: ZoneInfo) -> None:
    """A case's facts changed from `before` to `after` (None: no row): move it between tallies."""
    changes: list[tuple[Any, dict[str, Any], int]] = []
    old = tally_of(before, zone) if before else None
    new = tally_of(after, zone) if after else None
    if old != new:
        changes += [(Tally, t, d) for t, d in ((old, -1), (new, 1)) if t]
    old_counts = counts_of(before, zone) if before else []
    new_counts = counts_of(after, zone) if after else []
    changes += [(Count, c, -1) for c in old_counts if c not in new_counts]
    changes += [(Count, c, 1) for c in new_counts if c not in old_counts]
    # always in key order: two saves moving cases between the same two tallies take their locks alike
    for model, values, delta in sorted(changes, key=lambda item: (item[0].__tablename__, _key(item[1]))):
        _add(session, model, values, delta)


def facts_of(session: Session, case_id: int) -> dict[str, Any] | None:
    """The tally-making facts of a case as stored now (None: no facts row yet)."""
    row = session.get(CaseFacts, case_id)
    return None if row is None else {name: getattr(row, name) for name in FACTS}


def rebuild(session: Session, zone: ZoneInfo) -> int:
    """The tallies and counts afresh from every facts row (after a bulk load or an upgrade); returns how many
    tallies."""
    session.execute(delete(Tally))
    session.execute(delete(Count))
    found: dict[Any, tuple[Counter[str], dict[str, dict[str, Any]]]] = {Tally: (Counter(), {}), Count: (Counter(), {})}

    def add(model: Any, values: dict[str, Any]) -> None:
        key = _key(values)
        found[model][1][key] = values
        found[model][0][key] += 1

    columns = [getattr(CaseFacts, name) for name in FACTS]
    for row in session.execute(select(*columns)):
        facts = dict(row._mapping)
        tally = tally_of(facts, zone)
        if tally is not None:
            add(Tally, tally)
        for count in counts_of(facts, zone):
            add(Count, count)
    for model, (counts, values) in found.items():
        if values:
            session.execute(model.__table__.insert(), [dict(key=k, count=counts[k], **v) for k, v in values.items()])
    _BUILT.add(str(session.get_bind().url))
    return len(found[Tally][1])


def ensure(session: Session, zone: ZoneInfo) -> None:
    """Count the tallies once if the table is empty while facts rows exist (a database from before them)."""
    url = str(session.get_bind().url)
    if url in _BUILT:
        return
    if session.execute(select(Count.key).limit(1)).first() is None and session.execute(
            select(CaseFacts.case_id).limit(1)).first() is not None:
        rebuild(session, zone)
    _BUILT.add(url)
