"""Issue 11, item 10: a communication's date lies between the assignment and today, and the gate on the
reply counts only such records."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from engine import clock
from engine.errors import Invalid
from engine.store import CaseNote
from tests.conftest import BACKENDS

from . import test_suggestion as suggestions
from .conftest import District

LEAD = suggestions.LEAD


@pytest.mark.parametrize("on", [date(1999, 1, 1), date(2030, 1, 1), date(2026, 3, 1)])
def test_a_communication_dated_outside_the_handling_is_refused(district: District, on: date):
    case = suggestions.signed_in(district)  # assigned on Monday 2 March 2026
    with pytest.raises(Invalid) as refused:
        district.note(f"{LEAD}_clerk", case, "contact_before", "了解代表意图", on=on)
    assert [d["field"] for d in refused.value.details] == ["date"]
    district.note(f"{LEAD}_clerk", case, "contact_before", "了解代表意图", on=date(2026, 3, 2))


def test_the_gate_counts_only_records_dated_within_the_handling(district: District):
    case = suggestions.signed_in(district)
    district.advance(days=20)
    with district.ctx.db.session() as session:  # records written before the rule, dated at will
        for kind, day in (("contact_before", "1999-01-01"), ("contact_during", "2030-01-01")):
            session.add(CaseNote(case_id=case, kind=kind, author=f"{LEAD}_clerk", at=clock.now(), body=kind,
                                 data={"date": day, "method": "phone", "participants": "王代表"}))
    district.complete(f"{LEAD}_clerk", case, "handle_suggestion", {"handling_summary": "已调研"})
    reply = {"reply_doc_no": "崂交建〔2026〕12号", "reply_text": "拟增设信号灯。", "result_class": "A",
             "face_reply": False, "reply_signer": "李局长"}
    with pytest.raises(Invalid) as refused:
        district.complete(f"{LEAD}_clerk", case, "draft_reply", reply)
    assert sorted(d["field"] for d in refused.value.details) == ["contact_before", "contact_during"]
    district.note(f"{LEAD}_clerk", case, "contact_before", "了解代表意图", on=date(2026, 3, 5))
    district.note(f"{LEAD}_clerk", case, "contact_during", "通报进展")
    district.complete(f"{LEAD}_clerk", case, "draft_reply", reply)
    with district.ctx.db.session() as session:
        assert len(list(session.scalars(select(CaseNote).where(CaseNote.case_id == case)))) == 4


@pytest.mark.parametrize("backend", BACKENDS)  # SQLite and PostgreSQL
def test_a_communication_at_the_reply_is_not_dated_before_the_reply_draft(district: District):
    """Issue 11, item 10: the communication at the reply (答复时沟通) talks about the drafted reply: none before
    there is a draft, none dated before its day; recorded through the pages' path (workflows.handlers)."""
    from engine import identity
    from engine.store import Case
    from workflows import handlers

    def record(on: date) -> None:
        with district.ctx.db.session() as session:
            case_row, user = session.get(Case, case), identity.get_user(session, f"{LEAD}_clerk")
            handlers.record_communication(district.ctx, session, user, case_row, "contact_at_reply", "当面答复",
                                          {"date": on.isoformat(), "method": "visit", "participants": "王代表"})
            session.commit()

    case = suggestions.signed_in(district)
    district.advance(days=5)
    district.note(f"{LEAD}_clerk", case, "contact_before", "了解代表意图", on=date(2026, 3, 3))
    district.note(f"{LEAD}_clerk", case, "contact_during", "通报进展", on=date(2026, 3, 4))
    with pytest.raises(Invalid) as refused:  # no draft yet
        record(date(2026, 3, 5))
    assert [d["field"] for d in refused.value.details] == ["date"]
    district.advance(days=30)
    district.complete(f"{LEAD}_clerk", case, "handle_suggestion", {"handling_summary": "已调研"})
    district.complete(f"{LEAD}_clerk", case, "draft_reply", {
        "reply_doc_no": "崂交建〔2026〕12号", "reply_text": "拟增设信号灯。", "result_class": "A", "face_reply": True,
        "reply_signer": "李局长"})
    drafted = district.now().astimezone(suggestions.ZONE).date()
    with pytest.raises(Invalid) as refused:  # dated before the draft
        record(drafted - timedelta(days=2))
    assert refused.value.details[0]["field"] == "date" and refused.value.details[0]["min"] == drafted.isoformat()
    record(drafted)
    with district.ctx.db.session() as session:
        kinds = [n.kind for n in session.scalars(select(CaseNote).where(CaseNote.case_id == case))]
    assert kinds.count("contact_at_reply") == 1
