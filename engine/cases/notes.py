"""Notes on a case: comments, and the communications with the proposer (四沟通) with their details.

Who records what follows the case's roles (engine.cases.roles): the communications are recorded by the roles
the process gives may:record_communications (the units, the assigning office), and answered — confirmed or
disputed — by those it gives may:confirm_communications (the proposer, the co-signers). A comment is internal
unless marked for the proposer; a communication is always shown to them, and so is what they write themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.bpmn.declarations import Declarations
from engine.cases import projections, roles
from engine.errors import Forbidden, Invalid, NotFound
from engine.notify import channels
from engine.store import Case, CaseNote, User

COMMENT = "comment"
# the four communications, named as in the glossary
CONTACT_KINDS = ("contact_before", "contact_during", "contact_at_reply", "contact_after")
CONTACT_METHODS = ("visit", "meeting", "phone", "other")
BODY_MAX = 5000
ANSWERS = ("confirmed", "disputed")
ANSWER_COMMENT_MAX = 500


# the case variables that set the earliest date a communication may bear: `<kind>_from`, else `contacts_from`
# (the domain sets contacts_from at the assignment: nobody talked about the handling before it)
CONTACTS_FROM = "contacts_from"


def _local_date(value: Any, zone: tzinfo | None) -> date | None:
    try:
        text = str(value or "")
        if len(text) <= 10:
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return moment.astimezone(zone).date() if zone and moment.tzinfo else moment.date()
    except ValueError:
        return None


def contact_window(case: Case, kind: str, zone: tzinfo | None = None) -> tuple[date | None, date]:
    """The dates a communication of `kind` may bear on this case: from the case's `<kind>_from` or
    `contacts_from` (if set) to today in `zone` (without one, the latest today anywhere: UTC+14)."""
    data = case.data or {}
    earliest = _local_date(data.get(f"{kind}_from") or data.get(CONTACTS_FROM), zone)
    now = clock.now()
    today = now.astimezone(zone).date() if zone else (now + timedelta(hours=14)).date()
    return earliest, today


def dated_within(note: CaseNote, case: Case, zone: tzinfo | None = None) -> bool:
    """Whether a recorded communication's date lies in its window (records made before the rule count only then)."""
    day = _local_date((note.data or {}).get("date"), None)
    earliest, today = contact_window(case, note.kind, zone)
    return day is not None and (earliest is None or day >= earliest) and day <= today


def disputed(note: CaseNote) -> bool:
    """Whether a proposer or co-signer says the recorded communication was not so (their latest answer)."""
    return any(a.get("answer") == "disputed" for a in ((note.data or {}).get("answers") or {}).values()
               if isinstance(a, dict))


def add_note(session: Session, declarations: Declarations, user: User, case: Case, kind: str, body: str,
             data: dict[str, Any] | None = None, kinds: Iterable[str] | None = None,
             public: bool = False, zone: tzinfo | None = None,
             floors: dict[str, tuple[date | None, str]] | None = None) -> CaseNote:
    """Add a comment or a communication record; the caller has checked the user may see the case.

    `kinds` narrows the kinds accepted (a form for communications only); when they are all
    communications, a missing kind does not hide the other problems of the record. `public`: a comment
    meant for the proposer too. `floors`: a later earliest date per kind that the caller knows of, with
    what it is (the domain's: a communication at the reply is not dated before the reply draft); None as
    the date when that moment has not come yet (nothing of that kind can be recorded)."""
    records_contact = kind in CONTACT_KINDS or (kinds is not None and all(k in CONTACT_KINDS for k in kinds))
    if records_contact and not roles.may(session, declarations, user, case, "record_communications"):
        raise Forbidden("the communications with the proposer are recorded by the units handling the case and "
                        "the assigning office; the proposer confirms or disputes them")
    body = (body or "").strip()
    data = dict(data or {})
    details = []
    allowed = tuple(kinds) if kinds is not None else (COMMENT, *CONTACT_KINDS)
    if kind not in allowed:
        details.append({"field": "kind", "code": "not_option", "message": f"must be one of {', '.join(allowed)}"})
    contact = kind in CONTACT_KINDS or (kind not in allowed and all(k in CONTACT_KINDS for k in allowed))
    if not body:
        details.append({"field": "body", "code": "required", "message": "is required"})
    elif len(body) > BODY_MAX:
        details.append({"field": "body", "code": "too_long", "message": f"must have at most {BODY_MAX} characters",
                            "params": {"max": BODY_MAX}})
    if contact:
        if data.get("method") not in CONTACT_METHODS:
            details.append({"field": "method", "code": "not_option",
                            "message": f"must be one of {', '.join(CONTACT_METHODS)}"})
        try:
            day = date.fromisoformat(str(data.get("date") or ""))
            data["date"] = day.isoformat()
            earliest, today = contact_window(case, kind, zone)
            since = "the assignment"
            floor = (floors or {}).get(kind)
            if floor is not None and floor[0] is None:
                details.append({"field": "date", "code": "no_reply_draft",
                                "message": f"cannot be recorded before {floor[1]}"})
            elif floor is not None and (earliest is None or floor[0] > earliest):
                earliest, since = floor
            if day > today:
                details.append({"field": "date", "code": "in_future", "message": "must not be in the future"})
            elif earliest is not None and day < earliest and not (floor is not None and floor[0] is None):
                details.append({"field": "date", "code": "before_assignment" if since == "the assignment"
                                else "before_reply_draft", "message": f"must be on or after {earliest.isoformat()} "
                                f"({since})", "min": earliest.isoformat(), "params": {"day": earliest.isoformat()}})
        except ValueError:
            details.append({"field": "date", "code": "not_date", "message": "must be a date like 2026-12-01"})
        data["participants"] = str(data.get("participants") or "").strip()[:500]
    if details:
        raise Invalid("the note is not complete: " + ", ".join(d["field"] for d in details), details)
    public = bool(public) or contact or roles.public_only(session, declarations, user, case)
    note = CaseNote(case_id=case.id, kind=kind, author=user.username, at=clock.now(), body=body, data=data,
                    public=public)
    session.add(note)
    projections.record_event(session, case, "note_added", user.username, kind, data={"kind": kind, "public": public})
    return note


def answer_contact(session: Session, declarations: Declarations, user: User, case: Case, note_id: Any,
                   answer: str, comment: str = "", ctx: Any = None) -> CaseNote:
    """The proposer's (or a co-signer's) answer to a recorded communication: confirmed or disputed, with a
    comment; answering again replaces their answer. A disputed record no longer counts for the
    communications gate, and whoever recorded it is told (through the context's channels, when given).
    The caller has checked the user may see the case."""
    note = session.get(CaseNote, note_id) if isinstance(note_id, int) else None
    if note is None or note.case_id != case.id or note.kind not in CONTACT_KINDS:
        raise NotFound(f"no communication {note_id} on this case")
    if not roles.may(session, declarations, user, case, "confirm_communications"):
        raise Forbidden("only the proposer and the co-signers confirm or dispute the communications held with them")
    comment = (comment or "").strip()
    details = []
    if answer not in ANSWERS:
        details.append({"field": "answer", "code": "not_option", "message": f"must be one of {', '.join(ANSWERS)}"})
    if len(comment) > ANSWER_COMMENT_MAX:
        details.append({"field": "comment", "code": "too_long",
                            "message": f"must have at most {ANSWER_COMMENT_MAX} characters",
                            "params": {"max": ANSWER_COMMENT_MAX}})
    if answer == "disputed" and not comment:
        details.append({"field": "comment", "code": "required", "message": "say what was not so"})
    if details:
        raise Invalid("the answer is not complete: " + ", ".join(d["field"] for d in details), details)
    answers = dict((note.data or {}).get("answers") or {})
    answers[user.username] = {"answer": answer, "comment": comment, "at": clock.now().isoformat()}
    note.data = {**(note.data or {}), "answers": answers}  # a new dict: the JSON column sees the change
    projections.record_event(session, case, "contact_answered", user.username, note.kind,
                             data={"kind": note.kind, "answer": answer, "public": True})
    if answer == "disputed" and ctx is not None:
        _tell_of_dispute(ctx, session, case, note, user, comment)
    return note


def _tell_of_dispute(ctx: Any, session: Session, case: Case, note: CaseNote, by: User, comment: str) -> None:
    author = session.scalar(select(User).where(User.username == note.author, User.active.is_(True)))
    if author is None or author.id == by.id:
        return
    day = (note.data or {}).get("date") or ""
    ref = f"{case.number or case.id}（{case.title}）"
    channels.queue(ctx, session, [author], case, "contact_disputed",
                   f"沟通记录有异议：{case.number or case.id}",
                   f"{by.display_name or by.username}对{ref}中 {day} 的沟通记录提出异议：{comment}。"
                   "该记录不再计入沟通要求，请重新沟通并记录。")


def list_notes(session: Session, case_id: int, kinds: Iterable[str] | None = None,
               public_only: bool = False) -> list[CaseNote]:
    """The case's notes in the order they were written; only those of `kinds` when given, only those shown
    to the proposer when `public_only`."""
    stmt = select(CaseNote).where(CaseNote.case_id == case_id)
    if kinds is not None:
        stmt = stmt.where(CaseNote.kind.in_(list(kinds)))
    if public_only:
        stmt = stmt.where(CaseNote.public.is_(True))
    return list(session.scalars(stmt.order_by(CaseNote.at, CaseNote.id)))


def contacts_in_date_order(session: Session, case_id: int) -> list[CaseNote]:
    """The communications with the proposer ordered by the date they took place (then by when recorded)."""
    rows = list_notes(session, case_id, CONTACT_KINDS)
    return sorted(rows, key=lambda n: (str((n.data or {}).get("date") or ""), n.at, n.id))
