"""The yearly statistics against figures computed by hand for a small fixed set of cases.

The cases hold the data the suggestion and proposal processes write (assigned_at, reply_due,
replied_at, result_class, ...); the facts rows come from the save listener, as in production."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

import workflows
from engine import identity
from engine.cases import runtime
from engine.store import TaskRow
from workflows import statistics, tallies, yearly
from workflows.cases import CaseFacts, CaseUnit

from .bpmn_util import one_task
from .conftest import deploy_xml

SHANGHAI = ZoneInfo("Asia/Shanghai")
# the data the real processes write, taken as start data by the stand-in processes below
FACTS = ("lead_unit, assigned_at, reply_due, replied_at, result_class, face_reply, satisfaction_work, "
         "satisfaction_result, implemented, rehandling_rounds, session_label, first_reply_due, first_replied_at, assist_units, split_units, title")
TODAY = datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI)


def case(lead, assigned, due=None, replied=None, cls=None, face=False, work=None, result=None, done=False,
         rounds=0, **more):
    return {"lead_unit": lead, "assigned_at": assigned, "reply_due": due, "replied_at": replied,
            "result_class": cls, "face_reply": face, "satisfaction_work": work, "satisfaction_result": result,
            "implemented": done, "rehandling_rounds": rounds, "session_label": "十八届人大三次会议", **more}


E, T = "unit_education", "unit_transport"
SUGGESTIONS = {
    "E1": case(E, "2026-03-02T09:00:00+08:00", "2026-06-02", "2026-05-20T10:00:00+08:00", "A", True,
               "satisfied", "satisfied", True),
    "E2": case(E, "2026-03-02T09:00:00+08:00", "2026-06-02", "2026-06-03T09:00:00+08:00", "B", False,
               "basically_satisfied", "unsatisfied", False, 1),  # a day late
    # 16:30 UTC on 10 July is 00:30 on 11 July in the district: late, although the UTC date is the deadline
    # re-handled twice: its first reply against its first deadline is what counts, not the last round's
    "E3": case(E, "2026-04-10T09:00:00+08:00", "2026-09-30", "2026-09-20T09:00:00+08:00", "C", True,
               "unsatisfied", "unsatisfied", False, 2, first_reply_due="2026-07-10",
               first_replied_at="2026-07-10T16:30:00+00:00"),
    # assigned at 01:00 on 1 January in the district (still 2025 in UTC): counts in 2026; open, past its deadline
    "E4": case(E, "2025-12-31T17:00:00+00:00", "2026-04-01"),
    "E5": case(E, "2026-10-15T09:00:00+08:00", "2027-01-15"),  # open, not yet due
    "T1": case(T, "2026-05-01T09:00:00+08:00", "2026-08-01", "2026-07-01T09:00:00+08:00", "D", False,
               "not_evaluated", "not_evaluated"),
    "T2": case(T, "2026-05-01T09:00:00+08:00", "2026-08-01", "2026-07-15T09:00:00+08:00", "B", True,
               "satisfied", "basically_satisfied", True, assist_units=[E]),
    # not counted in 2026: assigned on 1 January 2027 in the district, and one never assigned
    "X1": case(E, "2026-12-31T20:00:00+00:00", "2027-03-31"),
    "X2": {"lead_unit": E, "title": "still in review"},
}
PROPOSALS = {
    "P1": case(E, "2026-03-20T09:00:00+08:00", "2026-06-20", "2026-06-01T09:00:00+08:00", "A", True,
               "satisfied", "satisfied", False, session_label="区政协十届三次会议"),  # a known CPPCC session
}


def signed_in(app, username: str):
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post("/sign-in", data={"username": username, "password": "secret-pw", "csrf_token": csrf})
    assert answer.status_code == 302
    return client


@pytest.fixture
def cases(ctx):
    workflows.install(ctx)
    for key in ("suggestion", "proposal"):
        deploy_xml(ctx, one_task(key, 'camunda:candidateGroups="liaison_office"', declare={"start:inputs": FACTS}), f"{key}.bpmn")
    ids = {}
    with time_machine.travel(TODAY), ctx.db.session() as session:
        identity.ensure_group(session, E, "区教育局")
        deputy = identity.add_user(session, "deputy", "secret-pw", ["deputies", "liaison_office"])
        for key, table in (("suggestion", SUGGESTIONS), ("proposal", PROPOSALS)):
            for name, data in table.items():
                ids[name] = runtime.start_case(ctx, session, deputy, key, name, data).id
    return ids


def figures(ctx, case_type="suggestion", year=2026):
    with time_machine.travel(TODAY), ctx.db.session() as session:
        return statistics.compute(session, year, SHANGHAI, TODAY.date(), case_type)


def test_figures_per_unit_and_overall_match_the_hand_count(ctx, cases):
    stats = figures(ctx)
    units = {f.unit: f for f in stats.units}
    assert set(units) == {E, T}
    edu, transport, overall = units[E], units[T], stats.overall
    assert edu.unit_name == "区教育局" and transport.unit_name == T  # a group without a display name

    # education: E1..E5 assigned; E1, E2, E3 replied
    assert edu.assigned == 5 and edu.reply_rate == pytest.approx(3 / 5)
    # due: the 3 replied + E4 (open past 1 April); on time: only E1 (E2 a day late, E3 late in the district)
    assert edu.on_time_rate == pytest.approx(1 / 4)
    assert edu.face_reply_rate == pytest.approx(2 / 3)  # E1, E3
    assert edu.satisfaction_rate_work == pytest.approx(2 / 3)  # satisfied, basically satisfied, unsatisfied
    assert edu.satisfaction_rate_result == pytest.approx(1 / 3)  # satisfied, unsatisfied, unsatisfied
    assert edu.implementation_rate == pytest.approx(1 / 2)  # of E1 (A) and E2 (B), E1 implemented
    assert edu.classes == {"A": 1, "B": 1, "C": 1, "D": 0}
    assert edu.class_shares == pytest.approx({"A": 1 / 3, "B": 1 / 3, "C": 1 / 3, "D": 0})
    assert edu.rehandled == 2  # E2, E3

    # transport: both replied on time; T1 not evaluated, so only T2's ratings count
    assert (transport.assigned, transport.reply_rate, transport.on_time_rate) == (2, 1.0, 1.0)
    assert transport.face_reply_rate == pytest.approx(1 / 2)
    assert (transport.satisfaction_rate_work, transport.satisfaction_rate_result) == (1.0, 1.0)
    assert transport.implementation_rate == 1.0  # T2 (B) implemented; T1 is class D
    assert transport.class_shares == {"A": 0, "B": 0.5, "C": 0, "D": 0.5} and transport.rehandled == 0

    # all units: 7 assigned, 5 replied, 6 due of which 3 on time, 3 of 5 face to face,
    # work 3 of 4 evaluated satisfied, result 2 of 4, implemented 2 of 3 A/B (E1, E2, T2)
    assert (overall.assigned, overall.replied, overall.due, overall.on_time) == (7, 5, 6, 3)
    assert overall.reply_rate == pytest.approx(5 / 7) and overall.on_time_rate == pytest.approx(0.5)
    assert overall.face_reply_rate == pytest.approx(0.6)
    assert overall.satisfaction_rate_work == pytest.approx(0.75)
    assert overall.satisfaction_rate_result == pytest.approx(0.5)
    assert overall.implementation_rate == pytest.approx(2 / 3)
    assert overall.class_shares == pytest.approx({"A": 0.2, "B": 0.4, "C": 0.2, "D": 0.2})
    assert overall.rehandled == 2


def test_case_type_and_year_filters(ctx, cases):
    proposals = figures(ctx, "proposal")
    assert [f.unit for f in proposals.units] == [E]
    p = proposals.overall
    assert (p.assigned, p.reply_rate, p.on_time_rate, p.face_reply_rate) == (1, 1.0, 1.0, 1.0)
    assert p.implementation_rate is None and p.class_shares["A"] == 1.0  # proposals have no checklist
    both = figures(ctx, None)
    assert both.overall.assigned == 8 and both.overall.reply_rate == pytest.approx(6 / 8)
    assert {f.unit: f.assigned for f in both.units} == {E: 6, T: 2}
    next_year = figures(ctx, "suggestion", 2027)
    assert next_year.overall.assigned == 1 and next_year.overall.reply_rate == 0.0
    assert next_year.overall.on_time_rate is None and next_year.overall.face_reply_rate is None  # nothing due
    assert figures(ctx, "suggestion", 2025).units == []
    with ctx.db.session() as session:
        assert statistics.years(session) == [2027, 2026]


def test_the_facts_follow_the_case_as_it_moves_on(ctx, cases):
    with ctx.db.session() as session:
        facts = session.get(CaseFacts, cases["E5"])
        assert (facts.replied_at, facts.year, facts.lead_unit) == (None, 2026, E)
        assert session.get(CaseFacts, cases["X2"]).lead_unit is None  # not assigned: no lead unit yet
        roles = dict(session.execute(select(CaseUnit.unit, CaseUnit.role).where(CaseUnit.case_id == cases["T2"])).all())
        assert roles == {T: "lead", E: "assist"}
        task = session.scalar(select(TaskRow).where(TaskRow.case_id == cases["E5"], TaskRow.state == "open"))
        runtime.complete_task(ctx, session, identity.get_user(session, "deputy"), task.id, {
            "replied_at": "2026-11-20T09:00:00+08:00", "result_class": "A", "face_reply": True})
    with ctx.db.session() as session:
        facts = session.get(CaseFacts, cases["E5"])
        assert facts.result_class == "A" and facts.face_reply and facts.closed
    edu = {f.unit: f for f in figures(ctx).units}[E]
    assert edu.reply_rate == pytest.approx(4 / 5) and edu.face_reply_rate == pytest.approx(3 / 4)


def _same_counts(ctx):
    """The running tallies add up to what the year's facts rows say, for every filter the page offers."""
    with time_machine.travel(TODAY), ctx.db.session() as session:
        for year in (2025, 2026, 2027):
            for case_type in (None, "suggestion", "proposal"):
                def ints(found):
                    return {unit: {k: int(v) for k, v in counts.items() if k != "lead_unit"}
                            for unit, counts in found.items()}
                tallied = ints(statistics._counts(session, year, SHANGHAI, TODAY.date(), case_type))
                assert tallied == ints(statistics.recount(session, year, SHANGHAI, TODAY.date(), case_type))


def test_the_running_tallies_equal_a_count_of_the_facts_rows(ctx, cases):
    _same_counts(ctx)
    with ctx.db.session() as session:  # a case moves on: replied late, re-rated
        task = session.scalar(select(TaskRow).where(TaskRow.case_id == cases["E5"], TaskRow.state == "open"))
        runtime.complete_task(ctx, session, identity.get_user(session, "deputy"), task.id, {
            "replied_at": "2027-02-01T09:00:00+08:00", "result_class": "B", "satisfaction_work": "satisfied"})
    _same_counts(ctx)
    with ctx.db.session() as session:  # counted afresh (a bulk load, an upgrade): the same tallies
        before = [{t.key: t.count for t in session.scalars(select(model)) if t.count}
                  for model in (tallies.Tally, tallies.Count)]
        tallies.rebuild(session, SHANGHAI)
        assert [{t.key: t.count for t in session.scalars(select(model))}
                for model in (tallies.Tally, tallies.Count)] == before
    _same_counts(ctx)


def test_a_unit_that_leads_cases_and_takes_a_split_part_is_counted_once_for_both(ctx, cases):
    """A split case (分办) adds a part to each of its units; the education bureau also leads cases of its own."""
    before = {f.unit: f.assigned for f in figures(ctx).units}
    with time_machine.travel(TODAY), ctx.db.session() as session:
        data = {**case(None, "2026-06-01T09:00:00+08:00", "2026-09-01"), "split_units": [E, T]}
        runtime.start_case(ctx, session, identity.get_user(session, "deputy"), "suggestion", "S1", data)
    after = {f.unit: f.assigned for f in figures(ctx).units}
    assert after == {E: before[E] + 1, T: before[T] + 1}
    _same_counts(ctx)


def test_the_months_categories_and_sessions_of_a_year_match_the_hand_count(ctx, cases):
    with time_machine.travel(TODAY), ctx.db.session() as session:
        months = {m["month"]: (m["assigned"], m["replied"]) for m in yearly.monthly(session, 2026, SHANGHAI, "suggestion")}
        # assigned in the district's months (E4 at 01:00 on 1 January); first replies (E3's on 11 July there)
        assert {m: v for m, v in months.items() if v != (0, 0)} == {
            1: (1, 0), 3: (2, 0), 4: (1, 0), 5: (2, 1), 6: (0, 1), 7: (0, 3), 10: (1, 0)}
        assert yearly.categories(session, 2026, "suggestion") == [("", 7)]
        assert yearly.categories(session, 2026) == [("", 8)]
        assert {(s["case_type"], s["year"]) for s in yearly.sessions(session)} == {("suggestion", 2026),
                                                                                  ("proposal", 2026)}


def test_the_statistics_page_and_api_are_for_supervisors(ctx, cases, api, app):
    api.user("boss", ("supervisors",))
    api.user("clerk", (E,))
    with time_machine.travel(TODAY):
        answer = api.get("/statistics?year=2026&case_type=suggestion", "boss")
        assert answer.status_code == 200
        body = answer.get_json()
        edu = next(u for u in body["units"] if u["unit"] == E)
        assert edu["reply_rate"] == 0.6 and edu["on_time_rate"] == 0.25 and edu["satisfaction_rate"]["work"] == 0.6667
        assert body["overall"]["counts"]["assigned"] == 7 and body["overall"]["class_shares"]["B"] == 0.4
        assert api.get("/statistics", "clerk").status_code == 403
        assert api.get("/statistics?case_type=petition", "boss").status_code == 400
        html = signed_in(app, "clerk").get("/statistics")
        assert html.status_code == 403
        html = signed_in(app, "boss").get("/statistics?year=2026&case_type=suggestion").get_data(as_text=True)
    assert 'data-unit="unit_education"' in html and "区教育局" in html and 'data-figure="reply_rate"' in html
    assert "60.0%" in html and "3/5" in html
