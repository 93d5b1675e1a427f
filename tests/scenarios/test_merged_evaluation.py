"""Issue 11, item 12 (its end): a proposal merged (并案) into a main one gets the main reply, and its proposer
evaluates that reply too: their own task, the evaluation period counted from the release of the main reply,
not evaluated when it ends, and the rating in the statistics of the main case's lead unit."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from engine import identity
from engine.cases import runtime
from engine.errors import Forbidden, NotFound
from tests.conftest import BACKENDS
from workflows import statistics

from . import test_proposal as proposals
from .conftest import ZONE, District

pytestmark = pytest.mark.parametrize("backend", BACKENDS)  # SQLite and PostgreSQL

LEAD = proposals.LEAD


def merged_pair(district: District) -> tuple[int, int]:
    """member_chen's main proposal and member_liu's merged into it; the main reply released 40 days on."""
    main = proposals.submit(district, "member_chen")
    merged = proposals.submit(district, "member_liu")
    proposals.review(district, merged, review_outcome="merge", merged_into=district.case(main).number)
    proposals.review(district, main)
    proposals.assign(district, main)
    proposals.sign_in(district, main, (LEAD,))
    proposals.handle(district, main)
    district.advance(days=40)  # the committee is slow to review: the period counts from the release, not the reply
    district.complete("committee_clerk", main, "review_reply", {"result_class": "B", "reply_review": "approve"})
    return main, merged


def unit_figures(district: District) -> dict:
    with district.ctx.db.session() as session:
        report = statistics.report(district.ctx, session, 2026, "proposal")
    return next(u for u in report["units"] if u["unit"] == LEAD)


def test_the_merged_proposer_evaluates_the_main_reply(district: District):
    main, merged = merged_pair(district)
    released = datetime.fromisoformat(district.data(main)["reply_released_at"])
    data = district.data(merged)
    assert data["reply_released_at"] == district.data(main)["reply_released_at"]
    due = district.ctx.calendar.add_working_days(released, 15).isoformat()
    assert data["evaluation_due"] == due and district.case(merged).stage == "待测评"
    task = district.task(merged, "evaluate_merged")
    assert task.candidate_users == ["member_liu"] and task.due_at == datetime.fromisoformat(due)

    # the main proposer has their own task on their own case, not this one
    with pytest.raises((Forbidden, NotFound)):
        with district.ctx.db.session() as session:
            runtime.complete_task(district.ctx, session, identity.get_user(session, "member_chen"), task.id,
                                  {"satisfaction_work": "satisfied", "satisfaction_result": "satisfied"})
    district.complete("member_liu", merged, "evaluate_merged", {
        "satisfaction_work": "satisfied", "satisfaction_result": "unsatisfied", "evaluation_comment": "未解决停车难"})
    got = district.case(merged)
    assert got.status == "completed" and got.stage == "并案办结"
    assert got.data["satisfaction_result"] == "unsatisfied" and got.data["evaluations"][0]["comment"] == "未解决停车难"

    district.complete("member_chen", main, "evaluate", {"satisfaction_work": "satisfied",
                                                        "satisfaction_result": "satisfied"})
    figures = unit_figures(district)  # both proposers' ratings count for the unit that replied
    assert figures["counts"]["evaluated_result"] == 2 and figures["counts"]["satisfied_result"] == 1
    assert figures["satisfaction_rate"]["result"] == 0.5


def let_evaluation_lapse(district: District, merged: int) -> datetime:
    """The merged proposer's evaluation stays open until its last day, then the timer records it not evaluated;
    returns that day."""
    due = datetime.fromisoformat(district.data(merged)["evaluation_due"])
    district.move_to(due - timedelta(hours=1))
    district.fire_timers()
    assert district.open_elements(merged) == ["evaluate_merged"]  # still in time
    district.move_to(due + timedelta(minutes=5))
    district.fire_timers()
    return due


def test_a_merged_proposer_who_does_not_answer_is_recorded_not_evaluated(district: District):
    _main, merged = merged_pair(district)
    due = let_evaluation_lapse(district, merged)
    got = district.case(merged)
    assert got.status == "completed" and got.data["satisfaction_work"] == "not_evaluated"
    assert got.stage == "并案办结（未测评）"
    assert due.astimezone(ZONE).date() > datetime.fromisoformat(district.data(merged)["replied_at"]).date()
