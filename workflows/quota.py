"""The face-reply quota (面复): per unit and session, its head replies face to face to every suggestion
it leads when it has `suggestion.face_reply_quota` (3) or fewer, to at least that many when it has more.

A unit is *short* while fewer of its replied suggestions were replied face to face than required. It
is *warned* when short and time is running out: the earliest reply deadline among its suggestions not
yet replied falls within the first reminder's lead time (the largest of deadlines.reminder_working_days,
in working days), or fewer suggestions are left open than it is short (the quota can no longer be met).
A warned unit is listed on the statistics page and in the API, and its head group and the supervisors get
an in-app notification through the outbox, once a day per unit and session, when a suggestion of the unit
changes and in the hourly sweep; both look at the current year, as the statistics page does. Only face
replies by the principal head (主要负责人, not a deputy head 分管负责人) count towards the quota.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import and_, case, event, func, select
from sqlalchemy.orm import Session

from engine import clock
from engine.identity import SUPERVISORS
from engine.notify import channels
from engine.store import Group, Notification, OutboxMessage, User, UserGroup

from .cases import CaseFacts
from .tallies import Tally, ensure

KIND = "face_reply_quota"
# the facts a unit's quota is counted from: a save that changes none of them cannot change a warning
FACTS = frozenset({"case_type", "year", "session_label", "lead_unit", "assigned_at", "reply_due", "replied_at",
                   "face_reply", "face_reply_by_head"})
_PENDING = "casework_face_reply_quota"  # session.info: (ctx, units) to look at before the commit


@dataclass
class Quota:
    unit: str
    session_label: str
    suggestions: int = 0  # led by the unit in this session
    replied: int = 0
    done: int = 0  # replied face to face
    required: int = 0
    open: int = 0  # not replied yet
    earliest_due: date | None = None  # of those not replied yet
    warning: bool = False
    case_ids: list[int] = field(default_factory=list)

    @property
    def short(self) -> int:
        return max(0, self.required - self.done)

    def as_dict(self) -> dict[str, Any]:
        return {"session_label": self.session_label, "suggestions": self.suggestions, "required": self.required,
                "done": self.done, "short": self.short, "open": self.open, "warning": self.warning,
                "earliest_due": self.earliest_due.isoformat() if self.earliest_due else None}


def required(count: int, quota: int) -> int:
    """All of them up to the quota, the quota beyond it."""
    return min(count, quota)


def quotas(session: Session, quota: int, warn_by: date, year: int | None = None,
           units: set[str] | None = None, with_cases: bool = True) -> list[Quota]:
    """Every (unit, session) with suggestions assigned to the unit as lead; `warn_by` is the last
    reply deadline that counts as close. Counted by the database (GROUP BY unit and session); the
    case ids are a second, narrow query, left out with `with_cases=False`."""
    f = CaseFacts
    where = [f.case_type == "suggestion", f.lead_unit.is_not(None), f.assigned_at.is_not(None)]
    if year is not None:
        where.append(f.year == year)
    if units is not None:
        where.append(f.lead_unit.in_(sorted(units)))
    # the counts from the running tallies (a few rows a unit); the case ids, when asked, from the facts
    t = Tally
    counted = [t.case_type == "suggestion", t.count > 0]
    if year is not None:
        counted.append(t.year == year)
    if units is not None:
        counted.append(t.lead_unit.in_(sorted(units)))
    replied = t.replied.is_(True)
    stmt = select(t.lead_unit, t.session_label, func.sum(t.count).label("suggestions"),
                  func.coalesce(func.sum(case((replied, t.count), else_=0)), 0).label("replied"),
                  # a face reply counts towards the quota when the unit's head (主要负责人) gave it; rows kept
                  # before that was recorded fall back to whether there was a face reply at all
                  func.coalesce(func.sum(case((and_(replied, func.coalesce(t.face_reply_by_head, t.face_reply)
                                                    .is_(True)), t.count), else_=0)), 0).label("done"),
                  func.min(case((t.replied.is_(False), t.reply_due), else_=None)).label("earliest_due"),
                  ).where(*counted).group_by(t.lead_unit, t.session_label)
    found: dict[tuple[str, str], Quota] = {}
    for row in session.execute(stmt):  # a NULL session label and an empty one are the same session
        label = row.session_label or ""
        entry = found.setdefault((row.lead_unit, label), Quota(row.lead_unit, label))
        entry.suggestions += int(row.suggestions)
        entry.replied += int(row.replied)
        entry.done += int(row.done)
        due = row.earliest_due
        if isinstance(due, str):  # SQLite hands MIN() of a date back as text
            due = date.fromisoformat(due)
        if due is not None and (entry.earliest_due is None or due < entry.earliest_due):
            entry.earliest_due = due
    if with_cases and found:
        for case_id, unit, label in session.execute(select(f.case_id, f.lead_unit, f.session_label).where(*where)
                                                    .order_by(f.case_id)):
            found[(unit, label or "")].case_ids.append(case_id)
    for entry in found.values():
        entry.open = entry.suggestions - entry.replied
        entry.required = required(entry.suggestions, quota)
        close = entry.earliest_due is not None and entry.earliest_due <= warn_by
        entry.warning = entry.short > 0 and (close or entry.open < entry.short)
    return sorted(found.values(), key=lambda q: (q.unit, q.session_label))


def warn_by(ctx: Any, today: date) -> date:
    """The last reply deadline that counts as close: the first reminder's lead time from today."""
    ahead = max(ctx.config["deadlines.reminder_working_days"] or [0])
    return ctx.calendar.add_working_days(today, ahead) if ahead else today


def current(ctx: Any, session: Session, year: int | None = None, units: set[str] | None = None,
            with_cases: bool = True) -> list[Quota]:
    """The quotas as of today; of `year` (None: every year, each session on its own)."""
    today = clock.now().astimezone(ctx.zone).date()
    ensure(session, ctx.zone)
    return quotas(session, ctx.config["suggestion.face_reply_quota"], warn_by(ctx, today), year, units, with_cases)


def notify(ctx: Any, session: Session, units: set[str] | None = None) -> int:
    """A notice (in the app, and by e-mail or SMS where the person keeps them on) to the head group of
    each warned unit and to the supervisors, once a day per unit and session; returns how many were queued."""
    now = clock.now()
    since = datetime.combine(now.astimezone(ctx.zone).date(), time(0), ctx.zone).astimezone(UTC)
    queued = 0
    # this year's sessions, as the statistics page counts them: an unlabelled (between sessions) group of
    # several years together would be short by a different number than the page says
    year = now.astimezone(ctx.zone).year
    for entry in current(ctx, session, year=year, units=units, with_cases=False):
        if not entry.warning:
            continue
        unit_name = session.scalar(select(Group.display_name).where(Group.name == entry.unit)) or entry.unit
        subject = f"面复未达要求：{unit_name}（{entry.session_label or '闭会期间'}）"[:300]
        due = f"，最早的答复期限为 {entry.earliest_due.isoformat()}" if entry.earliest_due else ""
        body = (f"本单位主办的 {entry.suggestions} 件建议中，应由主要负责人当面答复 {entry.required} 件，"
                f"已当面答复 {entry.done} 件，尚差 {entry.short} 件；未答复的还有 {entry.open} 件{due}。")
        told = session.scalars(select(User).join(UserGroup, UserGroup.user_id == User.id)
                               .join(Group, Group.id == UserGroup.group_id)
                               .where(Group.name.in_([f"{entry.unit}_head", SUPERVISORS]), User.active.is_(True))
                               .distinct())
        for user in list(told):
            username = user.username
            # queued today (still in the outbox) or delivered today (the outbox row may be pruned by now)
            sent_today = session.scalar(select(OutboxMessage.id).where(
                OutboxMessage.kind == KIND, OutboxMessage.recipient == username, OutboxMessage.subject == subject,
                OutboxMessage.created_at >= since).limit(1)) or session.scalar(select(Notification.id).where(
                Notification.kind == KIND, Notification.username == username, Notification.title == subject,
                Notification.created_at >= since).limit(1))
            if sent_today is None:  # in the app, and by e-mail or SMS as each person chose in their settings
                queued += channels.queue(ctx, session, [user], None, KIND, subject, body, at=now)
    return queued


def sweep(ctx: Any) -> int:
    """The scheduler's hourly look at every unit (notify sends at most one warning a day)."""
    with ctx.db.session() as session:
        return notify(ctx, session)


def mark(ctx: Any, session: Session, unit: str) -> None:
    """Look at this unit's quota when the session commits (its facts rows are written by then)."""
    pending = session.info.setdefault(_PENDING, (ctx, set()))
    pending[1].add(unit)


@event.listens_for(Session, "before_commit")
def _notify_marked(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        ctx, units = pending
        notify(ctx, session, units)


@event.listens_for(Session, "after_rollback")
def _forget_marked(session: Session) -> None:
    session.info.pop(_PENDING, None)
