"""Shared fixtures for scenario tests: a district's people and offices, bpmn/ deployed as one package
(as `casework init` does), and a `District` helper that acts as a named person through the engine.

A scenario reads like the handling it describes:

    case = district.start("deputy_wang", "suggestion", {"title": ...})
    district.complete("liaison_clerk", case, "pre_review", {"review_outcome": "accept"})
    assert district.case(case).stage == "待交办"

Time starts on a fixed working day (Monday 2 March 2026, 09:00 in Shanghai) so that working-day
deadlines are the same on every run; `district.move_to(...)` / `district.advance(...)` move the clock
(time-machine also moves SpiffWorkflow's own datetime.now) and `district.fire_timers()` fires what is due.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from engine import identity
from engine.bpmn import library
from engine.cases import notes, runtime
from engine.context import EngineContext
from engine.schedule import timers
from engine.store import Case, EventRow, TaskRow, TimerRow

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
ZONE = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 3, 2, 9, 0, tzinfo=ZONE)  # a Monday, a working day, in the session window
PASSWORD = "secret-pw"

UNITS = {  # group id -> name; each unit has clerks (the group itself) and a head (<unit>_head)
    "unit_education": "区教育局",
    "unit_transport": "区交通运输局",
    "unit_housing": "区住房和城乡建设局",
    "unit_health": "区卫生健康局",
    "unit_civil": "区民政局",
}

# user name -> groups
PEOPLE: dict[str, tuple[str, ...]] = {
    "liaison_clerk": ("liaison_office",),
    "committee_clerk": ("proposal_committee",),
    "committee_director": ("proposal_directors",),
    "inspector": ("supervision_office", "supervisors"),
    "congress_leader": ("congress_leaders",),
    "government_leader": ("government_leaders",),
    "cppcc_leader": ("cppcc_leaders",),
    "deputy_wang": ("deputies",),
    "deputy_li": ("deputies",),
    "deputy_zhao": ("deputies",),
    "member_chen": ("members",),
    "member_liu": ("members",),
    "member_he": ("members",),
    **{f"{unit}_clerk": (unit,) for unit in UNITS},
    **{f"{unit}_chief": (f"{unit}_head",) for unit in UNITS},
}


def bpmn_files() -> dict[str, bytes]:
    """Every file of bpmn/, deployed together so that call activities resolve."""
    return library.read_files(sorted(BPMN_DIR.glob("*.bpmn")))


def install_domain(ctx: EngineContext) -> None:
    """The domain's numbering, handlers and checks, as the app and the CLI install them."""
    import workflows

    workflows.install(ctx)


class District:
    """People of the district acting on cases through the engine (no web layer in between)."""

    def __init__(self, ctx: EngineContext, traveller: Any):
        self.ctx = ctx
        self.traveller = traveller

    # ---------------------------------------------------------------- time

    def now(self) -> datetime:
        return datetime.now(UTC)

    def move_to(self, when: datetime | date) -> None:
        """Move the clock; a bare date means 09:00 that day in the district."""
        if not isinstance(when, datetime):
            when = datetime(when.year, when.month, when.day, 9, 0, tzinfo=ZONE)
        self.traveller.move_to(when)

    def advance(self, **delta: float) -> None:
        self.traveller.move_to(self.now() + timedelta(**delta))

    def fire_timers(self) -> int:
        """Fire every timer due now (BPMN timers, reminders, escalations), as the scheduler would."""
        return timers.fire_due(self.ctx)

    # ---------------------------------------------------------------- acting

    def start(self, who: str, process_key: str, data: dict[str, Any] | None = None, title: str = "") -> int:
        with self.ctx.db.session() as session:
            case = runtime.start_case(self.ctx, session, self._user(session, who), process_key,
                                      title or (data or {}).get("title", ""), data)
            return case.id

    def complete(self, who: str, case_id: int, element_id: str, data: dict[str, Any] | None = None) -> Case:
        """Complete the open task `element_id` of the case that `who` may complete (for a multi-instance
        task: the instance offered to them)."""
        row = self.task(case_id, element_id, who)
        with self.ctx.db.session() as session:
            return runtime.complete_task(self.ctx, session, self._user(session, who), row.id, data or {})

    def complete_each(self, who: str, case_id: int, element_id: str, data: dict[str, Any] | None = None) -> int:
        """Complete every open instance of a multi-instance task `element_id` offered to `who`; returns how many."""
        done = 0
        while rows := self.offered(case_id, element_id, who):
            with self.ctx.db.session() as session:
                runtime.complete_task(self.ctx, session, self._user(session, who), rows[0].id, data or {})
            done += 1
        return done

    def note(self, who: str, case_id: int, kind: str, body: str = "", method: str = "visit",
             on: date | None = None, participants: str = "") -> None:
        """Record a note or one of the four communications (contact_before, ...) on the case."""
        with self.ctx.db.session() as session:
            case = session.get(Case, case_id)
            data = {"method": method, "date": (on or self.now().astimezone(ZONE).date()).isoformat(),
                    "participants": participants or who}
            notes.add_note(session, self.ctx.declarations.for_case(case), self._user(session, who), case, kind, body or f"{kind} by {who}", data)

    # ---------------------------------------------------------------- reading

    def case(self, case_id: int) -> Case:
        with self.ctx.db.session() as session:
            return session.get(Case, case_id)

    def data(self, case_id: int) -> dict[str, Any]:
        return self.case(case_id).data

    def open_tasks(self, case_id: int) -> list[TaskRow]:
        with self.ctx.db.session() as session:
            return list(session.scalars(select(TaskRow).where(TaskRow.case_id == case_id, TaskRow.state == "open")
                                        .order_by(TaskRow.created_at, TaskRow.element_id)))

    def open_elements(self, case_id: int) -> list[str]:
        """The element ids of the case's open tasks, sorted (repeated for multi-instance tasks)."""
        return sorted(row.element_id for row in self.open_tasks(case_id))

    def task(self, case_id: int, element_id: str, who: str | None = None) -> TaskRow:
        """The one open task `element_id` of the case (offered to `who`, when given)."""
        rows = self.offered(case_id, element_id, who)
        if len(rows) != 1:
            raise AssertionError(f"expected one open task {element_id!r} for {who or 'anyone'} on case {case_id}, "
                                 f"found {len(rows)}; open: {self.open_elements(case_id)}")
        return rows[0]

    def offered(self, case_id: int, element_id: str, who: str | None = None) -> list[TaskRow]:
        """The open tasks `element_id` of the case (those `who` may complete, when given)."""
        rows = [r for r in self.open_tasks(case_id) if r.element_id == element_id]
        if who is None:
            return rows
        with self.ctx.db.session() as session:
            user = self._user(session, who)
            return [r for r in rows if r.assignee == who or (not r.assignee and (
                who in (r.candidate_users or []) or bool(user.group_names & set(r.candidate_groups or []))))]

    def events(self, case_id: int, kind: str | None = None) -> list[EventRow]:
        with self.ctx.db.session() as session:
            stmt = select(EventRow).where(EventRow.case_id == case_id)
            if kind:
                stmt = stmt.where(EventRow.kind == kind)
            return list(session.scalars(stmt.order_by(EventRow.id)))

    def timers(self, case_id: int, state: str = "waiting") -> list[TimerRow]:
        with self.ctx.db.session() as session:
            return list(session.scalars(select(TimerRow).where(TimerRow.case_id == case_id, TimerRow.state == state)
                                        .order_by(TimerRow.due_at)))

    @staticmethod
    def _user(session: Any, name: str):
        user = identity.get_user(session, name)
        if user is None:
            raise AssertionError(f"no user {name!r} in the district")
        return user


@pytest.fixture
def traveller() -> Iterator[Any]:
    """The clock, starting at START and ticking; tests move it with district.move_to / advance."""
    with time_machine.travel(START, tick=True) as traveller:
        yield traveller


@pytest.fixture(scope="session")
def password_hash() -> str:
    return identity.hash_password(PASSWORD)


@pytest.fixture
def district(ctx: EngineContext, traveller: Any, password_hash: str, monkeypatch: pytest.MonkeyPatch) -> District:
    """The district's users and groups, the domain installed, and bpmn/ deployed as one package."""
    # one argon2 hash for everybody: hashing each of the district's people would cost seconds per test
    monkeypatch.setattr(identity, "hash_password", lambda _password: password_hash)
    with ctx.db.session() as session:
        for unit, name in UNITS.items():
            identity.ensure_group(session, unit, name)
            identity.ensure_group(session, f"{unit}_head", f"{name}主要负责人")
        for name, groups in PEOPLE.items():
            identity.add_user(session, name, PASSWORD, list(groups))
    install_domain(ctx)
    with ctx.db.session() as session:
        library.deploy(session, bpmn_files(), "designer")
    return District(ctx, traveller)
