"""The case roles through the API and the web pages (issue 10, holes 2-4): starting in someone else's name or
with derived values, the proposer recording the unit's communications, designers reading case titles."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from engine import clock, identity
from engine.store import Case, CaseNote

from .conftest import PASSWORD, District
from .test_case_roles import ASSIST, suggestion_in_handling
from .test_suggestion import LEAD, SUGGESTION


def TODAY() -> str:  # noqa: N802 (read as a constant: a communication is dated today, not before the assignment)
    return clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def signed_in(app, username: str):
    client = app.test_client()
    answer = client.post("/sign-in", data={"username": username, "password": PASSWORD,
                                           "csrf_token": csrf(client.get("/sign-in").get_data(as_text=True))})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


def token(client, username: str) -> dict[str, str]:
    answer = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {answer.get_json()['token']}"}


def count_cases(district: District) -> int:
    with district.ctx.db.session() as session:
        return session.query(Case).count()


def test_the_api_refuses_a_start_in_someone_elses_name_or_with_derived_values(district: District, client):
    """Hole 2: a deputy's start naming deputy_li with a case_deadline in 2020 was filed as deputy_li's."""
    deputy, liaison = token(client, "deputy_wang"), token(client, "liaison_clerk")
    body = {"process_key": "suggestion", "data": {**SUGGESTION, "proposer": "deputy_li"}}
    answer = client.post("/api/v1/cases", json=body, headers=deputy)
    assert answer.status_code == 403 and answer.get_json()["details"][0]["field"] == "proposer"
    for key, value in (("case_deadline", "2020-01-01T00:00:00+08:00"), ("stage", "已办结"), ("flagged", True),
                       ("reply_months", 1)):
        body = {"process_key": "suggestion", "data": {**SUGGESTION, key: value}}
        answer = client.post("/api/v1/cases", json=body, headers=deputy)
        assert answer.status_code == 422 and [d["field"] for d in answer.get_json()["details"]] == [key], key
    assert count_cases(district) == 0
    # the liaison office registers it on deputy_li's behalf, and deputy_li then sees it
    body = {"process_key": "suggestion", "data": {**SUGGESTION, "proposer": "deputy_li", "cosigners": []}}
    answer = client.post("/api/v1/cases", json=body, headers=liaison)
    assert answer.status_code == 201, answer.get_json()
    case = answer.get_json()
    assert case["started_by"] == "liaison_clerk" and case["data"]["proposer"] == "deputy_li"
    listed = client.get("/api/v1/cases", headers=token(client, "deputy_li")).get_json()
    assert [c["id"] for c in listed] == [case["id"]]


def test_the_new_case_page_says_a_proposer_starts_in_their_own_name(district: District, app):
    deputy = signed_in(app, "deputy_wang")
    page = deputy.get("/cases/new/suggestion").get_data(as_text=True)
    form = {"csrf_token": csrf(page), "field.title": "关于路灯的建议", "field.body": "夜间无照明。",
            "field.category": "交通", "field.cosigners": "", "field.in_session": "false", "field.proposer": "deputy_li"}
    answer = deputy.post("/cases/new/suggestion", data=form)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 403 and "关于路灯的建议" in html  # told beside the field, nothing typed lost
    assert re.search(r'data-field="proposer".*?field-error', html, re.S)
    assert count_cases(district) == 0
    form["field.proposer"] = ""
    assert deputy.post("/cases/new/suggestion", data=form).status_code == 302
    with district.ctx.db.session() as session:
        assert session.query(Case).one().data["proposer"] == "deputy_wang"


def test_the_proposer_confirms_communications_on_the_case_page_but_cannot_record_them(district: District, app):
    """Hole 3: the deputy posted /cases/<id>/contacts and unlocked the unit's reply."""
    case = suggestion_in_handling(district)
    deputy = signed_in(app, "deputy_wang")
    page = deputy.get(f"/cases/{case}").get_data(as_text=True)
    assert 'id="contact-form"' not in page  # no form to record one
    answer = deputy.post(f"/cases/{case}/contacts", data={
        "csrf_token": csrf(page), "kind": "contact_before", "date": TODAY(), "method": "visit", "body": "自己记的"})
    assert answer.status_code == 403
    with district.ctx.db.session() as session:
        assert session.query(CaseNote).filter_by(case_id=case).count() == 0
    clerk = signed_in(app, f"{ASSIST}_clerk")
    page = clerk.get(f"/cases/{case}").get_data(as_text=True)
    assert 'id="contact-form"' in page and "confirm-contact" not in page
    answer = clerk.post(f"/cases/{case}/contacts", data={
        "csrf_token": csrf(page), "kind": "contact_during", "date": TODAY(), "method": "phone",
        "body": "协办单位电话沟通"})
    assert answer.status_code == 302
    page = deputy.get(f"/cases/{case}").get_data(as_text=True)
    note_id = re.search(r'data-kind="contact_during" data-note-id="(\d+)"', page).group(1)
    assert "confirm-contact" in page
    refused = deputy.post(f"/cases/{case}/contacts/{note_id}/answer",
                          data={"csrf_token": csrf(page), "answer": "disputed", "comment": ""})
    assert refused.status_code == 422
    answer = deputy.post(f"/cases/{case}/contacts/{note_id}/answer",
                         data={"csrf_token": csrf(page), "answer": "disputed", "comment": "没有打过电话"})
    assert answer.status_code == 302
    page = clerk.get(f"/cases/{case}").get_data(as_text=True)
    assert 'data-answer="disputed" data-by="deputy_wang"' in page and "没有打过电话" in page
    forged = clerk.post(f"/cases/{case}/contacts/{note_id}/answer",
                        data={"csrf_token": csrf(page), "answer": "confirmed"})
    assert forged.status_code == 403  # the unit cannot answer for the deputy


def test_the_proposer_reads_only_the_comments_and_files_meant_for_them(district: District, app):
    case = suggestion_in_handling(district)
    clerk = signed_in(app, f"{LEAD}_clerk")
    page = clerk.get(f"/cases/{case}").get_data(as_text=True)
    clerk.post(f"/cases/{case}/comments", data={"csrf_token": csrf(page), "body": "内部：经费待落实"})
    clerk.post(f"/cases/{case}/comments", data={"csrf_token": csrf(page), "body": "已安排现场查看", "public": "1"})
    deputy_page = signed_in(app, "deputy_wang").get(f"/cases/{case}").get_data(as_text=True)
    assert "已安排现场查看" in deputy_page and "内部：经费待落实" not in deputy_page
    assert 'id="comment-public"' not in deputy_page
    clerk_page = clerk.get(f"/cases/{case}").get_data(as_text=True)
    assert "内部：经费待落实" in clerk_page and "public-mark" in clerk_page
    history = client_history(app, case, "deputy_wang")
    assert sum(1 for e in history if e["kind"] == "note_added") == 1


def client_history(app, case: int, who: str) -> list[dict]:
    client = app.test_client()
    return client.get(f"/api/v1/cases/{case}", headers=token(client, who)).get_json()["history"]


def test_designers_see_counts_per_element_not_the_cases(district: District, app):
    """Hole 4: /designer/<key>/<version> listed every case's title to designers."""
    with district.ctx.db.session() as session:
        identity.add_user(session, "designer_xu", PASSWORD, ["designers"])
        identity.add_user(session, "designer_sup", PASSWORD, ["designers", "supervisors"])
    case = suggestion_in_handling(district)
    district.start("deputy_li", "suggestion", {**SUGGESTION, "title": "关于修缮操场的建议", "cosigners": [], "proposer": "deputy_li"})
    page = signed_in(app, "designer_xu").get("/designer/suggestion/1").get_data(as_text=True)
    assert SUGGESTION["title"] not in page and "关于修缮操场的建议" not in page and f"/cases/{case}" not in page
    counts = dict(re.findall(r'data-element-id="(\w+)">.*?class="num waiting-count">(\d+)<', page, re.S))
    assert counts["pre_review"] == "1" and counts["handle_suggestion"] == "1", counts
    # a designer who may see the cases otherwise (here a supervisor) still finds them listed
    page = signed_in(app, "designer_sup").get("/designer/suggestion/1").get_data(as_text=True)
    assert SUGGESTION["title"] in page and "关于修缮操场的建议" in page


def test_the_proposer_reads_through_the_api_only_what_is_meant_for_them(district: District, client):
    """The API's case answer gave a proposer every variable: the review records with the reviewer's internal
    reasons, the assignment note, the supervising leader, and the open tasks' forms of the units."""
    case = district.start("liaison_clerk", "suggestion", SUGGESTION)
    district.complete("deputy_li", case, "confirm_cosign", {"cosign_agree": True})
    district.complete("liaison_clerk", case, "pre_review", {"review_outcome": "accept",
                                                            "review_reason": "内部：与去年第12号建议重复度高"})
    district.complete("liaison_clerk", case, "assign", {
        "category": "交通", "lead_unit": "unit_transport", "assist_unit_ids": ASSIST,
        "responsible_person": "张科长", "assign_note": "内部：局长已口头同意"})
    office = client.get(f"/api/v1/cases/{case}", headers=token(client, "liaison_clerk")).get_json()
    deputy = client.get(f"/api/v1/cases/{case}", headers=token(client, "deputy_wang")).get_json()
    assert "内部：与去年第12号建议重复度高" in str(office) and "内部：局长已口头同意" in str(office)
    assert office["data"]["review_records"] and any(t["form"] for t in office["active_tasks"])
    text = str(deputy)
    assert "内部" not in text and "review_records" not in deputy["data"]
    assert deputy["data"]["title"] == SUGGESTION["title"] and deputy["data"]["lead_unit"] == "unit_transport"
    assert deputy["active_tasks"] and not any(t["form"] for t in deputy["active_tasks"])  # the units' sign-in
    assert [e["kind"] for e in deputy["history"]] == [e["kind"] for e in office["history"]]
    assert "reply_text" not in deputy["data"]
