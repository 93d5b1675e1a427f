"""Issue 11, item 5: units are chosen from the organisation. The assignment page offers the directory's units
as a pick-list; a unit typed by hand that the organisation does not have (a display name, a made-up code) is
refused with 422 beside its field, and no sign-in task is created for a group nobody is in."""

from __future__ import annotations

import re

import pytest

from engine import identity
from engine.errors import Invalid

from . import test_suggestion as suggestions
from .conftest import PASSWORD, UNITS, District


@pytest.mark.parametrize("lead", ["区交通运输局", "unit_foo", "liaison_office"])
def test_an_unknown_unit_is_refused(district: District, lead: str):
    case = suggestions.accepted(district)
    with pytest.raises(Invalid) as refused:
        suggestions.assign(district, case, lead=lead)
    assert refused.value.details[0]["field"] == "lead_unit" and lead in refused.value.details[0]["message"]
    assert district.open_elements(case) == ["assign"]
    with pytest.raises(Invalid) as refused:
        suggestions.assign(district, case, assist=("unit_education", "unit_nowhere"))
    assert refused.value.details[0]["field"] == "assist_unit_ids" and refused.value.details[0]["unknown"] == [
        "unit_nowhere"]
    # a code and params beside the Chinese message: the task page says it in the reader's language
    assert refused.value.details[0]["code"] == "not_a_unit"
    assert refused.value.details[0]["params"] == {"names": "unit_nowhere"}


def test_the_api_answers_422_for_an_unknown_unit(district: District, app, client):
    case = suggestions.accepted(district)
    token = client.post("/api/v1/auth/token", json={"username": "liaison_clerk", "password": PASSWORD}).get_json()
    task = district.task(case, "assign")
    answer = client.post(f"/api/v1/tasks/{task.id}/complete", headers={"Authorization": f"Bearer {token['token']}"},
                         json={"data": {"lead_unit": "区交通运输局", "responsible_person": "张科长"}})
    assert answer.status_code == 422
    assert answer.get_json()["details"][0]["field"] == "lead_unit"


def test_the_assignment_page_picks_units_from_the_directory(district: District, app):
    app.config["WTF_CSRF_ENABLED"] = False
    with district.ctx.db.session() as session:  # an office group without a head is no unit
        identity.ensure_group(session, "press_office", "新闻办")
    case = suggestions.accepted(district)
    task = district.task(case, "assign")
    client = app.test_client()
    assert client.post("/sign-in", data={"username": "liaison_clerk", "password": PASSWORD}).status_code == 302
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    lead = re.search(r'<select id="field-lead_unit".*?</select>', page, re.S).group(0)
    offered = re.findall(r'<option value="([^"]+)"', lead)
    assert sorted(offered) == sorted(UNITS) and "press_office" not in page
    assert f'<option value="unit_transport">{UNITS["unit_transport"]}</option>' in lead  # the name; the code is the value
    assist = re.search(r'<select id="field-assist_unit_ids"[^>]*multiple.*?</select>', page, re.S)
    assert assist is not None

    answer = client.post(f"/tasks/{task.id}", data={
        "field.lead_unit": "unit_transport", "field.assist_unit_ids": ["", "unit_education", "unit_health"],
        "field.responsible_person": "张科长", "field.category": "交通", "field.deadline_months": "3"})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    data = district.data(case)
    assert data["lead_unit"] == "unit_transport" and data["assist_units"] == ["unit_education", "unit_health"]
