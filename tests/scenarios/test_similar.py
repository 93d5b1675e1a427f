"""Similar cases while typing (issue 12, item 4): the proposer's list, the office's at review with the merge pick,
the suggested lead unit at assignment, and who sees what, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest

from ..conftest import BACKENDS
from . import test_proposal as proposals
from .conftest import District
from .test_case_roles_web import signed_in, token
from .test_suggestion import SUGGESTION, assign

ELEVATOR = {**SUGGESTION, "title": "关于老旧小区加装电梯的建议", "body": "老旧小区老人上下楼难，建议加快加装电梯。",
            "category": "城建", "cosigners": []}
LIGHTS = {**SUGGESTION, "cosigners": []}  # 关于在实验小学门前增设交通信号灯的建议
PARKS = {**SUGGESTION, "title": "关于增加口袋公园的建议", "body": "居民休闲空间不足，建议利用边角地建设口袋公园。",
         "category": "城建", "cosigners": []}


def _assigned(district: District, data: dict, lead: str, who: str = "deputy_wang") -> int:
    case = district.start(who, "suggestion", {**data, "proposer": who})
    district.complete("liaison_clerk", case, "pre_review", {"review_outcome": "accept"})
    assign(district, case, lead)
    return case


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_closest_case_comes_first_and_a_proposer_sees_only_public_facts(district: District, client):
    elevator = _assigned(district, ELEVATOR, "unit_housing")
    lights = _assigned(district, LIGHTS, "unit_transport")
    pending = district.start("deputy_wang", "suggestion", PARKS)  # still in review: shown to nobody else
    asked = {"title": "老旧小区电梯加装问题", "body": "建议为老旧小区加装电梯"}

    office = client.get("/api/v1/cases/similar", query_string=asked, headers=token(client, "liaison_clerk")).get_json()
    assert office[0]["number"] == district.case(elevator).number
    assert office[0]["full"] and office[0]["id"] == elevator and office[0]["lead_unit"] == "区住房和城乡建设局"

    # another deputy: the accepted, assigned case as its public facts (no id), nothing of the case in review
    other = client.get("/api/v1/cases/similar", query_string={"title": "增加口袋公园和老旧小区加装电梯"},
                       headers=token(client, "deputy_li")).get_json()
    assert [c["number"] for c in other] == [district.case(elevator).number]
    assert other[0] == {"number": district.case(elevator).number, "title": ELEVATOR["title"], "stage": "待签收",
                        "lead_unit": "区住房和城乡建设局", "process_key": "suggestion",
                        "score": other[0]["score"], "full": False}
    # the proposer of the case in review sees their own, whole
    own = client.get("/api/v1/cases/similar", query_string={"title": "口袋公园"},
                     headers=token(client, "deputy_wang")).get_json()
    assert own[0]["id"] == pending and own[0]["full"]
    # a member (proposals) does not see suggestions' details either, and a unit sees only its own cases
    unit = client.get("/api/v1/cases/similar", query_string={"title": "实验小学门前交通信号灯"},
                      headers=token(client, "unit_housing_clerk")).get_json()
    assert unit == []
    assert client.get("/api/v1/cases/similar", query_string={"title": "实验小学门前交通信号灯"},
                      headers=token(client, "unit_transport_clerk")).get_json()[0]["id"] == lights


def test_bad_input_is_refused_naming_the_field(district: District, client):
    headers = token(client, "deputy_wang")
    long = client.get("/api/v1/cases/similar", query_string={"title": "长" * 301}, headers=headers)
    assert long.status_code == 422 and long.get_json()["details"][0]["field"] == "title"
    kind = client.get("/api/v1/cases/similar", query_string={"title": "电梯", "process_key": "x"}, headers=headers)
    assert kind.status_code == 422 and kind.get_json()["details"][0]["field"] == "process_key"
    assert client.get("/api/v1/cases/similar", query_string={"title": "电梯"}).status_code == 401
    assert client.get("/api/v1/cases/similar", headers=headers).get_json() == []  # nothing typed yet


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_characters_are_enough(district: District, client):
    elevator = _assigned(district, ELEVATOR, "unit_housing")
    found = client.get("/api/v1/cases/similar", query_string={"title": "电梯"},
                       headers=token(client, "liaison_clerk")).get_json()
    assert [c["id"] for c in found] == [elevator]


def test_the_portal_lists_them_while_typing(district: District, app):
    elevator = _assigned(district, ELEVATOR, "unit_housing", who="deputy_li")
    wang = signed_in(app, "deputy_wang")
    page = wang.get("/portal/new").get_data(as_text=True)
    assert 'id="similar-cases"' in page and "/portal/similar" in page
    found = wang.get("/portal/similar", query_string={"title": "加装电梯", "body": "老旧小区"}).get_json()
    assert found[0]["number"] == district.case(elevator).number and found[0]["url"] is None  # deputy_li's case
    mine = signed_in(app, "deputy_li").get("/portal/similar", query_string={"title": "加装电梯"}).get_json()
    assert mine[0]["url"] == f"/portal/cases/{elevator}"
    assert wang.get("/portal/similar", query_string={"body": "字" * 5001}).status_code == 422


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_office_picks_the_main_case_at_review_and_sees_a_suggested_unit(district: District, app):
    main = proposals.submit(district, "member_chen")
    merged = proposals.submit(district, "member_liu", title="关于推动工业企业上楼发展的提案")
    for element, data in (("initial_review", {"initial_outcome": "pass"}),
                          ("re_review", {"re_review_outcome": "pass", "review_units": proposals.LEAD})):
        district.complete("committee_clerk", merged, element, data)
    district.complete(f"{proposals.LEAD}_clerk", merged, "joint_review", {"joint_decision": "confirm"})
    committee = signed_in(app, "committee_clerk")
    task = district.task(merged, "review_decision")
    page = committee.get(f"/tasks/{task.id}").get_data(as_text=True)
    number = district.case(main).number
    listed = re.search(r'id="similar-cases" data-merge-field="merged_into">(.*?)</section>', page, re.S).group(1)
    assert f'data-number="{number}"' in listed and 'class="merge-pick"' in listed
    assert f'/cases/{merged}"' not in listed  # not the case itself

    # the suggested lead unit: from the past case assigned to the housing bureau, shown and not filled in
    proposals.review(district, main)
    proposals.assign(district, main)
    other = proposals.submit(district, "member_he", title="关于推动工业上楼的提案")
    proposals.review(district, other)
    assign_task = district.task(other, "assign_proposal")
    page = committee.get(f"/tasks/{assign_task.id}").get_data(as_text=True)
    assert f'id="suggested-unit" data-unit="{proposals.LEAD}"' in page and number in page
    lead_field = re.search(r'data-field="lead_unit".*?</div>', page, re.S).group(0)
    assert '<option value="" selected>' in lead_field and 'value="unit_housing" selected' not in lead_field
    assert 'class="unit-pick"' in page
