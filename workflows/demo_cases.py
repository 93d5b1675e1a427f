"""The demo district's cases: each one a plan (who submits what, on which day, and how each person
answers the tasks that reach them), played through the real processes in date order.

The walk keeps one clock for the whole district (engine.clock.travel): it takes the earliest action
of any case, moves the clock there, fires what fell due meanwhile (reminders, escalations, BPMN
timers such as an evaluation nobody answered), and has the right person complete the task. Each task
is done a plan-given number of days after it appeared, on a working day in office hours; a case
stops where its plan holds it, or where its next action would lie after today. So today's picture
is what a year of work leaves behind: cases waiting at every stage, some of them overdue.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from engine import clock, identity
from engine.cases import notes, runtime, tasks
from engine.context import EngineContext
from engine.notify import outbox
from engine.schedule import timers
from engine.store import Case, TaskRow, TimerRow

from . import demo_files, quota
from .demo_people import DEMO_USERS, UNITS
from .demo_plans import DELAYS, PLANS, STAGGERED, Plan, head_name, task_data

# the span of the demo year: the first cases come this many days before today
SPAN_DAYS = 325
MAX_STEPS = 150  # per case: a plan that keeps a model looping stops here instead of hanging the load


def group_users() -> dict[str, str]:
    """Group -> the demo user who acts for it: the first listed (a unit's clerk before its head)."""
    acting: dict[str, str] = {}
    for username, _display, groups in DEMO_USERS:
        for group in groups:
            acting.setdefault(group, username)
    return acting


@dataclass
class Walk:
    """One case on its way: the plan, the case once started, and how often each task was done."""

    index: int
    plan: Plan
    case_id: int | None = None
    done: dict[str, int] = field(default_factory=dict)


class District:
    def __init__(self, ctx: EngineContext, today: datetime):
        self.ctx, self.zone, self.calendar = ctx, ctx.zone, ctx.calendar
        self.end = today
        self.anchor = (today - timedelta(days=SPAN_DAYS)).astimezone(self.zone).date()
        self.acting = group_users()
        self.queue: list[tuple[datetime, int, Walk]] = []
        self.numbers: dict[str, str] = {}  # title -> case number, for merging proposals

    # ---------------------------------------------------------------- time

    def office_hours(self, moment: datetime, walk: Walk) -> datetime:
        """The same moment or later, on a working day between 09:00 and 17:00 (a different minute per case)."""
        local = moment.astimezone(self.zone)
        day = self.calendar.working_day_on_or_after(local.date())
        start = datetime.combine(day, time(9, 0), self.zone) + timedelta(minutes=(walk.index * 37) % 420)
        if day == local.date() and local > start:
            if local.time() >= time(17, 0):
                return self.office_hours(datetime.combine(day + timedelta(days=1), time(0), self.zone), walk)
            return local
        return start

    def schedule(self, when: datetime, walk: Walk) -> None:
        if when <= self.end:
            heapq.heappush(self.queue, (when, walk.index, walk))

    # ---------------------------------------------------------------- acting

    def user(self, session: Any, name: str) -> Any:
        user = identity.get_user(session, name)
        if user is None:
            raise LookupError(f"the demo has no user {name!r}")
        return user

    def actor(self, row: TaskRow) -> str:
        if row.assignee:
            return row.assignee
        if row.candidate_users:
            return row.candidate_users[0]
        for group in row.candidate_groups or []:
            if group in self.acting:
                return self.acting[group]
        raise LookupError(f"nobody in the demo district can do {row.element_id} (groups {row.candidate_groups})")

    def start(self, walk: Walk) -> None:
        plan = walk.plan
        with self.ctx.db.session() as session:
            case = runtime.start_case(self.ctx, session, self.user(session, plan.proposer), plan.key, plan.title,
                                      plan.start_data())
            walk.case_id = case.id
            self.numbers[plan.title] = case.number

    def open_tasks(self, session: Any, walk: Walk) -> list[TaskRow]:
        return list(session.scalars(select(TaskRow).where(TaskRow.case_id == walk.case_id, TaskRow.state == "open")
                                    .order_by(TaskRow.created_at, TaskRow.element_id, TaskRow.id)))

    def ready_at(self, row: TaskRow, walk: Walk) -> datetime | None:
        """When the plan has this task done; None when the case is held there."""
        element, occurrence = row.element_id, walk.done.get(row.element_id, 0) + 1
        if walk.plan.holds(element, occurrence):
            return None
        days = walk.plan.slow.get(element, DELAYS.get(element, 3)) * (occurrence if element in STAGGERED else 1)
        return self.office_hours(row.created_at + timedelta(days=days), walk)

    def claim_held(self, session: Any, walk: Walk, rows: list[TaskRow]) -> None:
        """Every other case held at a unit's or office's task is taken by its clerk (the "claimed" tab)."""
        for row in rows:
            if walk.index % 2 == 0 and row.assignee is None and row.candidate_groups and not row.candidate_users:
                tasks.claim(session, self.user(session, self.actor(row)), row.id)

    def act(self, walk: Walk, now: datetime) -> None:
        """Do the case's next task if its time has come; then say when to look at the case again."""
        with self.ctx.db.session() as session:
            case = session.get(Case, walk.case_id)
            if case.status != "running" or sum(walk.done.values()) >= MAX_STEPS:
                return
            rows = [(self.ready_at(row, walk), row) for row in self.open_tasks(session, walk)]
            due = sorted(((when, row) for when, row in rows if when is not None), key=lambda item: item[0])
            if not due:  # held, or waiting for a timer of the model
                self.claim_held(session, walk, [row for _when, row in rows])
                timer = session.scalar(select(func.min(TimerRow.due_at)).where(
                    TimerRow.case_id == walk.case_id, TimerRow.state == "waiting",
                    TimerRow.kind.not_in(("reminder", "escalation"))))
                if timer is not None and timer > now:  # e.g. an evaluation nobody answers: it moves on then
                    self.schedule(self.office_hours(timer + timedelta(minutes=5), walk), walk)
                return
            when, row = due[0]
            if when > now:
                self.schedule(when, walk)
                return
            element = row.element_id
            occurrence = walk.done.get(element, 0) + 1
            who = self.actor(row)
            for kind, body in walk.plan.contacts_before(element, occurrence):
                declared = self.ctx.declarations.for_case(case)
                notes.add_note(session, declared, self.user(session, who), case, kind, body, {
                    "method": "visit" if kind != "contact_during" else "phone",
                    "date": now.astimezone(self.zone).date().isoformat(),
                    "participants": f"{walk.plan.proposer_name()}、{head_name(walk.plan.lead)}"})
            data = task_data(walk.plan, element, occurrence, dict(case.data or {}), now.astimezone(self.zone), row,
                             lambda title: self.numbers.get(title, ""))
            self.leave_files(session, walk, case, row, who, occurrence, data, now)
            runtime.complete_task(self.ctx, session, self.user(session, who), row.id, data)
            walk.done[element] = occurrence
        self.schedule(now + timedelta(minutes=3), walk)

    def leave_files(self, session: Any, walk: Walk, case: Case, row: TaskRow, who: str, occurrence: int,
                    data: dict[str, Any], now: datetime) -> None:
        """The documents the task leaves: a photo of a site visit, the reply letter (demo_files)."""
        element, local = row.element_id, now.astimezone(self.zone)
        user = self.user(session, who)
        if element in demo_files.PHOTO_TASKS and occurrence == 1 and \
                (element == "confirm_implementation" or walk.index % 3 == 0):
            demo_files.attach_site_photo(self.ctx, session, user, case, row.id, demo_files.PHOTO_TASKS[element],
                                         walk.index, local)
        if element == "draft_reply" and data.get("handling_action", "reply") != "extend" and data.get("reply_text"):
            unit = UNITS.get(walk.plan.lead or "", ("",))[0]
            demo_files.attach_reply_letter(self.ctx, session, user, case, row.id,
                                           {**data, "proposer_name": walk.plan.proposer_name()}, unit, local)

    # ---------------------------------------------------------------- the year

    def run(self, progress: Callable[[int, int, str], None]) -> list[Walk]:
        walks = [Walk(i, plan) for i, plan in enumerate(PLANS)]
        for walk in walks:
            submitted = datetime.combine(self.anchor + timedelta(days=walk.plan.day), time(0), self.zone)
            self.schedule(self.office_hours(submitted, walk), walk)
        started = 0
        while self.queue:
            when, _index, walk = heapq.heappop(self.queue)
            with clock.travel(when):
                timers.fire_due(self.ctx)
                if walk.case_id is None:
                    self.start(walk)
                    started += 1
                    progress(started, len(walks), walk.plan.title)
                    self.schedule(when + timedelta(minutes=3), walk)
                else:
                    self.act(walk, when)
        return walks


def walk(ctx: EngineContext, progress: Callable[[int, int, str], None]) -> list[Walk]:
    return District(ctx, clock.now() - timedelta(minutes=30)).run(progress)


def catch_up(ctx: EngineContext) -> dict[str, int]:
    """Today: fire what is due, look at every unit's face-reply quota, deliver the in-app messages;
    returns the number of cases per stage."""
    timers.fire_due(ctx)
    with ctx.db.session() as session:
        quota.notify(ctx, session)
    outbox.deliver_due(ctx)
    with ctx.db.session() as session:
        return dict(session.execute(select(Case.stage, func.count()).where(Case.process_key.in_(
            ("suggestion", "proposal"))).group_by(Case.stage).order_by(func.count().desc())).all())
