"""The demo district's paper work and CPPCC year's work (issue 11, items 16-17), done after the plans have
played (workflows.demo): the committee enters a member's paper evaluation form, puts an overdue proposal of
high public concern under tracked handling, and the committee and lead units record results adopted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from engine import clock, identity
from engine.context import EngineContext
from engine.store import Case

from . import paper, results, tracking

PAPER_EVALUATION = ("关于推进老旧厂房改造利用的提案", "committee",
                    {"satisfaction_work": "satisfied", "satisfaction_result": "basically_satisfied",
                     "evaluation_comment": "委员以纸质征询意见表反馈：希望加快低效厂房盘活进度。"})
TRACKED = ("关于加强食品安全监管的提案", "committee", "社会关注度高：群众反映集中，媒体多次报道")
# (case title, who records, kind, title, amount in 万元, days ago, document)
RESULTS = [
    ("关于推进义务教育优质均衡发展的提案", "committee", "policy", "区义务教育优质均衡发展三年行动方案", None, 120,
     "崂政办发〔2026〕21号"),
    ("关于推进义务教育优质均衡发展的提案", "edu_clerk", "funds", "薄弱学校改造专项资金", "850", 90,
     "崂财教〔2026〕9号"),
    ("关于推进智慧交通建设的提案", "transport_clerk", "project", "主城区智能信号灯改造项目", None, 30,
     "崂交〔2026〕15号"),
    ("关于推进智慧交通建设的提案", "transport_clerk", "funds", "智慧交通一期建设资金", "1200", 20, ""),
]


def _case(session, title: str) -> Case | None:
    return session.scalars(select(Case).where(Case.title == title, Case.process_key == "proposal")).first()


def play(ctx: EngineContext, progress: Callable[[str], None]) -> None:
    today = clock.now().astimezone(ctx.zone).date()
    with ctx.db.session() as session:
        title, who, answers = PAPER_EVALUATION
        case = _case(session, title)
        if case is not None and paper.evaluation_task(session, case.id) is not None:
            paper.enter_evaluation(ctx, session, identity.get_user(session, who), case.id, answers)
        title, who, reason = TRACKED
        case = _case(session, title)
        if case is not None and case.status == "running":
            tracking.start(ctx, session, identity.get_user(session, who), case.id, reason)
        recorded = 0
        for title, who, kind, name, amount, days, document in RESULTS:
            case = _case(session, title)
            if case is None:
                continue
            results.add(ctx, session, identity.get_user(session, who), case.id, {
                "kind": kind, "title": name, "amount": amount or "", "document": document,
                "adopted_on": (today - timedelta(days=days)).isoformat()})
            recorded += 1
    progress(f"paper and year's work: a paper evaluation entered, a proposal tracked, {recorded} results adopted")
