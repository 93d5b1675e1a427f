"""The battle map (挂图作战): every milestone of the year's checklists (清单式管理) by unit and month, on
track, late or done, closed out (销号) from the board by the unit that holds it.

A save listener keeps one row per milestone in step with the suggestion's checklist (its data) and the
open "节点销号" tasks of its workflow, so the board reads indexed rows, never serialized workflows.
Closing out from the board completes that very task through the engine, which checks that the person
may hold it (a member of the lead unit); nobody else can.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, false, func, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import clock
from engine.cases import runtime
from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine.identity import is_supervisor
from engine.store import Base, Case, User, unindexed

from .cases import CaseUnit, to_date, to_time

_CASE_ID = BigInteger().with_variant(Integer, "sqlite")
MILESTONE_TASK = "close_milestone"  # the user task of bpmn/suggestion.bpmn that closes one milestone out
RESULT_MAX = 1000
STATES = ("late", "on_track", "done")


class CaseMilestone(Base):
    __tablename__ = "case_milestones"
    __table_args__ = (Index("ix_case_milestones_due", "due", "unit"),
                      # the open ones in due order: the late list walks it and stops at a page
                      Index("ix_case_milestones_open", "due", "case_id", "seq",
                            sqlite_where=text("done = 0"), postgresql_where=text("done = false")))
    case_id: Mapped[int] = mapped_column(_CASE_ID, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    milestone: Mapped[str] = mapped_column(String(300))
    due: Mapped[date | None] = mapped_column(Date)
    unit: Mapped[str | None] = mapped_column(String(100))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[datetime | None]
    result: Mapped[str | None] = mapped_column(String(RESULT_MAX))
    task_id: Mapped[str | None] = mapped_column(String(36))  # the open 节点销号 task, while there is one


def _milestone_tasks(workflow: Any) -> list[tuple[str, bool, dict, str]]:
    """(task id, completed?, its milestone item, its result) of the 节点销号 tasks that are open or done.
    A parallel multi-instance writes the closed items back into the checklist only when all are
    closed, so a milestone closed out alone is known from its completed task."""
    out = []
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.COMPLETED):
        if getattr(task.task_spec, "bpmn_id", None) == MILESTONE_TASK:
            out.append((str(task.id), task.state == TaskState.COMPLETED, task.data.get("milestone") or {},
                        str(task.data.get("milestone_result") or "")))
    return out


def _same(item: dict, other: dict) -> bool:
    return other.get("milestone") == item.get("milestone") and other.get("due") == item.get("due")


def keep_milestones(zone: ZoneInfo):
    """The save listener: the case's milestone rows from its checklist and its close-out tasks."""
    def listener(session: Session, case: Case, workflow: Any) -> None:
        checklist = (case.data or {}).get("checklist")
        if case.process_key != "suggestion" or not isinstance(checklist, list):
            return
        tasks = _milestone_tasks(workflow)
        unit = str((case.data or {}).get("lead_unit") or "")[:100] or None
        with session.no_autoflush:
            rows = {r.seq: r for r in session.scalars(select(CaseMilestone).where(CaseMilestone.case_id == case.id))}
            for seq, item in enumerate(checklist):
                if not isinstance(item, dict):
                    continue
                row = rows.pop(seq, None) or CaseMilestone(case_id=case.id, seq=seq, done=False)
                if row not in session:
                    session.add(row)
                closed = next((t for t in tasks if t[1] and _same(item, t[2])), None)
                opened = next((t for t in tasks if not t[1] and _same(item, t[2])), None)
                if closed is not None:
                    tasks.remove(closed)
                elif opened is not None:
                    tasks.remove(opened)
                done = bool(item.get("done")) or closed is not None
                row.milestone = str(item.get("milestone") or "")[:300]
                row.due, row.unit = to_date(item.get("due"), zone), unit
                row.done_at = to_time(item.get("done_at"), zone) or row.done_at or (clock.now() if done else None)
                row.result = (str(item.get("result") or "") or (closed[3] if closed else ""))[:RESULT_MAX] or None
                row.done = done
                row.task_id = opened[0] if opened is not None and not done and case.status == "running" else None
            for stale in rows.values():
                session.delete(stale)
    return listener


@dataclass
class Milestone:
    case_id: int
    seq: int
    number: str
    title: str
    milestone: str
    due: date | None
    unit: str | None
    state: str  # late, on_track, done
    done_at: datetime | None
    task_id: str | None


def state_of(row: CaseMilestone, today: date) -> str:
    if row.done:
        return "done"
    return "late" if row.due is not None and row.due < today else "on_track"


def units_for(session: Session, user: User) -> set[str] | None:
    """The units whose milestones a person sees on the board: every unit for supervisors (None), a
    unit's own members their unit; anyone else none (a unit is a group that takes part in cases)."""
    if is_supervisor(user):
        return None
    # one index probe a group (has it taken part in a case?), not a walk over every case it took part in
    return {group for group in sorted(user.group_names)
            if session.scalar(select(CaseUnit.case_id).where(CaseUnit.unit == group).limit(1)) is not None}


def board(session: Session, user: User, year: int, zone: ZoneInfo, unit: str | None = None,
          state: str | None = None) -> list[Milestone]:
    """The milestones due in the year (by the district's calendar), in due order."""
    units = units_for(session, user)
    if units is not None and not units:
        raise Forbidden("only supervisors and the handling units see the battle map")
    stmt = (select(CaseMilestone, Case.number, Case.title).join(Case, Case.id == CaseMilestone.case_id)
            .where(CaseMilestone.due >= date(year, 1, 1), CaseMilestone.due <= date(year, 12, 31))
            .order_by(CaseMilestone.due, CaseMilestone.unit, CaseMilestone.case_id, CaseMilestone.seq))
    if units is not None:
        stmt = stmt.where(CaseMilestone.unit.in_(sorted(units)))
    if unit:
        stmt = stmt.where(CaseMilestone.unit == unit)
    today = clock.now().astimezone(zone).date()
    out = []
    for row, number, title in session.execute(stmt):
        item = Milestone(row.case_id, row.seq, number or "", title, row.milestone, row.due, row.unit,
                         state_of(row, today), row.done_at, row.task_id)
        if state is None or item.state == state:
            out.append(item)
    return out


def _late(zone: ZoneInfo, unit: str | None) -> list[Any]:
    today = clock.now().astimezone(zone).date()
    # `done = false` as ix_case_milestones_open says it; the case's status tested, not looked up by
    where = [CaseMilestone.done == false(), CaseMilestone.due < today, unindexed(Case.status) == "running"]
    return where + ([CaseMilestone.unit == unit] if unit else [])


def late(session: Session, zone: ZoneInfo, unit: str | None = None, limit: int | None = None) -> list[Milestone]:
    """Open milestones past their due date, any year, oldest first (for the supervision page: the first
    `limit` of them; count_late says how many there are)."""
    stmt = (select(CaseMilestone, Case.number, Case.title).join(Case, Case.id == CaseMilestone.case_id)
            .where(*_late(zone, unit)).order_by(CaseMilestone.due, CaseMilestone.case_id, CaseMilestone.seq)
            .limit(limit))
    return [Milestone(r.case_id, r.seq, n or "", t, r.milestone, r.due, r.unit, "late", None, r.task_id)
            for r, n, t in session.execute(stmt)]


def count_late(session: Session, zone: ZoneInfo, unit: str | None = None, at_most: int = 999) -> int:
    """How many are late, counted up to one more than `at_most` (the page then says "999+")."""
    late = (select(CaseMilestone.case_id).join(Case, Case.id == CaseMilestone.case_id).where(*_late(zone, unit))
            .limit(at_most + 1))
    return session.scalar(select(func.count()).select_from(late.subquery())) or 0


def close_out(ctx: Any, session: Session, user: User, case_id: int, seq: int, result: str) -> Case:
    """销号 from the board: complete the milestone's open task with its result (the engine checks that
    the person may complete it and that it is still open)."""
    row = session.get(CaseMilestone, (case_id, seq))
    if row is None:
        raise NotFound(f"no milestone {seq} on case {case_id}")
    units = units_for(session, user)
    if units is not None and row.unit not in units:
        raise NotFound(f"no milestone {seq} on case {case_id}")  # not theirs: it does not exist for them
    result = (result or "").strip()
    if not result or len(result) > RESULT_MAX:
        raise Invalid("say how the milestone was completed",
                      [{"field": "milestone_result", "message": f"required, at most {RESULT_MAX} characters"}])
    if row.done or not row.task_id:
        raise Conflict("this milestone is already closed out")
    return runtime.complete_task(ctx, session, user, row.task_id, {"milestone_result": result})

