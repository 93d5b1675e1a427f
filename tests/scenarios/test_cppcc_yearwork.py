"""Issue 11, item 17: the CPPCC's year's work. The proposal committee puts a proposal of high public concern
under tracked handling (跟踪办理) with a reason, the lead unit is told and the supervision list shows it; the
results adopted (成果转化) are recorded as structured items by the committee or the lead unit, and the
statistics count them per unit and overall with the funds summed, in the Excel export too."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine.store import OutboxMessage
from workflows import exports, results, statistics, tracking

from ..conftest import BACKENDS
from . import test_proposal as proposals
from . import test_suggestion as suggestions
from .conftest import District

LEAD = proposals.LEAD

pytestmark = pytest.mark.parametrize("backend", BACKENDS)  # every scenario on SQLite and PostgreSQL


def assigned_proposal(district: District) -> int:
    case = proposals.accepted(district)
    proposals.assign(district, case)
    proposals.sign_in(district, case, (LEAD,))
    return case


def act(district: District, who: str, action, *args):
    with district.ctx.db.session() as session:
        return action(district.ctx, session, district._user(session, who), *args)


def test_the_committee_tracks_a_proposal_of_high_public_concern(district: District):
    case = assigned_proposal(district)
    act(district, "committee_clerk", tracking.start, case, "社会关注度高：涉及全区老旧厂房改造")
    with district.ctx.db.session() as session:
        row = tracking.tracking(session, case)
        assert tracking.is_tracked(row) and row.marked_by == "committee_clerk"
        listed = tracking.tracked(session)
        assert listed.count == 1 and [c.id for c, _t in listed.cases] == [case]
        told = session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.case_id == case,
                                                                     OutboxMessage.kind == tracking.KIND)).all()
    assert set(told) == {f"{LEAD}_clerk"}  # the lead unit hears of it
    [event] = district.events(case, "tracking_started")
    assert event.actor == "committee_clerk" and "社会关注度高" in event.message
    with pytest.raises(Conflict):
        act(district, "committee_clerk", tracking.start, case, "again")
    act(district, "committee_clerk", tracking.end, case)
    with district.ctx.db.session() as session:
        assert tracking.tracked(session).count == 0
        assert tracking.tracking(session, case).ended_by == "committee_clerk"
    assert len(district.events(case, "tracking_ended")) == 1


def test_only_the_committee_tracks_and_it_says_why(district: District):
    case = assigned_proposal(district)
    for who in (f"{LEAD}_clerk", "member_chen", "inspector"):
        with pytest.raises(Forbidden):
            act(district, who, tracking.start, case, "理由")
    for who in ("liaison_clerk", "member_liu"):
        with pytest.raises(NotFound):
            act(district, who, tracking.start, case, "理由")
    with pytest.raises(Invalid) as refused:
        act(district, "committee_clerk", tracking.start, case, "  ")
    assert refused.value.details[0]["field"] == "reason"
    with pytest.raises(Invalid):  # a suggestion is flagged, not tracked
        act(district, "liaison_clerk", tracking.start, suggestions.signed_in(district), "理由")
    assert district.events(case, "tracking_started") == []


FUNDS = {"kind": "funds", "title": "老旧厂房改造专项资金", "amount": "300.5", "adopted_on": "2026-03-02",
         "document": "崂财〔2026〕5号"}
POLICY = {"kind": "policy", "title": "区工业上楼指导意见", "adopted_on": "2026-03-01", "document": "崂政发〔2026〕3号"}


def test_results_adopted_are_recorded_and_counted_per_unit_and_overall(district: District):
    case = assigned_proposal(district)
    other = assigned_proposal(district)
    act(district, "committee_clerk", results.add, case, POLICY)
    act(district, f"{LEAD}_clerk", results.add, case, FUNDS)
    act(district, f"{LEAD}_clerk", results.add, other, {**FUNDS, "amount": "99.5", "title": "配套资金"})
    act(district, f"{LEAD}_clerk", results.add, other, {"kind": "project", "title": "园区改造项目",
                                                          "adopted_on": "2026-03-02"})
    with district.ctx.db.session() as session:
        items = results.of_case(session, case)
        assert [(r.kind, r.amount) for r in items] == [("policy", None), ("funds", Decimal("300.50"))]
        report = statistics.report(district.ctx, session, 2026, "proposal")
    assert report["overall"]["results"] == {"cases": 2, "items": 4, "policy": 1, "project": 1, "funds": 2,
                                            "funds_amount": 400.0}
    [unit] = report["units"]
    assert unit["unit"] == LEAD and unit["results"]["funds_amount"] == 400.0 and unit["results"]["cases"] == 2
    book = load_workbook(io.BytesIO(exports.statistics_xlsx(report, "崂山区")))
    sheet = book["成果转化"]
    assert [c.value for c in sheet[2]] == list(exports.RESULT_COLUMNS)
    assert [c.value for c in sheet[4]] == ["合计", 2, 4, 1, 1, 2, 400.0]
    assert [e.actor for e in district.events(case, "result_recorded")] == ["committee_clerk", f"{LEAD}_clerk"]
    # one recorded by mistake is taken back, and the statistics follow
    act_remove(district, f"{LEAD}_clerk", other, "project")
    with district.ctx.db.session() as session:
        assert statistics.report(district.ctx, session, 2026, "proposal")["overall"]["results"]["items"] == 3


def act_remove(district: District, who: str, case: int, kind: str) -> None:
    with district.ctx.db.session() as session:
        [row] = [r for r in results.of_case(session, case) if r.kind == kind]
        results.remove(session, district._user(session, who), case, row.id)


def test_results_are_refused_from_others_and_checked_field_by_field(district: District):
    case = proposals.accepted(district)
    proposals.assign(district, case, ("unit_civil",))
    proposals.sign_in(district, case, (LEAD, "unit_civil"))
    for action, args in ((results.add, (POLICY,)), (tracking.start, ("理由",))):
        with pytest.raises(Forbidden):  # an assisting unit sees the case and does neither
            act(district, "unit_civil_clerk", action, case, *args)
    for who in ("member_chen", "unit_transport_clerk", "inspector"):
        with pytest.raises((Forbidden, NotFound)):
            act(district, who, results.add, case, POLICY)
    with pytest.raises(Forbidden):  # the proposer sees the case and may not
        act(district, "member_chen", results.add, case, POLICY)
    with pytest.raises(Invalid) as refused:
        act(district, "committee_clerk", results.add, case, {"kind": "funds", "title": "", "amount": "-3",
                                                             "adopted_on": "2099-01-01"})
    assert {d["field"] for d in refused.value.details} == {"title", "amount", "adopted_on"}
    with pytest.raises(Invalid) as refused:
        act(district, "committee_clerk", results.add, case, {**POLICY, "kind": "gift", "amount": "5"})
    assert {d["field"] for d in refused.value.details} == {"kind"}
    with pytest.raises(Invalid) as refused:
        act(district, "committee_clerk", results.add, case, {**POLICY, "amount": "5"})
    assert {d["field"] for d in refused.value.details} == {"amount"}
    with district.ctx.db.session() as session:
        assert results.of_case(session, case) == []
