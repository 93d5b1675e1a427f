"""Issue 11, item 9 (in part): the face-reply quota counts replies by the unit's principal head (主要负责人),
not a deputy head (分管负责人); the warning goes to the supervisors too, not only the unit's head; and it
looks at the current year, as the statistics page does, not every year's sessions together."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from engine.store import OutboxMessage
from workflows import quota
from workflows.cases import CaseFacts

from . import test_suggestion as suggestions
from .conftest import District

LEAD = suggestions.LEAD


def replied_face_to_face(district: District, role: str) -> int:
    case = suggestions.signed_in(district, cosigners=[])
    district.note(f"{LEAD}_clerk", case, "contact_before", "了解代表意图")
    district.note(f"{LEAD}_clerk", case, "contact_during", "通报进展")
    district.complete(f"{LEAD}_clerk", case, "handle_suggestion", {"handling_summary": "已调研"})
    district.complete(f"{LEAD}_clerk", case, "draft_reply", {
        "reply_doc_no": "崂交建〔2026〕12号", "reply_text": "已增设。", "result_class": "A", "face_reply": True,
        "reply_signer": "李局长"})
    district.complete(f"{LEAD}_chief", case, "head_face_reply", {
        "face_reply_by": "王副局长" if role == "deputy_head" else "李局长", "face_reply_role": role,
        "face_reply_place": "代表联络站", "face_reply_date": "2026-04-20"})
    return case


def warnings_to(district: District, who: str) -> list[OutboxMessage]:
    with district.ctx.db.session() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == who,
                                                                OutboxMessage.kind == quota.KIND)))


def test_only_the_principal_heads_face_replies_count_and_supervisors_are_warned(district: District):
    case = replied_face_to_face(district, "deputy_head")
    with district.ctx.db.session() as session:
        facts = session.get(CaseFacts, case)
        assert facts.face_reply is True and facts.face_reply_by_head is False  # 面复率 still counts it
        entry = next(q for q in quota.current(district.ctx, session, year=2026) if q.unit == LEAD)
    assert (entry.required, entry.done, entry.short, entry.warning) == (1, 0, 1, True)
    assert warnings_to(district, f"{LEAD}_chief") and warnings_to(district, "inspector")

    replied_face_to_face(district, "principal")
    with district.ctx.db.session() as session:
        entry = next(q for q in quota.current(district.ctx, session, year=2026) if q.unit == LEAD)
    assert (entry.required, entry.done) == (2, 1)


def test_the_warning_counts_this_years_suggestions_only(district: District):
    district.move_to(date(2025, 3, 3))
    replied_face_to_face(district, "principal")  # last year's, replied by the head
    district.move_to(date(2026, 3, 2))
    replied_face_to_face(district, "deputy_head")  # this year's: short by one
    bodies = [m.body for m in warnings_to(district, "inspector")]
    assert bodies and "主办的 1 件建议中" in bodies[-1] and "尚差 1 件" in bodies[-1]
