"""Case types, their numbers, and the facts rows kept for search and statistics.

A case type is a BPMN process (bpmn/suggestion.bpmn, bpmn/proposal.bpmn) plus what is here: its
number format ("建议 2026-0042"), and the fields of its data copied onto plain columns after every
save (the engine calls `sync_facts` through ctx.save_listeners), so that lists, searches and the
yearly statistics read indexed rows, never the serialized workflow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import clock
from engine.store import Base, Case

_CASE_ID = BigInteger().with_variant(Integer, "sqlite")
_NAME_SEPARATORS = re.compile(r"[,，、;；\s]+")


def names(value: Any) -> list[str]:
    """User or group names from a list, or from text typed in one field ('a, b，c、d'), without repeats."""
    items = value if isinstance(value, list) else _NAME_SEPARATORS.split(str(value or ""))
    return list(dict.fromkeys(str(item).strip() for item in items if str(item).strip()))


class CaseHandlers:
    """What the service-task handlers of a case type share: settings, the business calendar, the zone,
    and time in the zone the case is handled in (the form the case data keeps)."""

    def __init__(self, ctx: Any):
        self.config, self.calendar, self.zone = ctx.config, ctx.calendar, ctx.zone

    def now(self) -> str:
        return clock.now().astimezone(self.zone).isoformat(timespec="seconds")

    def today(self) -> date:
        return clock.now().astimezone(self.zone).date()



def task_days(config: Any, case_type: str, tasks: tuple[str, ...]) -> dict[str, int]:
    """Working days for each person's task of a case type (config `<type>.task_working_days`), every task
    of `tasks` filled in from `default`, so the models' due dates (task_working_days.<id>) always resolve."""
    days = dict(config[f"{case_type}.task_working_days"])
    default = int(days.pop("default", 10))
    return {**{task: default for task in tasks}, **{k: int(v) for k, v in days.items()}}


@dataclass(frozen=True)
class CaseType:
    key: str  # the process id in bpmn/
    prefix: str  # of the case number
    name: str
    proposers: str  # the group whose members submit this type


CASE_TYPES: dict[str, CaseType] = {
    "suggestion": CaseType("suggestion", "建议", "人大代表建议", "deputies"),
    "proposal": CaseType("proposal", "提案", "政协提案", "members"),
}

RATINGS = ("satisfied", "basically_satisfied", "unsatisfied")  # "not_evaluated" is no rating
CLASSES = ("A", "B", "C", "D")
ROLES = ("lead", "assist", "split")


# -- numbering ------------------------------------------------------------------------------

class NumberCounter(Base):
    """The last number given per case type and year. Incrementing this row (not reading the
    highest number) keeps numbers unique and gap-free when cases start at the same moment: the
    row lock queues the second transaction behind the first."""

    __tablename__ = "case_number_counters"
    case_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


def next_sequence(session: Session, case_type: str, year: int) -> int:
    table = NumberCounter.__table__
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(table).values(case_type=case_type, year=year, last=0).on_conflict_do_nothing())
    bump = (update(table).where(table.c.case_type == case_type, table.c.year == year)
            .values(last=table.c.last + 1).returning(table.c.last))
    return session.execute(bump).scalar_one()


def numberer(case_type: CaseType, zone: ZoneInfo):
    """ctx.numberers[key]: "建议 2026-0042", by the year the case was submitted in the district."""
    def number(session: Session, case: Case) -> str:
        year = (case.created_at or clock.now()).astimezone(zone).year
        return f"{case_type.prefix} {year}-{next_sequence(session, case_type.key, year):04d}"
    return number


# -- facts ----------------------------------------------------------------------------------

class CaseFacts(Base):
    """One row per case of a registered type: its data as columns (see DOMAIN.md, "Case data")."""

    __tablename__ = "case_facts"
    __table_args__ = (Index("ix_case_facts_type_year", "case_type", "year"),
                      Index("ix_case_facts_lead_unit", "lead_unit", "session_label"))
    case_id: Mapped[int] = mapped_column(_CASE_ID, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    case_type: Mapped[str] = mapped_column(String(20))
    year: Mapped[int | None] = mapped_column(Integer)  # of the assignment in the configured zone (else submission)
    term: Mapped[int | None] = mapped_column(Integer)
    session: Mapped[int | None] = mapped_column(Integer)
    session_label: Mapped[str | None] = mapped_column(String(100))
    in_session: Mapped[bool | None] = mapped_column(Boolean)
    category: Mapped[str | None] = mapped_column(String(50), index=True)
    proposer: Mapped[str | None] = mapped_column(String(64), index=True)
    submission_kind: Mapped[str | None] = mapped_column(String(20))
    review_outcome: Mapped[str | None] = mapped_column(String(20))
    lead_unit: Mapped[str | None] = mapped_column(String(100))
    assigned_at: Mapped[datetime | None]
    reply_due: Mapped[date | None] = mapped_column(Date)
    replied_at: Mapped[datetime | None]
    result_class: Mapped[str | None] = mapped_column(String(1))
    face_reply: Mapped[bool] = mapped_column(Boolean, default=False)
    # by the unit's principal head (主要负责人), which the face-reply quota counts; NULL on rows from before
    face_reply_by_head: Mapped[bool | None] = mapped_column(Boolean)
    satisfaction_work: Mapped[str | None] = mapped_column(String(30))
    satisfaction_result: Mapped[str | None] = mapped_column(String(30))
    rehandling_rounds: Mapped[int] = mapped_column(Integer, default=0)
    implemented: Mapped[bool] = mapped_column(Boolean, default=False)
    priority: Mapped[bool] = mapped_column(Boolean, default=False)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    stage: Mapped[str] = mapped_column(String(100), default="")
    closed: Mapped[bool] = mapped_column(Boolean, default=False)  # the case's process has ended
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class CaseUnit(Base):
    """A unit's part in a case: lead (replies for all), assist (sends the lead an opinion) or split."""

    __tablename__ = "case_units"
    __table_args__ = (Index("ix_case_units_unit", "unit", "role"),
                      # the split parts (分办) alone, which the statistics add up by unit (SPLIT_PART says it)
                      Index("ix_case_units_split", "unit", "case_id", sqlite_where=text("role = 'split'"),
                            postgresql_where=text("role = 'split'")))
    case_id: Mapped[int] = mapped_column(_CASE_ID, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    unit: Mapped[str] = mapped_column(String(100), primary_key=True)
    role: Mapped[str] = mapped_column(String(10))
    replied_at: Mapped[datetime | None]
    face_reply: Mapped[bool] = mapped_column(Boolean, default=False)
    # a split unit's own part (分办): its deadline, class and evaluation, counted for the unit
    reply_due: Mapped[date | None] = mapped_column(Date)
    result_class: Mapped[str | None] = mapped_column(String(1))
    satisfaction_work: Mapped[str | None] = mapped_column(String(30))
    satisfaction_result: Mapped[str | None] = mapped_column(String(30))


def to_time(value: Any, zone: ZoneInfo) -> datetime | None:
    """An ISO date-time from task data (naive = the configured zone) as aware UTC; junk is None."""
    if value in (None, ""):
        return None
    try:
        when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    if not isinstance(when, datetime):
        return None
    return (when if when.tzinfo else when.replace(tzinfo=zone)).astimezone(UTC)


def to_date(value: Any, zone: ZoneInfo) -> date | None:
    """An ISO date (or date-time, read in the configured zone) from task data; junk is None."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(zone).date()
    if isinstance(value, date):
        return value
    text = str(value)
    try:
        return date.fromisoformat(text[:10]) if len(text) <= 10 else to_date(to_time(text, zone), zone)
    except ValueError:
        return None


def _text(value: Any, size: int) -> str | None:
    return str(value)[:size] if value not in (None, "") else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _units(value: Any) -> list[str]:
    return [name[:100] for name in names(value)]


def facts_values(case: Case, zone: ZoneInfo) -> dict[str, Any]:
    """The columns of a case's facts row, read from its data (the names of the domain contract)."""
    data = case.data or {}
    assigned_at = to_time(data.get("assigned_at"), zone)
    since = assigned_at or case.created_at
    rating = {k: data.get(k) if data.get(k) in (*RATINGS, "not_evaluated") else None
              for k in ("satisfaction_work", "satisfaction_result")}
    return dict(
        case_type=case.process_key,
        year=since.astimezone(zone).year if since else None,
        term=_int(data.get("term")), session=_int(data.get("session")),
        session_label=_text(data.get("session_label"), 100),
        in_session=bool(data["in_session"]) if "in_session" in data else None,
        category=_text(data.get("category"), 50), proposer=_text(data.get("proposer"), 64),
        submission_kind=_text(data.get("submission_kind"), 20),
        review_outcome=_text(data.get("review_outcome"), 20),
        # a split case has no one lead unit: each part counts for its own (case_units)
        lead_unit=_text(data.get("lead_unit"), 100) if assigned_at and not data.get("split_units") else None,
        # the first reply against the first deadline: a re-handling round sets new ones (DOMAIN.md step 9)
        assigned_at=assigned_at, reply_due=to_date(data.get("first_reply_due") or data.get("reply_due"), zone),
        replied_at=to_time(data.get("first_replied_at") or data.get("replied_at"), zone),
        result_class=data.get("result_class") if data.get("result_class") in CLASSES else None,
        face_reply=bool(data.get("face_reply")),
        face_reply_by_head=bool(data.get("face_reply")) and data.get("face_reply_role") != "deputy_head", **rating,
        rehandling_rounds=_int(data.get("rehandling_rounds")) or 0,
        implemented=bool(data.get("implemented")), priority=bool(data.get("priority")),
        flagged=bool(case.flagged or data.get("flagged")), stage=(case.stage or "")[:100],
        closed=case.status in ("completed", "cancelled"),
    )


def unit_roles(data: dict[str, Any]) -> dict[str, str]:
    """unit -> role, from lead_unit, assist_units and split_units (a unit named twice keeps its first role)."""
    roles: dict[str, str] = {}
    if data.get("lead_unit") and data.get("assigned_at") and not data.get("split_units"):
        roles[str(data["lead_unit"])[:100]] = "lead"
    for role, key in (("split", "split_units"), ("assist", "assist_units")):
        for unit in _units(data.get(key)) if data.get("assigned_at") else []:
            roles.setdefault(unit, role)
    return roles


def sync_facts(session: Session, case: Case, zone: ZoneInfo) -> set[str]:
    """Bring the case's facts rows in step with its data; called on every save before the flush.
    Returns the names of the facts that changed (all of them for a new row)."""
    if case.process_key not in CASE_TYPES:
        return set()
    values = facts_values(case, zone)
    with session.no_autoflush:  # the engine flushes the case (under its lock) once, after the listeners
        facts = session.get(CaseFacts, case.id)
        if facts is None:
            facts = CaseFacts(case_id=case.id)
            session.add(facts)
        changed = set()
        for key, value in values.items():
            if getattr(facts, key) != value:
                setattr(facts, key, value)
                changed.add(key)
        if changed:
            facts.updated_at = clock.now()
        _sync_units(session, case, values, zone)
    return changed


def _part_values(part: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """A split part's columns: its first reply against its deadline, its class and its evaluation."""
    rating = {k: part.get(k) if part.get(k) in (*RATINGS, "not_evaluated") else None
              for k in ("satisfaction_work", "satisfaction_result")}
    return dict(replied_at=to_time(part.get("first_replied_at") or part.get("replied_at"), zone),
                face_reply=bool(part.get("face_reply")), reply_due=to_date(part.get("reply_due"), zone),
                result_class=part.get("result_class") if part.get("result_class") in CLASSES else None, **rating)


def _sync_units(session: Session, case: Case, values: dict[str, Any], zone: ZoneInfo) -> None:
    roles = unit_roles(case.data or {})
    parts = {str(p.get("unit"))[:100]: p for p in (case.data or {}).get("parts") or [] if isinstance(p, dict)}
    rows = {row.unit: row for row in session.scalars(select(CaseUnit).where(CaseUnit.case_id == case.id))}
    for unit, row in rows.items():
        if unit not in roles:
            session.delete(row)
    for unit, role in roles.items():
        row = rows.get(unit) or CaseUnit(case_id=case.id, unit=unit)
        if unit not in rows:
            session.add(row)
        row.role = role
        if role == "lead":  # the lead unit's reply is the case's reply
            row.replied_at, row.face_reply = values["replied_at"], values["face_reply"]
        elif role == "split" and unit in parts:
            for key, value in _part_values(parts[unit], zone).items():
                if getattr(row, key) != value:
                    setattr(row, key, value)
