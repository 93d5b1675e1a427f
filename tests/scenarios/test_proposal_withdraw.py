"""A member withdraws their own proposal from the portal while it is in review (issue 12, item 3): the model's
boundary message on each review level, delivered by the engine once the role and the stage are checked."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.errors import Conflict, Forbidden
from engine.store import OutboxMessage, User
from workflows import portal

from ..conftest import BACKENDS
from . import test_proposal as proposals
from .conftest import District
from .test_case_roles_web import csrf, signed_in


def _withdraw(district: District, who: str, case: int, reason: str = "已另行反映"):
    with district.ctx.db.session() as session:
        user = session.scalar(select(User).where(User.username == who))
        portal.withdraw(district.ctx, session, user, case, reason)
        session.commit()


def _told(district: District, who: str) -> list[str]:
    with district.ctx.db.session() as session:
        return list(session.scalars(select(OutboxMessage.subject).where(
            OutboxMessage.recipient == who, OutboxMessage.kind == "milestone", OutboxMessage.channel == "in_app")
            .order_by(OutboxMessage.id)))


def _at(district: District, level: str) -> int:
    case = proposals.submit(district, "member_chen", submission_kind="joint", cosigners_text="member_liu")
    district.complete("member_liu", case, "confirm_cosign", {"cosign_decision": "confirm"})
    if level in ("re_review", "joint_review", "review_decision"):
        district.complete("committee_clerk", case, "initial_review", {"initial_outcome": "pass"})
    if level in ("joint_review", "review_decision"):
        district.complete("committee_clerk", case, "re_review", {"re_review_outcome": "pass",
                                                                 "review_units": proposals.LEAD})
    if level == "review_decision":
        district.complete(f"{proposals.LEAD}_clerk", case, "joint_review", {"joint_decision": "confirm"})
    assert level in district.open_elements(case)
    return case


@pytest.mark.parametrize("level", ["initial_review", "re_review", "review_decision"])
def test_withdrawn_at_any_level_of_the_review(district: District, level: str):
    case = _at(district, level)
    with pytest.raises(Forbidden):  # a co-signer may not withdraw the lead member's proposal
        _withdraw(district, "member_liu", case)
    _withdraw(district, "member_chen", case, "问题已解决")
    done = district.case(case)
    assert done.status == "completed" and done.stage == "已撤回"
    assert district.open_elements(case) == []  # the review task (or the units' joint review) is gone
    last = done.data["review_records"][-1]
    assert last["outcome"] == "withdraw" and last["reviewer"] == "member_chen" and last["reason"] == "问题已解决"
    assert _told(district, "member_liu")[-1].startswith("已撤回")


def test_not_while_the_departments_review_it_together(district: District, app):
    case = _at(district, "joint_review")
    assert "p-withdraw" not in signed_in(app, "member_chen").get(f"/portal/cases/{case}").get_data(as_text=True)
    with pytest.raises(Conflict, match="departments"):
        _withdraw(district, "member_chen", case)
    assert district.case(case).stage == "待审核" and district.open_elements(case) == ["joint_review"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_too_late_once_accepted_and_the_page_offers_it_only_before(district: District, app):
    case = _at(district, "initial_review")
    chen = signed_in(app, "member_chen")
    page = chen.get(f"/portal/cases/{case}").get_data(as_text=True)
    assert "p-withdraw" in page
    assert "p-withdraw" not in signed_in(app, "member_liu").get(f"/portal/cases/{case}").get_data(as_text=True)
    accepted = proposals.accepted(district, title="关于另一件事的提案")
    with pytest.raises(Conflict):
        _withdraw(district, "member_chen", accepted)
    assert district.case(accepted).stage == "待交办"
    answer = chen.post(f"/portal/cases/{case}/withdraw", data={"withdraw_reason": "不再需要", "csrf_token": csrf(page)})
    assert answer.status_code == 302 and district.case(case).stage == "已撤回"
