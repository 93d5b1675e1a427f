"""Who acts for whom inside a case (engine.cases.roles, the declarations of bpmn/suggestion.bpmn and
bpmn/proposal.bpmn): the permission table of the README checked cell by cell, on SQLite and PostgreSQL,
and the holes found by probing as an attacker (issue 10, holes 1-3 and the entries meant for the proposer).

The table's people hold each role on "their own" case, a suggestion the liaison office registered on
deputy_wang's behalf, co-signed by deputy_li, assigned to unit_transport with unit_civil assisting and
congress_leader as the supervising leader; the "other" case is a proposal none of them has a part in. For
starting, "own" is a case in one's own name and "other" one in someone else's name.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest

from engine import clock, identity
from engine.cases import attachments, notes, queries, roles, runtime
from engine.errors import CaseworkError, Forbidden, Invalid
from engine.store import Case, CaseNote

from ..conftest import BACKENDS
from .conftest import District
from .test_proposal import LEAD as PROPOSAL_LEAD
from .test_proposal import assign as assign_proposal
from .test_proposal import handle as handle_proposal
from .test_proposal import review as review_proposal
from .test_proposal import sign_in as sign_in_proposal
from .test_proposal import submit as submit_proposal
from .test_suggestion import LEAD, SUGGESTION

ASSIST = "unit_civil"
PERSONS = {  # the role each one holds in the own case -> who
    "proposer": "deputy_wang", "co_signer": "deputy_li", "lead_unit": f"{LEAD}_clerk",
    "assisting_unit": f"{ASSIST}_clerk", "assigning_office": "liaison_clerk", "leader_in_charge": "congress_leader",
    "supervisor": "inspector", "designer": "designer_xu",
}
ACTIONS = ("see", "list", "record_communication", "answer_communication", "send_message", "read_internal_note",
           "download_internal_file", "start")
Y, N, F, NF, BAD = "yes", "no", "403", "404", "422"  # done / not shown / refused / does not exist / refused data

# README.md, "Who may do what": role -> action -> (own case, other case)
EXPECTED: dict[str, dict[str, tuple[str, str]]] = {
    "proposer": {"see": (Y, NF), "list": (Y, N), "record_communication": (F, NF), "answer_communication": (Y, NF),
                 "send_message": (F, NF), "read_internal_note": (N, NF), "download_internal_file": (NF, NF),
                 "start": (Y, F)},
    "co_signer": {"see": (Y, NF), "list": (Y, N), "record_communication": (F, NF), "answer_communication": (Y, NF),
                  "send_message": (F, NF), "read_internal_note": (N, NF), "download_internal_file": (NF, NF),
                  "start": (Y, F)},
    "lead_unit": {"see": (Y, NF), "list": (Y, N), "record_communication": (Y, NF), "answer_communication": (F, NF),
                  "send_message": (F, NF), "read_internal_note": (Y, NF), "download_internal_file": (Y, NF),
                  "start": (F, F)},
    "assisting_unit": {"see": (Y, NF), "list": (Y, N), "record_communication": (Y, NF),
                       "answer_communication": (F, NF), "send_message": (F, NF), "read_internal_note": (Y, NF),
                       "download_internal_file": (Y, NF), "start": (F, F)},
    "assigning_office": {"see": (Y, NF), "list": (Y, N), "record_communication": (Y, NF),
                         "answer_communication": (F, NF), "send_message": (F, NF), "read_internal_note": (Y, NF),
                         "download_internal_file": (Y, NF), "start": (Y, Y)},
    "leader_in_charge": {"see": (Y, NF), "list": (Y, N), "record_communication": (F, NF),
                         "answer_communication": (F, NF), "send_message": (F, NF), "read_internal_note": (Y, NF),
                         "download_internal_file": (Y, NF), "start": (F, F)},
    "supervisor": {"see": (Y, Y), "list": (Y, Y), "record_communication": (F, F), "answer_communication": (F, F),
                   "send_message": (F, F), "read_internal_note": (Y, Y), "download_internal_file": (Y, Y),
                   "start": (Y, F)},
    "designer": {"see": (NF, NF), "list": (N, N), "record_communication": (NF, NF), "answer_communication": (NF, NF),
                 "send_message": (NF, NF), "read_internal_note": (NF, NF), "download_internal_file": (NF, NF),
                 "start": (F, F)},
}

def contact_today() -> dict:
    """A communication dated today (a date before the assignment or in the future is refused)."""
    return {"method": "phone", "date": clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat(),
            "participants": "代表"}


def suggestion_in_handling(district: District) -> int:
    """Registered by the liaison office for deputy_wang, co-signed, assigned with a supervising leader, signed in."""
    case = district.start("liaison_clerk", "suggestion", SUGGESTION)
    district.complete("deputy_li", case, "confirm_cosign", {"cosign_agree": True})
    district.complete("liaison_clerk", case, "pre_review", {"review_outcome": "accept"})
    district.complete("liaison_clerk", case, "assign", {
        "category": "交通", "lead_unit": LEAD, "assist_unit_ids": ASSIST, "responsible_person": "张科长",
        "priority": True, "leader_congress": "congress_leader", "leader_government": "government_leader"})
    for unit in (LEAD, ASSIST):
        district.complete(f"{unit}_clerk", case, "sign_in_or_contest", {"sign_in_decision": "accept"})
    return case


def entries(district: District, case_id: int, author: str, name: str) -> tuple[int, int, int]:
    """(an internal comment, an internal file, a communication) written on the case by `author`."""
    ctx = district.ctx
    with ctx.db.session() as session:
        case, user = session.get(Case, case_id), identity.get_user(session, author)
        declared = ctx.declarations.for_case(case)
        note = notes.add_note(session, declared, user, case, notes.COMMENT, f"内部意见（{name}）")
        row = attachments.store(session, ctx.config, user, case, f"内部-{name}.txt", io.BytesIO("内部材料".encode()))
        contact = notes.add_note(session, declared, user, case, "contact_before", f"办前沟通（{name}）", contact_today())
        session.flush()
        return note.id, row.id, contact.id


def outcome(district: District, who: str, act: Callable) -> str:
    with district.ctx.db.session() as session:
        user = identity.get_user(session, who)
        try:
            result = act(session, user)
        except CaseworkError as err:
            session.rollback()
            return {403: F, 404: NF, 422: BAD}.get(err.status, str(err.status))
        session.rollback()  # the matrix looks, it does not change the cases
        return Y if result in (None, True) or not isinstance(result, bool) else N


def actions(district: District, case_id: int, internal: tuple[int, int, int]) -> dict[str, Callable]:
    ctx = district.ctx
    note_id, file_id, contact_id = internal

    def see(session, user):
        queries.get_case(session, user, case_id)

    def listed(session, user):
        return case_id in {c.id for c in queries.list_cases(session, user, limit=1000)}

    def record(session, user):
        case = queries.get_case(session, user, case_id)
        notes.add_note(session, ctx.declarations.for_case(case), user, case, "contact_during", "办中沟通", contact_today())

    def answer(session, user):
        case = queries.get_case(session, user, case_id)
        notes.answer_contact(session, ctx.declarations.for_case(case), user, case, contact_id, "confirmed")

    def message(session, user):
        runtime.send_message(ctx, session, user, "merged_reply", case_id, {"reply_text": "伪造", "result_class": "A"})

    def read_note(session, user):
        case = queries.get_case(session, user, case_id)
        limited = roles.public_only(session, ctx.declarations.for_case(case), user, case)
        return note_id in {n.id for n in notes.list_notes(session, case_id, [notes.COMMENT], public_only=limited)}

    def download(session, user):
        attachments.open_for(session, ctx.config, user, file_id, ctx.declarations)

    return {"see": see, "list": listed, "record_communication": record, "answer_communication": answer,
            "send_message": message, "read_internal_note": read_note, "download_internal_file": download}


def start_as(district: District, in_own_name: bool) -> Callable:
    def start(session, user):
        named = user.username if in_own_name else "deputy_zhao"
        runtime.start_case(district.ctx, session, user, "suggestion", "", {**SUGGESTION, "cosigners": [],
                                                                          "proposer": named})
    return start


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_permission_table_holds_in_every_cell(district: District, tmp_path):
    district.ctx.config = district.ctx.config.replace(uploads__attachments_dir=str(tmp_path / "files"))
    with district.ctx.db.session() as session:
        identity.add_user(session, "designer_xu", "secret-pw", ["designers"])
    own = suggestion_in_handling(district)
    other = submit_proposal(district, "member_chen")
    own_entries = entries(district, own, "liaison_clerk", "own")
    other_entries = entries(district, other, "committee_clerk", "other")
    checks = {"own": actions(district, own, own_entries), "other": actions(district, other, other_entries)}
    found: dict[str, dict[str, tuple[str, str]]] = {}
    for role, who in PERSONS.items():
        found[role] = {}
        for action in ACTIONS:
            if action == "start":
                cells = (outcome(district, who, start_as(district, True)),
                         outcome(district, who, start_as(district, False)))
            else:
                cells = tuple(outcome(district, who, checks[side][action]) for side in ("own", "other"))
            found[role][action] = cells
    cells = sum(len(v) * 2 for v in EXPECTED.values())
    assert cells == len(PERSONS) * len(ACTIONS) * 2 == 128
    wrong = [f"{role} {action}: expected {EXPECTED[role][action]}, found {found[role][action]}"
             for role in PERSONS for action in ACTIONS if found[role][action] != EXPECTED[role][action]]
    assert wrong == []


def test_the_participants_follow_the_case_data(district: District):
    case = suggestion_in_handling(district)
    with district.ctx.db.session() as session:
        held = roles.role_names(session, case)
    assert held == {"assigning_office": ["liaison_office"], "assisting_unit": [ASSIST], "co_signer": ["deputy_li"],
                    "lead_unit": [LEAD], "leader_in_charge": ["congress_leader", "government_leader"],
                    "proposer": ["deputy_wang"]}
    with district.ctx.db.session() as session:  # the proposer registered by the office sees the case
        user = identity.get_user(session, "deputy_wang")
        assert case in {c.id for c in queries.list_cases(session, user)}
        assert session.get(Case, case).started_by == "liaison_clerk"


def test_a_member_cannot_forge_the_reply_of_their_own_merged_proposal(district: District):
    """Hole 1: POST /messages merged_reply by the member closed the case with the forged reply."""
    main = submit_proposal(district, "member_chen")
    review_proposal(district, main)
    merged = submit_proposal(district, "member_liu")
    district.complete("committee_clerk", merged, "initial_review", {"initial_outcome": "pass"})
    district.complete("committee_clerk", merged, "re_review",
                      {"re_review_outcome": "pass", "review_units": PROPOSAL_LEAD})
    district.complete(f"{PROPOSAL_LEAD}_clerk", merged, "joint_review", {"joint_decision": "confirm"})
    district.complete("committee_clerk", merged, "review_decision",
                      {"review_outcome": "merge", "merged_into": district.case(main).number})
    assert district.case(merged).stage == "已并案"
    for who in ("member_liu", "committee_clerk", "inspector"):  # the member, the office, a supervisor: none
        with district.ctx.db.session() as session, pytest.raises(Forbidden):
            runtime.send_message(district.ctx, session, identity.get_user(session, who), "merged_reply", merged,
                                 {"reply_text": "伪造的答复", "result_class": "A"})
    got = district.case(merged)
    assert got.status == "running" and got.stage == "已并案" and "reply_text" not in got.data
    assert not district.events(merged, "message_received")
    # the engine still delivers the main proposal's real reply
    assign_proposal(district, main)
    sign_in_proposal(district, main, (PROPOSAL_LEAD,))
    handle_proposal(district, main)
    district.complete("committee_clerk", main, "review_reply", {"result_class": "B", "reply_review": "approve"})
    assert district.data(merged)["reply_text"] == "已纳入年度计划。"


def test_the_proposer_sees_only_the_entries_meant_for_them(district: District, tmp_path):
    district.ctx.config = district.ctx.config.replace(uploads__attachments_dir=str(tmp_path / "files"))
    case = suggestion_in_handling(district)
    ctx = district.ctx
    with ctx.db.session() as session:
        row, clerk = session.get(Case, case), identity.get_user(session, f"{LEAD}_clerk")
        declared = ctx.declarations.for_case(row)
        notes.add_note(session, declared, clerk, row, notes.COMMENT, "内部：经费待落实")
        notes.add_note(session, declared, clerk, row, notes.COMMENT, "已安排现场查看", public=True)
        notes.add_note(session, declared, identity.get_user(session, "deputy_wang"), row, notes.COMMENT, "请尽快")
        attachments.store(session, ctx.config, clerk, row, "内部测算.txt", io.BytesIO(b"internal"))
        attachments.store(session, ctx.config, clerk, row, "答复函.txt", io.BytesIO(b"public"), public=True)
    with ctx.db.session() as session:
        row = session.get(Case, case)
        declared = ctx.declarations.for_case(row)
        for who, bodies, files in (("deputy_wang", ["已安排现场查看", "请尽快"], ["答复函.txt"]),
                                   ("deputy_li", ["已安排现场查看", "请尽快"], ["答复函.txt"]),
                                   ("liaison_clerk", ["内部：经费待落实", "已安排现场查看", "请尽快"],
                                    ["内部测算.txt", "答复函.txt"])):
            user = identity.get_user(session, who)
            limited = roles.public_only(session, declared, user, row)
            assert [n.body for n in notes.list_notes(session, case, [notes.COMMENT], limited)] == bodies, who
            assert [f.file_name for f in attachments.list_for_case(session, case, limited)] == files, who
            events = roles.visible_events(queries.case_history(session, case), limited)
            assert [e.message for e in events if e.kind == "attachment_added"] == files, who


def test_the_proposer_confirms_or_disputes_a_communication_but_cannot_record_one(district: District):
    """Hole 3: the deputy recorded the unit's communications and unlocked its reply."""
    case = suggestion_in_handling(district)
    for kind in ("contact_before", "contact_during"):
        with district.ctx.db.session() as session, pytest.raises(Forbidden):
            row = session.get(Case, case)
            notes.add_note(session, district.ctx.declarations.for_case(row), identity.get_user(session, "deputy_wang"),
                           row, kind, "我自己记的沟通", contact_today())
    district.complete(f"{ASSIST}_clerk", case, "assist_opinion", {"assist_opinion_text": "建议配备志愿者协管"})
    district.complete(f"{LEAD}_clerk", case, "handle_suggestion", {"handling_summary": "现场调研"})
    with pytest.raises(Invalid):  # the gate stays closed
        district.complete(f"{LEAD}_clerk", case, "draft_reply", {
            "reply_doc_no": "1", "reply_text": "答复", "result_class": "A", "reply_signer": "李局长"})
    district.note(f"{LEAD}_clerk", case, "contact_before", "了解代表意图")
    with district.ctx.db.session() as session:
        row, deputy = session.get(Case, case), identity.get_user(session, "deputy_wang")
        declared = district.ctx.declarations.for_case(row)
        contact = session.query(CaseNote).filter_by(case_id=case, kind="contact_before").one()
        with pytest.raises(Invalid):  # a dispute says what was not so
            notes.answer_contact(session, declared, deputy, row, contact.id, "disputed")
        notes.answer_contact(session, declared, deputy, row, contact.id, "disputed", "没有上门，只打了电话")
        notes.answer_contact(session, declared, identity.get_user(session, "deputy_li"), row, contact.id, "confirmed")
    with district.ctx.db.session() as session:
        answers = session.query(CaseNote).filter_by(case_id=case, kind="contact_before").one().data["answers"]
    assert {who: a["answer"] for who, a in answers.items()} == {"deputy_wang": "disputed", "deputy_li": "confirmed"}
    assert [e.actor for e in district.events(case, "contact_answered")] == ["deputy_wang", "deputy_li"]


def test_a_disputed_communication_no_longer_opens_the_reply_and_its_recorder_is_told(district: District):
    """A deputy's dispute changed nothing: the record still satisfied the gate and nobody heard of it."""
    from engine.store import OutboxMessage

    case = suggestion_in_handling(district)
    district.complete(f"{ASSIST}_clerk", case, "assist_opinion", {"assist_opinion_text": "建议配备志愿者协管"})
    district.complete(f"{LEAD}_clerk", case, "handle_suggestion", {"handling_summary": "现场调研"})
    district.note(f"{LEAD}_clerk", case, "contact_before", "了解代表意图")
    district.note(f"{LEAD}_clerk", case, "contact_during", "通报办理进展")
    reply = {"reply_doc_no": "1", "reply_text": "答复", "result_class": "A", "reply_signer": "李局长"}
    with district.ctx.db.session() as session:
        row, deputy = session.get(Case, case), identity.get_user(session, "deputy_wang")
        contact = session.query(CaseNote).filter_by(case_id=case, kind="contact_during").one()
        notes.answer_contact(session, district.ctx.declarations.for_case(row), deputy, row, contact.id,
                             "disputed", "没有通报过进展", ctx=district.ctx)
    with district.ctx.db.session() as session:
        told = session.query(OutboxMessage).filter_by(kind="contact_disputed").all()
    assert [(m.recipient, m.channel) for m in told] == [(f"{LEAD}_clerk", "in_app")]
    assert "没有通报过进展" in told[0].body
    with pytest.raises(Invalid) as refused:
        district.complete(f"{LEAD}_clerk", case, "draft_reply", reply)
    assert [d["field"] for d in refused.value.details] == ["contact_during"]
    district.note(f"{LEAD}_clerk", case, "contact_during", "电话通报办理进展，代表表示认可")
    district.complete(f"{LEAD}_clerk", case, "draft_reply", reply)  # recorded again: the gate opens
