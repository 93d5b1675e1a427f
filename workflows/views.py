"""How a case of each type reads as a document: its sections in the order a clerk thinks (提出 / 审查 /
交办 / 办理 / 沟通 / 答复 / 测评 / 落实), and for each variable shown its label in Chinese and English and
how its value reads (a unit, a person, a date, an option, a small table of records).

A variable that is not declared here is never shown: the settings a case carries (working days, months,
rounds) and the engine's own variables stay out of the case page. Where a form field gives the variable a
label, the Chinese label is the form's (without its filling hint in full-width brackets), so the designer's
wording is the page's; `zh` here is for the variables no form names. The same declaration serves the case
page and the task page's case summary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .option_names import OPTION_EN

# how a value reads; the web layer turns each kind into text
TEXT, LONG, DATE, WHEN, BOOL, OPTION, GROUP, GROUPS, USER, USERS, MONTHS, ROUND, RECORDS = (
    "text", "long", "date", "when", "bool", "option", "group", "groups", "user", "users", "months", "round",
    "records")


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    kind: str = TEXT
    options: str | None = None  # a name in OPTIONS


@dataclass(frozen=True)
class Item:
    key: str
    en: str
    kind: str = TEXT
    zh: str | None = None  # None: the form field's label
    options: str | None = None  # a name in OPTIONS; without it an option reads as its form's name
    columns: tuple[Column, ...] = ()


@dataclass(frozen=True)
class Section:
    key: str
    zh: str
    en: str
    items: tuple[Item, ...] = field(default_factory=tuple)


def label(item: Item | Column, english: bool, form_label: str | None = None) -> str:
    if english:
        return item.en
    if isinstance(item, Item) and item.zh is None and form_label:
        return clean_form_label(form_label)
    return item.zh or item.en


def clean_form_label(text: str) -> str:
    """A form label without the filling hint a form puts after it: 主办单位（单位编码，如 …） -> 主办单位."""
    return re.sub(r"[（(][^）)]*[）)]\s*$", "", text).strip() or text


# option names in both languages, for the values a form does not name (records, handler results)
OPTIONS: dict[str, dict[str, tuple[str, str]]] = {
    "level": {"pre_review": ("审核把关", "Pre-review"), "reply_review": ("答复审核", "Reply review"),
              "initial": ("初审", "Initial review"), "re_review": ("再审", "Second review"),
              "joint": ("部门联审", "Joint review"), "decision": ("立案审定", "Decision"),
              "directors": ("主任会议复核", "Directors' second look")},
    "outcome": {"accept": ("同意", "Accepted"), "return": ("退回修改", "Returned"), "approve": ("答复合格", "Approved"),
                "poor": ("答复质量不高", "Poor reply"), "pass": ("通过", "Passed"), "reject": ("不立案", "Rejected"),
                "merge": ("并案", "Merged"), "withdraw": ("撤案", "Withdrawn"), "confirm": ("同意承办", "Confirmed"),
                "object": ("有异议", "Objected")},
    "decision": {"accept": ("签收", "Signed in"), "contest": ("退回", "Contested"), "agree": ("同意", "Agreed"),
                 "object": ("有不同意见", "Objected"), "confirm": ("同意承办", "Confirmed")},
    "role": {"lead": ("主办", "Lead"), "assist": ("协办", "Assisting"), "split": ("分办", "Split")},
    # where a split unit's part (分办) stands
    "part_state": {"待签收": ("待签收", "Awaiting sign-in"), "办理中": ("办理中", "Being handled"),
                   "待审核答复": ("待审核答复", "Reply under review"),
                   "已答复": ("已答复，待测评", "Replied, to be evaluated"),
                   "二次办理": ("二次办理", "Handled again"), "已测评": ("已测评，待定公开方式", "Evaluated"),
                   "已办结": ("已办结", "Closed")},
    "satisfaction": {"satisfied": ("满意", "Satisfied"), "basically_satisfied": ("基本满意", "Basically satisfied"),
                     "unsatisfied": ("不满意", "Unsatisfied")},
    "result_class": {"A": ("A类：已解决或基本解决", "A: solved or mostly solved"),
                     "B": ("B类：正在解决或列入计划解决", "B: being solved or planned"),
                     "C": ("C类：因条件限制暂时难以解决", "C: not possible for now, explained"),
                     "D": ("D类：留作参考", "D: kept for reference")},
    "ground": {"empty": ("—", "—"), "outside_authority": ("超出本级政府职权范围", "Outside the district's authority"),
               "settled": ("已有定论或已经解决", "Already settled"),
               "against_law": ("与法律、政策相违背", "Against law or policy"),
               "unbudgetable": ("需追加财力投资但难以安排", "Needs funds that cannot be found"),
               "personal": ("属个人事务", "A personal matter"), "litigation": ("涉及诉讼案件", "In litigation")},
    "disclosure": {"full": ("全文公开", "Published in full"), "summary": ("摘要公开", "Summary published"),
                   "withheld": ("不公开", "Not published")},
    "submission_kind": {"individual": ("个人", "Individual"), "joint": ("联名", "Joint"),
                        "collective": ("集体", "Collective")},
    "forward": {"social_conditions": ("社情民意信息", "Public opinion report"), "letter": ("来信", "Letter"),
                "none": ("不同意转送", "Not forwarded")},
    "second_look": {"uphold": ("维持不立案", "Rejection upheld"), "overturn": ("改为立案", "Accepted after all")},
    "collective_check": {"sealed": ("已加盖单位公章", "Sealed"),
                         "unsealed": ("未加盖公章，退回补正", "Not sealed, returned")},
    "revise_action": {"resubmit": ("修改后重新提交", "Revised and resubmitted"), "withdraw": ("撤回建议", "Withdrawn")},
    "category": {"教育": ("教育", "Education"), "交通": ("交通", "Transport"), "城建": ("城建", "Urban construction"),
                 "卫生": ("卫生", "Health"), "民政": ("民政", "Civil affairs"), "环保": ("环保", "Environment")},
}

AT = Column("at", "时间", "When", WHEN)
REASON = Column("reason", "意见或理由", "Opinion or reason")
UNIT = Column("unit", "单位", "Unit", GROUP)

# ---------------------------------------------------------------------------- the shared parts
_PROPOSED = (
    Item("body", "Content", LONG),
    Item("category", "Category", OPTION, zh="类别", options="category"),
    Item("session_label", "Session", zh="届次"),
    Item("in_session", "Raised during the plenary session", BOOL, zh="会时提出"),
    Item("submitted_at", "Submitted", WHEN, zh="提出时间"),
)
_ASSIGNED = (
    Item("lead_unit", "Lead unit", GROUP, zh="主办单位"),
    Item("assist_units", "Assisting units", GROUPS, zh="协办单位"),
    Item("responsible_person", "Responsible person", zh="责任人"),
    Item("responsible_contact", "Contact", zh="联系电话"),
    Item("assign_note", "Assignment note", LONG),
    Item("assigned_at", "Assigned", WHEN, zh="交办时间"),
    Item("reply_due", "Reply due", DATE, zh="答复期限"),
    Item("priority", "Key case", BOOL, zh="重点督办"),
    Item("leader_congress", "Leader in charge (congress)", USER, zh="包案领导（人大）"),
    Item("leader_cppcc", "Supervising leader (CPPCC)", USER, zh="领衔督办的政协领导"),
    Item("leader_government", "Leader in charge (government)", USER, zh="包案领导（政府）"),
    Item("assignments", "Assignments", RECORDS, zh="交办记录", columns=(
        Column("lead_unit", "主办单位", "Lead unit", GROUP), Column("assist_units", "协办单位", "Assisting", GROUPS),
        Column("responsible_person", "责任人", "Responsible"), Column("assigned_at", "交办时间", "Assigned", WHEN),
        Column("reply_due", "答复期限", "Reply due", DATE))),
    Item("split_units", "Split units (each answers its part)", GROUPS, zh="分办单位"),
    Item("parts", "Parts of a split assignment", RECORDS, zh="分办情况", columns=(
        UNIT, Column("state", "办理状态", "State", OPTION, "part_state"),
        Column("reply_doc_no", "答复文号", "Document number"),
        Column("result_class", "答复类别", "Result class", OPTION, "result_class"),
        Column("replied_at", "答复时间", "Replied", WHEN), Column("reply_due", "答复期限", "Reply due", DATE),
        Column("satisfaction_work", "办理工作评价", "The work", OPTION, "satisfaction"),
        Column("satisfaction_result", "办理结果评价", "The result", OPTION, "satisfaction"),
        Column("disclosure", "公开方式", "Disclosure", OPTION, "disclosure"))),
    Item("sign_ins", "Sign-ins", RECORDS, zh="签收", columns=(
        UNIT, Column("role", "承办方式", "Role", OPTION, "role"),
        Column("decision", "签收意见", "Decision", OPTION, "decision"), REASON, AT)),
    Item("contest_reason", "Reason a unit gave back the case", LONG),
)
_HANDLED = (
    Item("handling_summary", "How it was handled", LONG),
    Item("consult_date", "Consultation date", DATE),
    Item("consult_participants", "Consultation participants"),
    Item("consult_summary", "Consultation opinion", LONG),
    Item("investigation_summary", "Investigation", LONG),
    Item("member_view", "Member's view", LONG),
    Item("member_view_date", "Asked on", DATE),
    Item("assist_opinions", "Assisting units' opinions", RECORDS, zh="协办意见", columns=(
        UNIT, Column("opinion", "意见", "Opinion"), Column("submitted_at", "提出时间", "Given", WHEN))),
    Item("countersigns", "Countersignatures", RECORDS, zh="会签", columns=(
        UNIT, Column("decision", "会签意见", "Decision", OPTION, "decision"), Column("comment", "说明", "Comment"),
        Column("signed_at", "会签时间", "Signed", WHEN))),
    Item("extension_reason", "Reason for the extension", LONG),
    Item("extension_months", "Extension granted", MONTHS, zh="批准延期"),
)
_REPLIED = (
    Item("reply_doc_no", "Reply document number", zh="答复文号"),
    Item("reply_text", "Reply", LONG, zh="答复内容"),
    Item("result_class", "Result class", OPTION, zh="答复类别", options="result_class"),
    Item("reply_signer", "Signed by", zh="签发人"),
    Item("replied_at", "Replied", WHEN, zh="答复时间"),
    Item("replied_on_time", "Replied on time", BOOL, zh="按期答复"),
    Item("face_reply", "Face-to-face reply by the head", BOOL, zh="主要负责人面复"),
    Item("face_reply_by", "Face reply given by", zh="面复人"),
    Item("face_reply_date", "Face reply date", DATE, zh="面复日期"),
    Item("face_reply_place", "Face reply place", zh="面复地点"),
    Item("three_party_meeting", "Three-party meeting", BOOL),
    Item("leader_reply_opinion", "The supervising leader's opinion", LONG, zh="督办领导意见"),
    Item("leader_reviews", "The supervising leader's reading of the reply", RECORDS, zh="督办领导审阅答复", columns=(
        Column("leader", "督办领导", "Leader", USER), Column("opinion", "意见", "Opinion"), AT)),
    Item("rehandling_replies", "Replies after re-handling", RECORDS, zh="二次答复", columns=(
        Column("round", "轮次", "Round", ROUND), Column("reply_doc_no", "答复文号", "Document number"),
        Column("result_class", "答复类别", "Result class", OPTION, "result_class"),
        Column("replied_at", "答复时间", "Replied", WHEN))),
)
_EVALUATED = (
    Item("evaluations", "Evaluations", RECORDS, zh="满意度测评", columns=(
        Column("round", "轮次", "Round", ROUND), Column("work", "办理工作", "The work", OPTION, "satisfaction"),
        Column("result", "办理结果", "The result", OPTION, "satisfaction"), Column("comment", "意见和建议", "Comment"),
        AT)),
    Item("rehandling_reason", "Why it is handled again", LONG),
    Item("round_leader_body", "This round's leader (congress, CPPCC)", USER, zh="本轮包案领导（人大／政协）"),
    Item("round_leader_government", "This round's leader in charge (government)", USER, zh="本轮包案领导（政府）"),
    Item("leaders_in_charge", "Leaders in charge of earlier rounds", USERS, zh="此前各轮包案领导"),
    Item("supervision_opinion", "Supervision opinion", LONG),
    Item("interview_date", "Interview date", DATE),
    Item("interview_summary", "Interview", LONG),
    Item("joint_partner", "Joint supervision"),
    Item("rehandling_review_note", "Review of the second reply", LONG, zh="二次答复审核意见"),
)

SUGGESTION = (
    Section("proposed", "提出", "Raised", (
        Item("proposer", "Lead deputy", USER, zh="领衔代表"),
        Item("cosigners", "Co-signing deputies", USERS, zh="联名代表"),
        *_PROPOSED,
        Item("cosign_requests", "Co-signatures", RECORDS, zh="联名确认", columns=(
            Column("cosigner", "联名代表", "Deputy", USER), Column("agreed", "同意", "Agreed", BOOL),
            Column("comment", "意见", "Comment"), AT)),
        Item("withdraw_reason", "Reason for withdrawing", LONG),
        Item("withdrawn_at", "Withdrawn", WHEN, zh="撤回时间"))),
    Section("reviewed", "审查", "Review", (
        Item("review_office", "Reviewing office", GROUP, zh="审查机构"),
        Item("review_records", "Review records", RECORDS, zh="审查记录", columns=(
            Column("level", "环节", "Step", OPTION, "level"), Column("outcome", "结论", "Outcome", OPTION, "outcome"),
            REASON, Column("ground", "退回原因", "Ground", OPTION, "ground"),
            Column("result_class", "答复类别", "Result class", OPTION, "result_class"), AT)),
        Item("disclosure", "Disclosure", OPTION, options="disclosure"),
        Item("disclosure_reason", "Reason for not publishing in full", LONG),
        Item("merged_into", "Merged into"), Item("main_case", "Handled with", zh="并入的建议"))),
    Section("assigned", "交办", "Assignment", (
        Item("assigning_office", "Assigning office", GROUP, zh="交办机构"), *_ASSIGNED)),
    Section("handled", "办理", "Handling", _HANDLED),
    Section("communications", "沟通", "Communications"),
    Section("replied", "答复", "Reply", _REPLIED),
    Section("evaluated", "测评", "Evaluation", _EVALUATED),
    Section("implemented", "落实", "Implementation", (
        Item("checklist", "Implementation checklist", RECORDS, zh="落实清单", columns=(
            Column("milestone", "节点任务", "Milestone"), Column("due", "计划完成", "Due", DATE),
            Column("done", "已销号", "Done", BOOL), Column("done_at", "销号时间", "Done on", WHEN),
            Column("result", "完成情况", "Result"))),
        Item("target_date", "Target date", DATE),
        Item("plan_name", "Listed in plan"), Item("plan_measures", "Measures", LONG),
        Item("plan_due", "Planned solution date", DATE), Item("progress_note", "Progress", LONG),
        Item("plan_solved", "Solved", BOOL),
        Item("implemented", "Implemented", BOOL, zh="建议已落实"), Item("confirm_leader", "Confirmed with"),
        Item("confirm_summary", "Confirmed implementation", LONG),
        Item("closed_at", "Closed", WHEN, zh="办结时间"))),
)

PROPOSAL = (
    Section("proposed", "提出", "Raised", (
        Item("proposer", "Proposer", USER, zh="提案人"), Item("cosigners", "Co-signing members", USERS, zh="联名委员"),
        Item("submission_kind", "How it was raised", OPTION, options="submission_kind"),
        Item("collective_org", "Proposing organisation"),
        *_PROPOSED,
        Item("cosign_requests", "Co-signatures", RECORDS, zh="联名确认", columns=(
            Column("cosigner", "联名委员", "Member", USER), Column("agreed", "同意", "Agreed", BOOL),
            Column("comment", "意见", "Comment"), AT)),
        Item("collective_check", "Seal check", OPTION, options="collective_check"),
        Item("submission_problem", "Why it was returned for revision", LONG))),
    Section("reviewed", "审查", "Review", (
        Item("review_office", "Reviewing office", GROUP, zh="审查机构"),
        Item("review_records", "Review records", RECORDS, zh="审查记录", columns=(
            Column("level", "环节", "Step", OPTION, "level"), Column("outcome", "结论", "Outcome", OPTION, "outcome"),
            REASON, Column("reviewer", "审查方", "Reviewed by", GROUP), AT)),
        Item("reviewed_at", "Decided", WHEN, zh="审定时间"),
        Item("reject_ground", "Ground for rejection", OPTION),
        Item("merged_into", "Merged into"), Item("main_case", "Handled with", zh="并入的提案"),
        Item("forward_consent", "Forwarding consent", OPTION, options="forward"),
        Item("forward_to", "Forwarded to"), Item("forward_date", "Forwarded on", DATE))),
    Section("assigned", "交办", "Assignment", (*_ASSIGNED,)),
    Section("handled", "办理", "Handling", _HANDLED),
    Section("communications", "沟通", "Communications"),
    Section("replied", "答复", "Reply", (
        *_REPLIED, Item("reply_review_comment", "Review of the reply", LONG, zh="答复审核意见"))),
    Section("evaluated", "测评", "Evaluation", _EVALUATED),
    Section("implemented", "落实", "Results", (
        Item("adopted_results", "Results adopted", LONG), Item("outstanding", "Outstanding proposal", BOOL),
        Item("exemplary_case", "Exemplary case", BOOL), Item("closed_at", "Closed", WHEN, zh="办结时间"))),
)

PRESENTATIONS: dict[str, tuple[Section, ...]] = {"suggestion": SUGGESTION, "proposal": PROPOSAL}

# form fields that hold units or people as codes: not on the case page (the values they lead to are), but
# read by name where the timeline shows what a form sent
TIMELINE_ONLY = (
    Item("assist_unit_ids", "Assisting units", GROUPS), Item("review_units", "Units in the joint review", GROUPS),
    Item("split_unit_ids", "Split units", GROUPS),
    Item("contested_by", "Units that gave it back", GROUPS), Item("cosigners_text", "Co-signers", USERS),
)

# the stage a case is at (case.stage, set by the handlers in Chinese) in English
STAGES_EN = {
    "待提交": "Awaiting submission", "待联名确认": "Awaiting co-signatures", "待审核": "Under review",
    "退回修改": "Returned for revision", "待交办": "Awaiting assignment", "待签收": "Awaiting sign-in",
    "办理中": "Being handled", "待审核答复": "Reply under review", "已答复": "Replied", "待测评": "Awaiting evaluation",
    "已测评": "Evaluated", "二次办理": "Handled again", "联合督办": "Joint supervision", "落实中": "Being implemented",
    "已办结": "Closed", "不立案": "Not accepted", "已撤回": "Withdrawn", "并案办结": "Closed with the merged case",
    "已并案": "Merged", "延期审批中": "Extension under approval", "未测评": "Not evaluated",
}

# English labels of the form fields the timeline shows that the sections above do not declare (the models
# give Chinese labels only)
FIELD_EN = {
    "face_reply_role": "Face reply given by", "disclosure": "Disclosure",
    "disclosure_reason": "Why not published in full",
    "joint_requested": "Hard case: ask for joint city-district supervision",
    "joint_participants": "City and district deputies (members) taking part",
    "joint_partner": "Form of joint supervision",
    "onsite_date": "On-site meeting date", "onsite_meeting": "On-site meeting held",
    "onsite_summary": "Agreed at the on-site meeting", "acceptance_date": "On-site acceptance date",
    "acceptance_confirmed": "Implemented as the reply said", "acceptance_comment": "Acceptance comment",
    "arbitration_decision": "Arbitration", "arbitration_reason": "Arbitration opinion",
    "milestone_status": "Milestone status", "milestone_new_due": "New milestone date (if delayed)",
    "rework_due": "New milestone date", "rework_milestone": "What is still to be implemented",
    "rework_result": "Implementation result", "next_follow_up": "Next follow-up date",
    "initial_outcome": "Initial review", "initial_reason": "Reason", "re_review_outcome": "Second review",
    "re_review_reason": "Reason", "review_outcome": "Review outcome", "review_reason": "Review opinion",
    "return_ground": "Ground for returning", "reply_review": "Reply review", "reply_review_outcome": "Reply review",
    "reply_review_note": "Review opinion", "reply_review_comment": "Comment", "sign_in_decision": "Sign-in",
    "joint_decision": "Joint review", "joint_reason": "Reason", "cosign_decision": "Co-signature",
    "cosign_agree": "Agrees to co-sign", "cosign_comment": "Comment", "countersign_decision": "Countersignature",
    "countersign_comment": "Comment", "assist_opinion_text": "Assisting opinion", "deadline_months": "Months to reply",
    "revise_action": "What to do", "second_look": "Second look", "second_look_reason": "Opinion",
    "satisfaction_work": "The handling work", "satisfaction_result": "The result", "evaluation_comment": "Comment",
    "interview": "Interview the unit's head", "interviewed": "Interviewed", "milestone_result": "Result",
    "milestones": "Milestones", "collective_check_reason": "Note", "extension_decision": "Extension decision",
    "extension_comment": "Note", "extension_months_granted": "Months granted",
    "extension_months_requested": "Months requested", "handling_action": "Action", "forward_as": "Forward as",
    "inspection_date": "Inspection date", "joint_findings": "Findings", "withdraw_reason": "Reason for withdrawing",
    "title": "Title", "cosigners_text": "Co-signers", "proposer_name": "Lead deputy",
}

# what the files sent with a task's form are, by the task's element id; other tasks: attachments
UPLOADS: dict[str, tuple[str, str]] = {
    "draft_reply": ("答复函（盖章扫描件）", "Reply letter (sealed scan)"),
    "handle_suggestion": ("办理过程材料", "Handling documents"),
    "investigate": ("调研材料、现场照片", "Investigation notes, site photos"),
    "consult": ("会商纪要", "Consultation minutes"),
    "head_face_reply": ("面复记录、照片", "Face-reply record, photos"),
    "countersign": ("会签意见", "Countersignature"),
    "submit_proposal": ("提案附件（调研报告等）", "Supporting documents"),
    "verify_collective": ("盖章件", "Sealed copy"),
    "close_milestone": ("节点完成材料", "Milestone evidence"),
    "confirm_implementation": ("落实情况材料", "Implementation evidence"),
    "record_results": ("成果材料", "Results evidence"),
    "joint_supervision": ("督办材料、现场照片", "Supervision notes, site photos"),
    "interview_head": ("约谈记录", "Interview record"),
}
UPLOAD_DEFAULT = ("附件", "Attachments")


def field_label_en(key: str) -> str | None:
    return FIELD_EN.get(key)


def stage_name(stage: str | None, english: bool) -> str | None:
    if not stage or not english:
        return stage
    return STAGES_EN.get(stage, stage)


def upload_label(element_id: str, english: bool) -> str:
    zh, en = UPLOADS.get(element_id, UPLOAD_DEFAULT)
    return en if english else zh


def option_name(options: str | None, value: object, english: bool) -> str | None:
    names = OPTIONS.get(options or "", {}).get(str(value))
    return None if names is None else names[1 if english else 0]


def option_en(name: str) -> str | None:
    """The English name of a form option the models name in Chinese (workflows.option_names)."""
    return OPTION_EN.get(name)
