"""Start forms and initiators (engine.cases.startforms): the start event's camunda:formData checks the data a case
starts with (422, one detail per field; keys neither in the form nor declared as start inputs are refused),
camunda:initiator names the person who started it; only a role declared may:start_on_behalf names someone else;
and the form is read from the stored file once per version."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from engine import identity
from engine.bpmn import library
from engine.bpmn.lint import lint_files
from engine.cases import runtime, startforms
from engine.errors import Forbidden, Invalid
from engine.store import Case, ProcessDefinition
from tests.bpmn_util import bpmn
from tests.conftest import deploy_xml

START_FORM = """
<camunda:formField id="title" label="案由" type="string">
  <camunda:validation><camunda:constraint name="required" /><camunda:constraint name="maxlength" config="20" />
  </camunda:validation>
</camunda:formField>
<camunda:formField id="body" label="建议内容" type="string">
  <camunda:properties><camunda:property id="multiline" value="true" /></camunda:properties>
  <camunda:validation><camunda:constraint name="required" /></camunda:validation>
</camunda:formField>
<camunda:formField id="category" label="类别" type="enum">
  <camunda:value id="教育" name="教育" /><camunda:value id="交通" name="交通" />
</camunda:formField>
<camunda:formField id="cosigners" label="联名代表" type="string">
  <camunda:properties><camunda:property id="list" value="true" /></camunda:properties>
</camunda:formField>
<camunda:formField id="in_session" label="会时提出" type="boolean" />
"""


OFFICE = {"role:office": "group:'liaison_office'", "may:start_on_behalf": "office",
          "start:inputs": "term, session_label"}


def process(form: str = START_FORM, initiator: str = 'camunda:initiator="proposer"', key: str = "sug",
            declare: dict[str, str] | None = None) -> str:
    """A start event with a start form -> a task for the liaison office; a message start event beside it whose
    own form is not the start form."""
    return bpmn(f"""
  <bpmn:startEvent id="by_message" name="by message">
    <bpmn:extensionElements><camunda:formData>
      <camunda:formField id="other" label="not the start form" type="string" /></camunda:formData></bpmn:extensionElements>
    <bpmn:outgoing>f0</bpmn:outgoing><bpmn:messageEventDefinition id="m" messageRef="msg" /></bpmn:startEvent>
  <bpmn:startEvent id="submitted" name="代表提交建议" {initiator}>
    <bpmn:extensionElements><camunda:formData>{form}</camunda:formData></bpmn:extensionElements>
    <bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:userTask id="review" name="审核" camunda:candidateGroups="liaison_office">
    <bpmn:incoming>f0</bpmn:incoming><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
  <bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f0" sourceRef="by_message" targetRef="review"/>
  <bpmn:sequenceFlow id="f1" sourceRef="submitted" targetRef="review"/>
  <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="done"/>""", key, process_attrs="",
                declare=OFFICE if declare is None else declare).replace("</bpmn:definitions>", '<bpmn:message id="msg" name="msg"/></bpmn:definitions>')


GOOD = {"body": "上下学高峰学生过街不安全。", "category": "交通"}


@pytest.fixture
def people(ctx):
    with ctx.db.session() as session:
        for name, groups in (("deputy_wang", ["deputies"]), ("deputy_li", ["deputies"]),
                             ("liaison", ["liaison_office"])):
            identity.add_user(session, name, "secret-pw", groups)
    return ctx


def start(ctx, who: str, data: dict, title: str = "", key: str = "sug") -> Case:
    with ctx.db.session() as session:
        case = runtime.start_case(ctx, session, identity.get_user(session, who), key, title, data)
        session.expunge(case)
        return case


def test_the_initiator_is_the_person_who_starts_unless_the_data_names_someone(people):
    deploy_xml(people, process())
    own = start(people, "deputy_wang", {**GOOD, "title": "关于增设信号灯的建议"})
    assert own.data["proposer"] == "deputy_wang"
    # the liaison office registers a paper submission for deputy_li: deputy_li is the proposer
    registered = start(people, "liaison", {**GOOD, "title": "关于修缮操场的建议", "proposer": "deputy_li"})
    assert registered.data["proposer"] == "deputy_li" and registered.started_by == "liaison"
    with pytest.raises(Invalid) as refused:
        start(people, "liaison", {**GOOD, "title": "关于路灯的建议", "proposer": "nobody_here"})
    assert refused.value.details == [{"field": "proposer", "code": "unknown_user", "message": "is not a user name",
                                      "params": {"names": "nobody_here"}}]


def test_a_proposer_cannot_start_a_case_in_someone_elses_name(people):
    """Hole 2: a deputy naming deputy_li as the proposer was filed as deputy_li's; only the declared office may."""
    deploy_xml(people, process())
    with pytest.raises(Forbidden):
        start(people, "deputy_wang", {**GOOD, "title": "关于路灯的建议", "proposer": "deputy_li"})
    deploy_xml(people, process(key="bare", declare={}))  # a process naming nobody lets nobody register for others
    with pytest.raises(Forbidden):
        start(people, "liaison", {**GOOD, "title": "关于路灯的建议", "proposer": "deputy_li"}, key="bare")
    with people.db.session() as session:
        assert session.scalar(select(Case.id)) is None


@pytest.mark.parametrize("key", ["case_deadline", "stage", "flagged", "reply_months"])
def test_start_data_outside_the_form_and_the_declared_inputs_is_refused_naming_the_key(people, key):
    deploy_xml(people, process())
    with pytest.raises(Invalid) as refused:
        start(people, "deputy_wang", {**GOOD, "title": "关于路灯的建议", key: "2020-01-01T00:00:00+08:00"})
    assert [d["field"] for d in refused.value.details] == [key]
    with people.db.session() as session:
        assert session.scalar(select(Case.id)) is None


def test_a_process_without_an_initiator_leaves_the_data_alone(people):
    deploy_xml(people, process(initiator=""))
    case = start(people, "deputy_wang", {**GOOD, "title": "关于增设信号灯的建议"})
    assert "proposer" not in case.data


def test_the_start_form_refuses_bad_data_with_one_detail_per_field(people):
    deploy_xml(people, process())
    with pytest.raises(Invalid) as refused:
        start(people, "deputy_wang", {"title": "这是一个超过二十个字的非常非常非常长的案由标题", "category": "体育",
                                      "in_session": "maybe"})
    assert {d["field"]: d["message"] for d in refused.value.details} == {
        "title": "must have at most 20 characters", "body": "is required",
        "category": "must be one of: 教育, 交通", "in_session": "must be true or false"}
    with people.db.session() as session:
        assert session.scalar(select(Case.id)) is None  # nothing was started


def test_good_data_is_converted_and_declared_start_inputs_pass_through(people):
    deploy_xml(people, process())
    case = start(people, "deputy_wang", {**GOOD, "cosigners": "deputy_li， deputy_zhao、deputy_li", "in_session": "true",
                                         "term": 18, "session_label": "十八届人大三次会议"}, title="关于增设信号灯的建议")
    # the start form's title field is the case title: given as the title, it is in the data as well
    assert case.title == case.data["title"] == "关于增设信号灯的建议"
    assert case.data["cosigners"] == ["deputy_li", "deputy_zhao"]  # a list field: text split at commas
    assert case.data["in_session"] is True
    assert case.data["term"] == 18 and case.data["session_label"] == "十八届人大三次会议"
    listed = start(people, "deputy_wang", {**GOOD, "title": "关于修缮操场的建议", "cosigners": ["deputy_li"]})
    assert listed.title == "关于修缮操场的建议" and listed.data["cosigners"] == ["deputy_li"]
    assert listed.data["in_session"] is False and listed.data["category"] == "交通"


def test_the_form_is_read_from_the_plain_start_event_once_per_version(people):
    deploy_xml(people, process())
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if "bpmn_xml" in statement:
            statements.append(statement)

    event.listen(people.db.engine, "before_cursor_execute", count)
    try:
        start(people, "deputy_wang", {**GOOD, "title": "第一件"})
        start(people, "deputy_wang", {**GOOD, "title": "第二件"})
        with people.db.session() as session:
            definition = library.latest(session, "sug")
            form = people.start_forms.get(definition)
    finally:
        event.remove(people.db.engine, "before_cursor_execute", count)
    assert len(statements) == 1  # the file was loaded for the first start only
    assert (form.event_id, form.event_name, form.initiator) == ("submitted", "代表提交建议", "proposer")
    assert [f["id"] for f in form.fields] == ["title", "body", "category", "cosigners", "in_session"]
    assert form.fields[1]["required"] and form.fields[1]["properties"] == {"multiline": "true"}
    # a new version has its own form
    deploy_xml(people, process(START_FORM.replace('label="类别"', 'label="分类"')))
    with people.db.session() as session:
        versions = session.scalars(select(ProcessDefinition).order_by(ProcessDefinition.version)).all()
        labels = [people.start_forms.get(v).fields[2]["label"] for v in versions]
    assert labels == ["类别", "分类"]


def test_a_process_without_a_start_form_takes_only_its_declared_start_inputs(people):
    deploy_xml(people, bpmn("""
  <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:endEvent id="e"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="e"/>""", "plain", declare={"start:inputs": "anything"}))
    case = start(people, "deputy_wang", {"anything": [1, 2]}, title="t", key="plain")
    assert case.data["anything"] == [1, 2] and case.title == "t"
    with pytest.raises(Invalid) as refused:
        start(people, "deputy_wang", {"anything": 1, "stage": "已办结"}, title="t", key="plain")
    assert [d["field"] for d in refused.value.details] == ["stage"]
    assert startforms.read_start_form("", "plain") == startforms.StartForm()


def test_lint_checks_start_forms_like_task_forms():
    problems = lint_files({"p.bpmn": process('<camunda:formField id="x" type="colour" />').encode()})
    assert [(p.element_id, p.message) for p in problems] == [
        ("submitted", "form field 'x' has unknown type 'colour' (known: string, long, boolean, date, enum)")]


def test_the_api_lists_start_forms_and_answers_422_per_field(api, ctx):
    deputy = api.user("deputy_wang", ("deputies",))
    deploy_xml(ctx, process())
    listed = api.get("/process-definitions", deputy).get_json()
    assert [f["id"] for f in listed[0]["start_form"]] == ["title", "body", "category", "cosigners", "in_session"]
    refused = api.start(deputy, "sug", {"category": "交通"}, title="")
    assert refused.status_code == 422
    assert [d["field"] for d in refused.get_json()["details"]] == ["title", "body"]
    started = api.start(deputy, "sug", GOOD, title="关于增设信号灯的建议")
    assert started.status_code == 201
    assert started.get_json()["data"]["proposer"] == "deputy_wang"


def test_names_in_a_users_field_must_be_active_users(people):
    form = START_FORM.replace('<camunda:property id="list" value="true" />',
                              '<camunda:property id="list" value="true" /><camunda:property id="users" value="true" />')
    deploy_xml(people, process(form))
    with pytest.raises(Invalid) as refused:
        start(people, "deputy_wang", {**GOOD, "title": "关于增设信号灯的建议", "cosigners": "deputy_li, deputy_lee"})
    assert refused.value.details == [{"field": "cosigners", "code": "unknown_user",
                                      "message": "no user has the name deputy_lee", "params": {"names": "deputy_lee"}}]
    with people.db.session() as session:
        assert session.scalar(select(Case.id)) is None  # nothing was started
    case = start(people, "deputy_wang", {**GOOD, "title": "关于增设信号灯的建议", "cosigners": "deputy_li"})
    assert case.data["cosigners"] == ["deputy_li"]
