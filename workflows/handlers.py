"""What both case types share at run time: the communications gate (四沟通) on the reply and on the
confirmation of what was implemented. Registered in ctx.completion_checks by workflows.install."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Invalid
from engine.store import Case, CaseNote

from .cases import CASE_TYPES

CONTACT_NAMES = {"contact_before": "办前沟通", "contact_during": "办中沟通", "contact_at_reply": "答复时沟通",
                 "contact_after": "办后沟通"}

# task element id -> (the communications that must be on record first, the message when they are not)
GATES: dict[str, tuple[tuple[str, ...], str]] = {
    "draft_reply": (("contact_before", "contact_during"), "先记录办前沟通和办中沟通后才能提交答复"),
    "confirm_implementation": (("contact_after",), "先记录办后沟通后才能确认落实情况"),
}


def communications_gate(session: Session, case: Case, task: Any, data: dict[str, Any]) -> None:
    """Refuse the reply until the deputy or member was heard before and during the handling, and the
    confirmation of the results until they confirmed them together (DOMAIN.md, suggestions step 5)."""
    gate = GATES.get(task.element_id)
    if gate is None or case.process_key not in CASE_TYPES:
        return
    needed, message = gate
    recorded = set(session.scalars(select(CaseNote.kind).where(CaseNote.case_id == case.id,
                                                                CaseNote.kind.in_(needed)).distinct()))
    missing = [kind for kind in needed if kind not in recorded]
    if missing:
        raise Invalid(message, [{"field": kind, "message": f"尚未记录{CONTACT_NAMES[kind]}（{kind}）"}
                                for kind in missing])
