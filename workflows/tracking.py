"""Tracked handling (跟踪办理): the proposal committee puts a proposal of high public concern (社会关注度高)
under tracking, saying why. The mark is a row beside the case (one per case, kept when it ends, so the case
page can say when and by whom); the case's history has each start and end; the lead unit (or, before the
assignment, the units holding the case) is told; the supervision page lists the tracked running cases.

Who: the case's assigning office (role `assigning_office`) of a proposal; anyone else who sees the case is
refused (403), anyone who does not see it finds nothing (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, func, select, text
from sqlalchemy.orm import Mapped, Session, defer, mapped_column

from engine import clock
from engine.cases import projections, queries, roles
from engine.errors import Conflict, Forbidden, Invalid
from engine.identity import group_members
from engine.notify import channels
from engine.store import Base, Case, User, unindexed

from .supervising import units_to_tell

_CASE_ID = BigInteger().with_variant(Integer, "sqlite")
TRACKED_TYPES = ("proposal",)  # the CPPCC's year's work; suggestions are flagged (挂牌督办) instead
OFFICE_ROLE = "assigning_office"
REASON_MAX = 500
KIND = "tracked"  # the notice's kind
PER_PAGE = 20


class TrackedCase(Base):
    __tablename__ = "tracked_cases"
    case_id: Mapped[int] = mapped_column(_CASE_ID, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(REASON_MAX))
    marked_by: Mapped[str] = mapped_column(String(64))
    marked_at: Mapped[datetime]
    ended_by: Mapped[str | None] = mapped_column(String(64))
    ended_at: Mapped[datetime | None] = mapped_column(index=True)
    # the open marks, newest first: the supervision page reads a page of them from this index
    __table_args__ = (Index("ix_tracked_cases_open", "marked_at", "case_id", sqlite_where=text("ended_at IS NULL"),
                            postgresql_where=text("ended_at IS NULL")),)


def _check_office(session: Session, ctx: Any, user: User, case: Case) -> None:
    if case.process_key not in TRACKED_TYPES:
        raise Invalid("only proposals are put under tracked handling (跟踪办理); flag a suggestion for supervision",
                      [{"field": "case", "code": "not_tracked_type", "message": "is not a proposal"}])
    if OFFICE_ROLE not in roles.user_roles(session, user, case.id):
        raise Forbidden("only the proposal committee that assigned this proposal puts it under tracked handling")


def tracking(session: Session, case_id: int) -> TrackedCase | None:
    return session.get(TrackedCase, case_id)


def is_tracked(row: TrackedCase | None) -> bool:
    return row is not None and row.ended_at is None


def start(ctx: Any, session: Session, user: User, case_id: Any, reason: str) -> Case:
    """Put a proposal under tracked handling with a reason; the lead unit is told."""
    case = queries.get_case(session, user, case_id)
    _check_office(session, ctx, user, case)
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise Invalid("say why the proposal is tracked", [{"field": "reason", "code": "required",
                                                           "message": "is required"}])
    if len(reason) > REASON_MAX:
        raise Invalid(f"the reason is longer than {REASON_MAX} characters",
                      [{"field": "reason", "code": "too_long", "message": f"at most {REASON_MAX} characters"}])
    if case.status != "running":
        raise Conflict("the case is closed: only a running proposal is put under tracked handling")
    row = tracking(session, case.id)
    if is_tracked(row):
        raise Conflict("the proposal is under tracked handling already")
    now = clock.now()
    if row is None:
        session.add(TrackedCase(case_id=case.id, reason=reason, marked_by=user.username, marked_at=now))
    else:  # tracked again after it ended: the new reason and clerk
        row.reason, row.marked_by, row.marked_at, row.ended_by, row.ended_at = reason, user.username, now, None, None
    projections.record_event(session, case, "tracking_started", user.username, reason)
    people = [p for p in group_members(session, units_to_tell(session, case)) if p.username != user.username]
    subject = f"跟踪办理：{case.title}（{case.number}）"
    body = (f"案件编号：{case.number}\n案由：{case.title}\n跟踪理由：{reason}\n"
            f"提出：{user.display_name or user.username}\n"
            "本提案社会关注度高，已列为跟踪办理，请及时报告办理进展。\n")
    channels.queue(ctx, session, people, case, KIND, subject, body)
    return case


def end(ctx: Any, session: Session, user: User, case_id: Any) -> Case:
    """End the tracking (the office's decision, e.g. the matter is settled)."""
    case = queries.get_case(session, user, case_id)
    _check_office(session, ctx, user, case)
    row = tracking(session, case.id)
    if not is_tracked(row):
        raise Conflict("the proposal is not under tracked handling")
    row.ended_by, row.ended_at = user.username, clock.now()
    projections.record_event(session, case, "tracking_ended", user.username, row.reason)
    return case


@dataclass
class TrackedList:
    cases: list[tuple[Case, TrackedCase]]
    count: int


def tracked(session: Session, page: int = 1, per_page: int = PER_PAGE) -> TrackedList:
    """The running proposals under tracked handling, a page of them and how many, newest mark first."""
    where = (TrackedCase.ended_at.is_(None), unindexed(Case.status) == "running")  # driven by ix_tracked_cases_open
    count = session.scalar(select(func.count()).select_from(TrackedCase).join(Case, Case.id == TrackedCase.case_id)
                           .where(*where)) or 0
    rows = session.execute(select(Case, TrackedCase).join(TrackedCase, TrackedCase.case_id == Case.id)
                           .options(defer(Case.state), defer(Case.data)).where(*where)
                           .order_by(TrackedCase.marked_at.desc(), Case.id)
                           .limit(per_page).offset((max(1, page) - 1) * per_page)).all() if count else []
    return TrackedList([(c, t) for c, t in rows], count)
