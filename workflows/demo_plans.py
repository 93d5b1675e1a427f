"""What happens to each demo case: who submits it on which day of the demo year, and how each person
answers the tasks that reach them (read by workflows.demo_cases, which plays them through the models).

A plan names the element where its case stops (`hold`, or `element#n` for the n-th time that task comes
up) so that today's picture has cases waiting at every stage; `slow` makes someone take longer than
usual; `choices` overrides a form field's usual answer (a list: one answer per time the task comes up).
Days count from the start of the demo year, in the week of the plenary sessions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .demo_people import DEPUTIES, MEMBERS, UNITS

# days after a task appears until its person does it (unless a plan says otherwise)
DELAYS: dict[str, int] = {
    "confirm_cosign": 1, "pre_review": 3, "revise": 5, "assign": 4, "sign_in_or_contest": 2,
    "assist_opinion": 18, "handle_suggestion": 25, "consult": 8, "investigate": 20, "ask_member_view": 10,
    "draft_reply": 15, "countersign": 4, "head_face_reply": 6, "review_reply": 4, "review_part_reply": 4,
    "disclose": 2, "disclose_part": 2, "evaluate": 10,
    "take_charge": 3, "interview_head": 5, "review_rehandled": 4, "joint_supervision": 10, "plan_checklist": 5,
    "close_milestone": 20, "list_in_plan": 5, "follow_up_plan": 30, "acceptance": 5, "confirm_implementation": 7,
    "submit_proposal": 1, "verify_collective": 3, "initial_review": 3, "re_review": 10, "joint_review": 5,
    "review_decision": 3, "directors_second_look": 5, "notify_rejection": 4, "forward_rejected": 3,
    "assign_proposal": 4, "choose_key_proposal": 5, "record_results": 10,
    "name_leaders": 2, "leader_review_reply": 3, "evaluate_merged": 8,
}
STAGGERED = {"close_milestone"}  # the n-th of these is done n times the delay after it appeared

SUGGESTION_SESSION = {"term": 18, "session": 3, "session_label": "十八届人大三次会议"}
PROPOSAL_SESSION = {"term": 10, "session": 3, "session_label": "区政协十届三次会议"}
RATING = {"s": "satisfied", "b": "basically_satisfied", "u": "unsatisfied"}
REPLIES = {
    "A": "经研究，所提问题已解决：已完成设施建设并投入使用，群众反映良好。",
    "B": "所提问题正在解决，已列入今年工作计划，预计年底前完成。",
    "C": "因受规划和资金条件限制，目前难以解决，已作说明，待条件成熟时推进。",
    "D": "所提意见留作参考，将在今后工作中研究借鉴。",
}


@dataclass
class Plan:
    key: str  # suggestion or proposal
    day: int
    title: str
    proposer: str
    category: str
    lead: str | None = None
    assist: list[str] = field(default_factory=list)
    split: list[str] = field(default_factory=list)  # 分办: units answering a part each beside the lead
    result_class: str = "A"
    face: bool = True
    ratings: str = "ss"  # work and result per evaluation round: s, b or u
    cosigners: list[str] = field(default_factory=list)
    hold: str | None = None
    slow: dict[str, int] = field(default_factory=dict)
    choices: dict[str, Any] = field(default_factory=dict)
    first_lead: str | None = None  # assigned first to this unit, which contests the assignment
    interview: bool = False
    priority: bool = False
    solved_after: int = 1  # follow-ups of a class C plan until it is solved
    merge_into: str | None = None  # the title of the proposal this one is merged into
    collective_org: str = ""

    def holds(self, element: str, occurrence: int) -> bool:
        if self.hold is None:
            return False
        name, _, nth = self.hold.partition("#")
        return name == element and (not nth or int(nth) == occurrence)

    def proposer_name(self) -> str:
        return {**DEPUTIES, **MEMBERS}.get(self.proposer, self.proposer)

    @property
    def submission_kind(self) -> str:
        return "collective" if self.collective_org else "joint" if self.cosigners else "individual"

    def body(self) -> str:
        topic = self.title.removeprefix("关于").removesuffix("的建议").removesuffix("的提案")
        return (f"近年来，{topic}问题群众反映较多。经走访调研，现有措施仍不能满足需要。"
                f"建议有关部门统筹研究，明确责任和时限，切实{topic}。")

    def start_data(self) -> dict[str, Any]:
        session = SUGGESTION_SESSION if self.key == "suggestion" else PROPOSAL_SESSION
        data = {"title": self.title, "body": self.body(), "category": self.category, "proposer": self.proposer,
                "proposer_name": self.proposer_name(), "cosigners": list(self.cosigners),
                "in_session": self.day <= 6, **session}
        if self.key == "proposal":
            data.update(submission_kind=self.submission_kind, collective_org=self.collective_org)
        return data

    def rating(self, occurrence: int) -> tuple[str, str]:
        pair = self.ratings[2 * (occurrence - 1): 2 * occurrence] or self.ratings[-2:]
        return RATING[pair[0]], RATING[pair[1]]

    def choice(self, name: str, occurrence: int, usual: Any) -> Any:
        value = self.choices.get(name, usual)
        if isinstance(value, list):
            return value[min(occurrence, len(value)) - 1]
        return value

    def contacts_before(self, element: str, occurrence: int) -> list[tuple[str, str]]:
        """The communications with the proposer the unit records before doing this task (四沟通)."""
        name = self.proposer_name()
        if element in ("handle_suggestion", "consult") and (occurrence == 1 or self.split):
            return [("contact_before", f"上门走访{name}，了解具体诉求和现场情况。")]
        if element == "draft_reply":
            again = "（二次办理）" if occurrence > 1 else ""
            return [("contact_during", f"电话向{name}通报办理进展{again}，听取意见。")]
        if element == "head_face_reply":
            place = "代表联络站" if self.key == "suggestion" else "区政协"
            return [("contact_at_reply", f"在{place}当面答复{name}，征求意见。")]
        if element == "confirm_implementation":
            return [("contact_after", f"人大领导、单位负责人与{name}共同到现场确认落实情况。")]
        return []


def head_name(unit: str | None) -> str:
    return UNITS[unit][3] if unit in UNITS else ""


def task_data(plan: Plan, element: str, occurrence: int, data: dict[str, Any], now: datetime, row: Any,
              number_of: Callable[[str], str]) -> dict[str, Any]:
    """The form values the person fills in for this task (the plan's choices win)."""
    answer = _usual(plan, element, occurrence, data, now, row, number_of)
    return {name: plan.choice(name, occurrence, value) for name, value in answer.items()}


def _usual(plan: Plan, element: str, occurrence: int, data: dict[str, Any], now: datetime, row: Any,
           number_of: Callable[[str], str]) -> dict[str, Any]:
    today = now.date().isoformat()
    unit = (row.candidate_groups or [""])[0]
    lead = plan.first_lead if plan.first_lead and occurrence == 1 else plan.lead
    contest = plan.first_lead == unit and occurrence == 1
    assign = {"category": plan.category, "lead_unit": lead, "assist_unit_ids": ",".join(plan.assist),
              "responsible_person": head_name(lead), "deadline_months": 3,
              **({"split_unit_ids": ",".join(plan.split)} if plan.split else {})}
    replying = unit if plan.split and unit in UNITS else plan.lead  # a split part is answered by its own unit
    reply_no = f"{UNITS[replying][1]}复〔{now.year}〕{10 + plan.day % 80}号" if replying else ""
    work, result = plan.rating(occurrence)
    proposal = plan.key == "proposal"
    if element == "sign_in_or_contest":
        if contest:
            return {"sign_in_decision": "contest",
                    "contest_reason": f"不属于本单位职责，建议交由{UNITS[plan.lead][0]}主办"}
        return {"sign_in_decision": "accept"}
    if element == "evaluate":
        return {"satisfaction_work": work, "satisfaction_result": result,
                "evaluation_comment": "问题没有实质解决" if "unsatisfied" in (work, result) else "感谢认真办理"}
    if element == "confirm_cosign":
        return {"cosign_decision": "confirm"} if proposal else {"cosign_agree": True, "cosign_comment": "同意联名"}
    if element == "review_reply" and proposal:
        return {"reply_review": "approve", "result_class": data.get("result_class") or plan.result_class,
                "reply_review_comment": "同意"}
    answers: dict[str, dict[str, Any]] = {
        # suggestions
        "pre_review": {"review_outcome": "accept", "return_ground": "empty", "review_reason": "符合建议要求"},
        "revise": {"revise_action": "resubmit", "withdraw_reason": ""},
        # a key suggestion: a congress leader and a government leader take charge (包案), picked from the directory
        "assign": {**assign, "priority": plan.priority, "leader_congress": "congress_leader" if plan.priority else "",
                   "leader_government": "gov_leader" if plan.priority else ""},
        "review_reply": {"reply_review_outcome": "approve", "result_class": data.get("result_class") or
                         plan.result_class, "reply_review_note": "同意", "joint_requested": False},
        "review_part_reply": {"reply_review_outcome": "approve", "result_class": plan.result_class,
                              "reply_review_note": "同意本单位部分的答复", "joint_requested": False},
        "disclose": {"disclosure": "full"},
        "disclose_part": {"disclosure": "full"},
        "plan_checklist": {"target_date": (now.date() + timedelta(days=75)).isoformat(),
                           "milestones": "制定实施方案\n组织实施\n验收并销号"},
        "close_milestone": {"milestone_status": "done", "milestone_result": "已按期完成",
                            "milestone_new_due": (now.date() + timedelta(days=30)).isoformat()},
        "list_in_plan": {"plan_name": f"{now.year + 1}年度重点工作计划", "plan_measures": "列入计划，分步实施。",
                         "plan_due": (now.date() + timedelta(days=60)).isoformat()},
        "follow_up_plan": {"progress_note": "按计划推进中。", "plan_solved": occurrence >= plan.solved_after,
                           "next_follow_up": (now.date() + timedelta(days=30)).isoformat()},
        "acceptance": {"acceptance_date": today, "acceptance_confirmed": True, "acceptance_comment": ""},
        "confirm_implementation": {"confirm_leader": "区人大常委会 孙副主任", "implemented": True,
                                   "confirm_summary": "经现场确认，所提问题已解决。"},
        # proposals
        "submit_proposal": {"title": plan.title, "body": plan.body(), "category": plan.category,
                            "submission_kind": plan.submission_kind, "cosigners_text": ",".join(plan.cosigners),
                            "collective_org": plan.collective_org, "in_session": plan.day <= 6},
        "verify_collective": {"collective_check": "sealed", "collective_check_reason": ""},
        "initial_review": {"initial_outcome": "pass", "initial_reason": "符合立案要求"},
        "re_review": {"re_review_outcome": "pass", "re_review_reason": "同意送部门联审",
                      "review_units": ",".join([plan.lead or "", *plan.assist]).strip(",")},
        "joint_review": {"joint_decision": "confirm", "joint_reason": ""},
        "review_decision": {"review_outcome": "accept", "review_reason": "符合立案条件", "reject_ground": "",
                            "merged_into": number_of(plan.merge_into) if plan.merge_into else ""},
        "directors_second_look": {"second_look": "uphold", "second_look_reason": "维持不立案"},
        "notify_rejection": {"forward_consent": "none"},
        "forward_rejected": {"forward_as": "social_conditions", "forward_to": "区政协社情民意信息工作室",
                             "forward_date": today},
        "assign_proposal": assign,
        "choose_key_proposal": {"priority": plan.priority, "leader_cppcc": "cppcc_leader" if plan.priority else "",
                                "leader_government": "gov_leader" if plan.priority else ""},
        "leader_review_reply": {"leader_reply_opinion": "答复内容扎实，同意送达委员，请抓好落实。"},
        "evaluate_merged": {"satisfaction_work": work, "satisfaction_result": result,
                            "evaluation_comment": "问题没有实质解决" if "unsatisfied" in (work, result)
                            else "感谢认真办理"},
        "record_results": {"adopted_results": "提案建议已被采纳，纳入相关部门年度工作计划。",
                           "outstanding": plan.priority, "exemplary_case": False},
        # the unit's handling, shared
        "assist_opinion": {"assist_opinion_text": f"{UNITS.get(unit, ('本单位',))[0]}同意配合，在职责范围内落实。"},
        "handle_suggestion": {"handling_summary": "已组织现场调研，制定办理方案，明确责任科室和完成时限。"},
        "consult": {"consult_date": today, "consult_participants": "主办、协办单位和提案人",
                    "consult_summary": "会商明确了分工和办理时限。"},
        "investigate": {"investigation_summary": "走访相关社区和企业，掌握了实际情况。"},
        "ask_member_view": {"member_view_date": today, "member_view": "委员同意办理思路。"},
        "draft_reply": {"reply_doc_no": reply_no, "reply_text": REPLIES[plan.result_class],
                        "result_class": plan.result_class, "face_reply": plan.face or proposal,
                        "reply_signer": head_name(replying)},
        "countersign": {"countersign_decision": "agree", "countersign_comment": ""},
        "head_face_reply": {"face_reply_by": head_name(replying), "face_reply_date": today,
                            "face_reply_place": "区政协" if proposal else "代表联络站",
                            "three_party_meeting": proposal},
        # evaluation and re-handling, shared
        # each re-handling round: the office names a leader of its body and one of the government (包案)
        "name_leaders": {"round_leader_body": "cppcc_leader" if proposal else "congress_leader",
                         "round_leader_government": "gov_leader"},
        "take_charge": {"interview": plan.interview,
                        "supervision_opinion": "请承办单位一个月内重新办理，主要负责人亲自过问。"},
        "interview_head": {"interview_date": today, "interviewed": True,
                           "interview_summary": f"约谈{head_name(plan.lead)}，要求限期整改。"},
        "review_rehandled": {"result_class": data.get("result_class") or plan.result_class,
                             "rehandling_review_note": "同意二次答复"},
        "joint_supervision": {"inspection_date": today, "joint_findings": "联合视察，督促制定专项整治方案。",
                              "joint_participants": "市人大代表 何代表、区人大代表 " + plan.proposer_name(),
                              "onsite_meeting": True, "onsite_date": today,
                              "onsite_summary": "现场办公，明确市、区分工和完成时限。"},
    }
    return answers.get(element, {})


def S(day: int, title: str, proposer: str, category: str, lead: str | None = None, **more: Any) -> Plan:
    return Plan("suggestion", day, title, proposer, category, lead, **more)


def P(day: int, title: str, proposer: str, category: str, lead: str | None = None, **more: Any) -> Plan:
    return Plan("proposal", day, title, proposer, category, lead, **more)


RETURN_ONCE = {"review_outcome": ["return", "accept"], "return_ground": "empty",
               "review_reason": ["请补充具体地点、问题和建议措施", "符合建议要求"]}
REJECT = {"initial_outcome": "reject", "initial_reason": "不符合立案要求", "review_outcome": "reject",
          "review_reason": "不符合立案条件"}

PLANS: list[Plan] = [
    # -- suggestions of the session (会时), most of them handled and closed by now
    S(0, "关于增设学校周边交通信号灯的建议", "deputy_zhao", "交通", "unit_transport", assist=["unit_education"],
      cosigners=["deputy_qian"]),
    S(0, "关于扩大中小学课后服务覆盖面的建议", "deputy_qian", "教育", "unit_education", result_class="B", ratings="sb"),
    S(1, "关于老旧小区加装电梯的建议", "deputy_sun", "城建", "unit_housing", assist=["unit_street_a"], ratings="bb"),
    S(1, "关于规范夜间施工噪声管理的建议", "deputy_li", "环保", "unit_environment", assist=["unit_urban"],
      result_class="C", face=False, ratings="busb", interview=True),
    S(2, "关于加强社区卫生服务中心建设的建议", "deputy_zhou", "卫生", "unit_health", result_class="B", face=False),
    S(2, "关于完善农贸市场食品安全检测的建议", "deputy_zhao", "经济", "unit_market"),
    # 分办: two units answer a part each; the first is closed, the second still waits for one unit's reply
    S(2, "关于整治学校周边交通和违章建筑的建议", "deputy_qian", "交通", "unit_transport", split=["unit_housing"],
      result_class="A", ratings="ssbs"),
    S(20, "关于改善老旧小区停车和绿化的建议", "deputy_sun", "城建", "unit_urban", split=["unit_housing"],
      result_class="B", hold="draft_reply#2"),
    S(3, "关于加快雨污分流改造的建议", "deputy_qian", "城建", "unit_water", assist=["unit_housing"],
      result_class="B", ratings="sb", hold="close_milestone#2"),
    # a milestone reported late once, with its reason and a new date (清单式管理)
    S(3, "关于改造老旧小区供水管网的建议", "deputy_zhou", "城建", "unit_water", result_class="B",
      choices={"milestone_status": ["delayed", "done"],
               "milestone_result": ["管材供货延迟，顺延一个月", "已按期完成"]}),
    S(3, "关于增加公共文化服务设施的建议", "deputy_sun", "其他", "unit_culture", result_class="D", face=False,
      ratings="bb"),
    S(4, "关于促进高校毕业生就业的建议", "deputy_li", "经济", "unit_hrss", result_class="C", hold="follow_up_plan"),
    S(4, "关于解决背街小巷停车难的建议", "deputy_zhou", "交通", "unit_urban", assist=["unit_transport"],
      choices={"reply_review_outcome": ["poor", "approve"], "reply_review_note": ["答复空泛，措施不具体", "同意"]}),
    S(5, "关于加强养老服务机构监管的建议", "deputy_zhao", "民政", "unit_civil", result_class="B", ratings="uuuuuu",
      priority=True, hold="joint_supervision"),
    S(5, "关于改善街道公共照明的建议", "deputy_qian", "城建", "unit_street_a"),
    # a hard case spanning city and district (难点): straight to joint supervision, then evaluated again
    S(5, "关于打通跨区断头路的建议", "deputy_li", "交通", "unit_transport", result_class="B", ratings="bs",
      choices={"joint_requested": True}),
    S(6, "关于规范共享单车停放的建议", "deputy_sun", "交通", "unit_transport", result_class="C", face=False,
      hold="evaluate"),  # never answered: the evaluation period ends and the case moves on, not evaluated
    S(6, "关于加强河道保洁的建议", "deputy_li", "环保", "unit_water"),
    S(6, "关于协调本人小区物业纠纷的建议", "deputy_zhou", "其他",
      choices={"review_outcome": "return", "return_ground": "personal", "review_reason": "属个人事务",
               "revise_action": "withdraw",
               "withdraw_reason": "属个人事务，已另行反映"}),
    # -- between sessions (平时)
    S(20, "关于加强校园食品安全管理的建议", "deputy_zhao", "教育", "unit_education", assist=["unit_market"],
      result_class="B"),
    S(45, "关于增设社区托育服务点的建议", "deputy_qian", "卫生", "unit_health", assist=["unit_civil"],
      result_class="B", face=False, ratings="sb"),
    S(60, "关于优化公交线路的建议", "deputy_sun", "交通", "unit_transport", first_lead="unit_housing"),
    S(150, "关于治理城区内涝积水点的建议", "deputy_li", "城建", "unit_water", hold="draft_reply"),  # long overdue
    S(190, "关于加快农村生活污水治理的建议", "deputy_zhou", "环保", "unit_environment", hold="draft_reply"),
    S(230, "关于推进垃圾分类工作的建议", "deputy_zhao", "环保", "unit_urban", ratings="bu", hold="draft_reply#2"),
    S(245, "关于加强农民工权益保障的建议", "deputy_zhou", "经济", "unit_hrss", ratings="uu", hold="take_charge"),
    S(250, "关于提升政务服务便利度的建议", "deputy_qian", "其他", "unit_hrss", hold="review_reply"),
    S(255, "关于完善城市绿道建设的建议", "deputy_li", "城建", "unit_urban", hold="evaluate"),
    S(255, "关于加强社区矫正工作的建议", "deputy_sun", "民政", "unit_civil", hold="disclose"),
    S(270, "关于增设公交候车亭的建议", "deputy_sun", "交通", "unit_transport", hold="draft_reply"),
    S(280, "关于增设社区健身设施的建议", "deputy_qian", "其他", "unit_culture", hold="handle_suggestion"),
    S(285, "关于完善困难群众救助机制的建议", "deputy_li", "民政", "unit_civil", hold="handle_suggestion"),
    S(290, "关于加强燃气安全管理的建议", "deputy_sun", "城建", "unit_housing", assist=["unit_market"],
      hold="assist_opinion"),
    S(300, "关于改善出行条件的建议", "deputy_li", "交通", choices=RETURN_ONCE, hold="revise"),
    S(305, "关于规范校外培训机构的建议", "deputy_zhao", "教育", "unit_education", hold="sign_in_or_contest"),
    S(312, "关于增加老旧小区停车泊位的建议", "deputy_zhou", "交通", "unit_transport", hold="assign"),
    S(318, "关于加强电动自行车充电设施建设的建议", "deputy_zhao", "城建", cosigners=["deputy_qian"],
      hold="pre_review"),
    S(322, "关于开展老年人防诈骗宣传的建议", "deputy_qian", "民政", cosigners=["deputy_sun"], hold="confirm_cosign"),
    # -- proposals of the plenary (大会提案)
    P(0, "关于推进义务教育优质均衡发展的提案", "member_wu", "教育", "unit_education", assist=["unit_hrss"]),
    P(0, "关于加强中小学生心理健康教育的提案", "member_zheng", "教育", "unit_education", result_class="B"),
    P(1, "关于发展夜间经济的提案", "member_wang", "经济", "unit_market", assist=["unit_culture", "unit_urban"],
      result_class="B", ratings="sb", cosigners=["member_feng"]),
    P(1, "关于完善社区居家养老服务体系的提案", "member_feng", "民政", "unit_civil", collective_org="民盟区委会",
      priority=True),
    P(2, "关于加强历史文化街区保护的提案", "member_wu", "其他", "unit_culture", result_class="C", ratings="busb"),
    P(2, "关于推进智慧交通建设的提案", "member_zheng", "交通", "unit_transport", hold="record_results"),
    P(3, "关于加强基层医疗人才队伍建设的提案", "member_wang", "卫生", "unit_health", result_class="B"),
    P(3, "关于推广某品牌净水设备的提案", "member_feng", "经济", choices={**REJECT, "reject_ground": "promotion"}),
    P(4, "关于解决本人子女入学问题的提案", "member_wu", "教育",
      choices={**REJECT, "reject_ground": "personal", "forward_consent": "social_conditions"}),
    P(4, "关于加快发展普惠托育服务的提案", "member_zheng", "卫生", "unit_health", result_class="B"),
    P(5, "关于增加托育服务供给的提案", "member_wang", "卫生", merge_into="关于加快发展普惠托育服务的提案",
      choices={"initial_outcome": "merge", "review_outcome": "merge", "review_reason": "与同类提案并案办理"}),
    P(5, "关于优化营商环境的提案", "member_feng", "经济",
      choices={"review_outcome": "withdraw", "review_reason": "委员申请撤回"}),
    P(6, "关于加强生态环境监测的提案", "member_wu", "环保", "unit_environment",
      choices={**REJECT, "reject_ground": "empty", "second_look": "overturn",
               "second_look_reason": "内容具体，应予立案"}),
    # -- between sessions (平时提案)
    P(20, "关于完善城市排水防涝体系的提案", "member_zheng", "城建", "unit_water", assist=["unit_housing"],
      result_class="B"),
    P(40, "关于提升城市精细化管理水平的提案", "member_wang", "城建", "unit_urban", hold="evaluate"),
    P(150, "关于加强食品安全监管的提案", "member_wu", "经济", "unit_market", hold="draft_reply"),  # overdue
    P(200, "关于规范物业管理服务的提案", "member_feng", "城建", "unit_housing", ratings="uu", hold="take_charge"),
    P(200, "关于推动公共体育设施开放的提案", "member_zheng", "其他", "unit_culture", hold="investigate"),
    P(215, "关于加强退役军人服务保障的提案", "member_wang", "民政", "unit_civil", assist=["unit_hrss"],
      hold="countersign"),
    P(222, "关于推进老旧厂房改造利用的提案", "member_feng", "城建", "unit_housing", hold="evaluate"),
    P(190, "关于完善公共交通无障碍设施的提案", "member_feng", "交通", "unit_transport", hold="head_face_reply"),
    P(185, "关于加强城市绿化管养的提案", "member_wu", "城建", "unit_urban", hold="review_reply"),
    P(230, "关于加强街道社区治理的提案", "member_wu", "其他", "unit_street_a", hold="draft_reply"),
    P(280, "关于推进垃圾分类减量的提案", "member_zheng", "环保", "unit_environment", hold="consult"),
    P(240, "关于提升基层公共卫生应急能力的提案", "member_feng", "卫生", "unit_health", hold="ask_member_view"),
    P(280, "关于加强老年教育的提案", "member_wang", "教育", "unit_education", hold="sign_in_or_contest"),
    P(295, "关于扶持小微企业发展的提案", "member_feng", "经济", "unit_hrss", hold="assign_proposal"),
    P(300, "关于加强社区消防安全的提案", "member_wu", "城建", "unit_housing", assist=["unit_urban"],
      hold="joint_review"),
    P(300, "关于推广某品牌电动车的提案", "member_wang", "经济",
      choices={**REJECT, "reject_ground": "promotion"}, hold="directors_second_look"),
    P(305, "关于促进文旅融合发展的提案", "member_zheng", "其他", "unit_culture", hold="re_review"),
    P(318, "关于完善新就业形态劳动者权益保障的提案", "member_wang", "经济", "unit_hrss", hold="initial_review"),
    P(320, "关于加强青少年科技教育的提案", "member_feng", "教育", collective_org="九三学社区委",
      choices={"collective_check": ["unsealed", "sealed"], "collective_check_reason": "缺少提案单位公章"},
      hold="submit_proposal#2"),
    P(323, "关于加强校园周边环境治理的提案", "member_wu", "教育", cosigners=["member_zheng"], hold="confirm_cosign"),
    P(324, "关于发展银发经济的提案", "member_zheng", "经济", hold="submit_proposal"),
]
