"""Issue 11, items 5, 9 and 13 through the pages and the API: leaders are picked from the directory's leaders on
the assignment page and refused with 422 naming the field when they are not leaders; a leader finds the cases
they are in charge of (我包案的案件); the office chooses the session (届次) of a case it registers, a known one only.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import BACKENDS

from .conftest import PASSWORD, District
from .test_suggestion import SUGGESTION, accepted

pytestmark = pytest.mark.parametrize("backend", BACKENDS)  # SQLite and PostgreSQL


def signed_in(app, username: str):
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    assert client.post("/sign-in", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def test_the_assignment_page_picks_leaders_from_the_directory(district: District, app):
    case = accepted(district)
    task = district.task(case, "assign")
    client = signed_in(app, "liaison_clerk")
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    congress = re.search(r'<select id="field-leader_congress".*?</select>', page, re.S).group(0)
    government = re.search(r'<select id="field-leader_government".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="([^"]+)"', congress) == ["congress_leader"]
    assert re.findall(r'<option value="([^"]+)"', government) == ["government_leader"]

    form = {"field.lead_unit": "unit_transport", "field.responsible_person": "张科长", "field.category": "交通",
            "field.priority": "true", "field.leader_congress": "deputy_li", "field.leader_government": "government_leader"}
    answer = client.post(f"/tasks/{task.id}", data=form)
    assert answer.status_code == 422 and "deputy_li" in answer.get_data(as_text=True)
    assert district.open_elements(case) == ["assign"]
    answer = client.post(f"/tasks/{task.id}", data={**form, "field.leader_congress": "congress_leader"})
    assert answer.status_code == 302

    leader = signed_in(app, "congress_leader")
    mine = leader.get("/cases?in_charge=1").get_data(as_text=True)
    assert f'data-case-id="{case}"' in mine and 'id="in-charge"' in mine
    other = signed_in(app, "cppcc_leader")
    assert f'data-case-id="{case}"' not in other.get("/cases?in_charge=1").get_data(as_text=True)
    assert other.get(f"/cases/{case}").status_code == 404


def test_the_api_answers_422_naming_a_leader_field(district: District, client):
    case = accepted(district)
    token = client.post("/api/v1/auth/token", json={"username": "liaison_clerk", "password": PASSWORD}).get_json()
    task = district.task(case, "assign")
    answer = client.post(f"/api/v1/tasks/{task.id}/complete", headers={"Authorization": f"Bearer {token['token']}"},
                         json={"data": {"lead_unit": "unit_transport", "responsible_person": "张科长", "category": "交通",
                                        "priority": True, "leader_congress": "congress_leader",
                                        "leader_government": "unit_transport_clerk"}})
    assert answer.status_code == 422
    assert [d["field"] for d in answer.get_json()["details"]] == ["leader_government"]


def test_the_office_chooses_a_known_session_on_the_new_case_form(district: District, app, client):
    office = signed_in(app, "liaison_clerk")
    page = office.get("/cases/new/suggestion").get_data(as_text=True)
    choice = re.search(r'<select id="field-session_label".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="([^"]+)"', choice) == ["十八届人大二次会议", "十八届人大三次会议", "十八届人大四次会议"]
    assert re.search(r'<option value="十八届人大三次会议" selected', choice)  # config.yaml's current session
    deputy = signed_in(app, "deputy_wang")
    assert 'id="field-session_label"' not in deputy.get("/cases/new/suggestion").get_data(as_text=True)

    form = {"field.title": SUGGESTION["title"], "field.body": SUGGESTION["body"], "field.category": "交通",
            "field.proposer": "deputy_li", "submission_key": "a" * 32}
    answer = office.post("/cases/new/suggestion", data={**form, "session_label": "十九届人大一次会议"})
    assert answer.status_code == 422 and 'id="error-session_label"' in answer.get_data(as_text=True)
    answer = office.post("/cases/new/suggestion", data={**form, "session_label": "十八届人大四次会议"})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:1500]
    case = int(answer.headers["Location"].rstrip("/").split("/")[-1])
    data = district.data(case)
    assert (data["term"], data["session"], data["session_label"]) == (18, 4, "十八届人大四次会议")

    # a deputy's own case takes the current session; the API refuses an unknown one naming the field
    headers = {"Authorization": "Bearer " + client.post("/api/v1/auth/token", json={
        "username": "deputy_wang", "password": PASSWORD}).get_json()["token"]}
    body = {"process_key": "suggestion", "data": {k: v for k, v in SUGGESTION.items()
                                                  if k not in ("term", "session", "session_label")}}
    answer = client.post("/api/v1/cases", json=body, headers=headers)
    assert answer.status_code == 201 and answer.get_json()["data"]["session_label"] == "十八届人大三次会议"
    body["data"]["session_label"] = "十九届人大一次会议"
    answer = client.post("/api/v1/cases", json=body, headers=headers)
    assert answer.status_code == 422 and [d["field"] for d in answer.get_json()["details"]] == ["session_label"]
