"""Issue 11, items 16-17 through the web pages: the office enters a paper evaluation form and registers a paper
proposal; the committee tracks a proposal; the lead unit records a result adopted; others are refused."""

from __future__ import annotations

import pytest

from workflows import paper

from ..conftest import BACKENDS
from . import test_proposal as proposals
from . import test_suggestion as suggestions
from .conftest import District
from .test_case_roles_web import csrf, signed_in

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


def post(client, path: str, data: dict, page: str | None = None):
    token = csrf(client.get(page or path).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def test_the_liaison_office_enters_a_paper_evaluation_form_on_the_web(district: District, app):
    case = suggestions.replied(district)
    office, unit = signed_in(app, "liaison_clerk"), signed_in(app, "unit_transport_clerk")
    page = office.get(f"/cases/{case}").get_data(as_text=True)
    assert f"/cases/{case}/paper-evaluation" in page
    assert f"/cases/{case}/paper-evaluation" not in unit.get(f"/cases/{case}").get_data(as_text=True)
    assert unit.get(f"/cases/{case}/paper-evaluation").status_code == 403
    answer = post(unit, f"/cases/{case}/paper-evaluation", {"field.satisfaction_work": "satisfied"}, f"/cases/{case}")
    assert answer.status_code == 403
    # 不满意 without the reason: the form comes back with what was typed
    answer = post(office, f"/cases/{case}/paper-evaluation", {"field.satisfaction_work": "unsatisfied",
                                                                "field.satisfaction_result": "satisfied"})
    assert answer.status_code == 422 and '<option value="unsatisfied" selected>' in answer.get_data(as_text=True)
    answer = post(office, f"/cases/{case}/paper-evaluation", {"field.satisfaction_work": "satisfied",
                                                                "field.satisfaction_result": "satisfied"})
    assert answer.status_code == 302
    assert district.data(case)["satisfaction_work"] == "satisfied"
    page = office.get(f"/cases/{case}").get_data(as_text=True)
    assert 'data-clerk="liaison_clerk" data-on-behalf-of="deputy_wang"' in page
    assert 'data-kind="task_entered_on_behalf"' in page


def test_the_committee_registers_a_paper_proposal_on_the_web(district: District, app):
    office = signed_in(app, "committee_clerk")
    form = {"field.title": proposals.PROPOSAL["title"], "field.body": proposals.PROPOSAL["body"], "field.category": "经济",
            "field.submission_kind": "individual", "field.proposer": "member_liu", "submission_key": "k" * 32}
    answer = post(office, "/cases/new/proposal", form)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    case = int(answer.headers["Location"].rsplit("/", 1)[1])
    assert district.open_elements(case) == ["initial_review"]
    with district.ctx.db.session() as session:
        assert [e.on_behalf_of for e in paper.entries(session, district.case(case))] == ["member_liu", "member_liu"]
    member = signed_in(app, "member_chen")
    answer = post(member, "/cases/new/proposal", {**form, "submission_key": "m" * 32})
    assert answer.status_code == 403


def test_tracking_and_results_on_the_case_page(district: District, app):
    case = proposals.accepted(district)
    proposals.assign(district, case)
    proposals.sign_in(district, case, (proposals.LEAD,))
    office, unit = signed_in(app, "committee_clerk"), signed_in(app, f"{proposals.LEAD}_clerk")
    member, supervisor = signed_in(app, "member_chen"), signed_in(app, "inspector")
    page = f"/cases/{case}"
    assert post(unit, f"{page}/tracking", {"tracked": "1", "reason": "x"}, page).status_code == 403
    assert post(office, f"{page}/tracking", {"tracked": "1", "reason": " "}, page).status_code == 422
    assert post(office, f"{page}/tracking", {"tracked": "1", "reason": "社会关注度高"}, page).status_code == 302
    assert 'id="case-tracked"' in unit.get(page).get_data(as_text=True)
    watch = supervisor.get("/supervise").get_data(as_text=True)
    assert f'data-case-id="{case}"' in watch.split('id="tracked"')[1] and "社会关注度高" in watch

    result = {"kind": "funds", "title": "改造资金", "amount": "abc", "adopted_on": "2026-03-02", "document": "文件"}
    answer = post(unit, f"{page}/results", result, page)
    assert answer.status_code == 422 and 'value="改造资金"' in answer.get_data(as_text=True)
    assert post(unit, f"{page}/results", {**result, "amount": "120"}, page).status_code == 302
    assert post(member, f"{page}/results", {**result, "amount": "1"}, page).status_code == 403
    shown = member.get(page).get_data(as_text=True)
    assert 'data-kind="funds"' in shown and "120.00" in shown
    assert f"{page}/results" not in shown  # the member reads them, and records none
    stats = supervisor.get("/statistics").get_data(as_text=True).split('id="results-adopted"')[1]
    assert 'data-figure="funds_amount">120.00<' in stats


def test_the_same_over_the_api(district: District, client):
    from .test_case_roles_web import token

    suggestion = suggestions.replied(district)
    proposal = proposals.accepted(district)
    proposals.assign(district, proposal)
    proposals.sign_in(district, proposal, (proposals.LEAD,))
    office, committee = token(client, "liaison_clerk"), token(client, "committee_clerk")
    unit, member = token(client, f"{proposals.LEAD}_clerk"), token(client, "member_chen")
    form = {"data": {"satisfaction_work": "satisfied", "satisfaction_result": "satisfied"}}
    path = f"/api/v1/cases/{suggestion}/paper-evaluation"
    assert client.post(path, json=form, headers=token(client, "unit_transport_clerk")).status_code == 403
    assert client.post(path, json=form, headers=committee).status_code == 404
    answer = client.post(path, json={"data": {"satisfaction_work": "so-so"}}, headers=office)
    assert answer.status_code == 422 and "satisfaction_work" in {d["field"] for d in answer.get_json()["details"]}
    answer = client.post(path, json=form, headers=office)
    assert answer.status_code == 200 and answer.get_json()["data"]["satisfaction_work"] == "satisfied"
    assert client.post(path, json=form, headers=office).status_code == 409  # entered already

    path = f"/api/v1/cases/{proposal}/tracking"
    assert client.post(path, json={"reason": "x"}, headers=unit).status_code == 403
    assert client.post(path, json={"reason": "x"}, headers=office).status_code == 404
    answer = client.post(path, json={"reason": ""}, headers=committee)
    assert answer.status_code == 422 and answer.get_json()["details"][0]["field"] == "reason"
    answer = client.post(path, json={"reason": "社会关注度高"}, headers=committee)
    assert answer.status_code == 200 and answer.get_json()["tracked"] is True
    assert client.delete(path, headers=committee).get_json()["tracked"] is False

    path = f"/api/v1/cases/{proposal}/results"
    item = {"kind": "funds", "title": "专项资金", "amount": "88.8", "adopted_on": "2026-03-02"}
    assert client.post(path, json=item, headers=member).status_code == 403
    answer = client.post(path, json={**item, "amount": "0"}, headers=unit)
    assert answer.status_code == 422 and [d["field"] for d in answer.get_json()["details"]] == ["amount"]
    answer = client.post(path, json=item, headers=unit)
    assert answer.status_code == 201 and answer.get_json()["amount"] == 88.8
    assert [r["title"] for r in client.get(path, headers=member).get_json()] == ["专项资金"]
