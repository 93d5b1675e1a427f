"""Demo data: the people of a small district and the example process, so `make run` has work to show.

The full demo district (units, deputies, sixty cases over every stage) comes with the suggestion and
proposal processes; until then this loads the roles and walks a few cases of the example process.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from engine import clock, identity, library, runtime
from engine.context import EngineContext
from engine.store import Case, TaskRow

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DEMO_PASSWORD = "demo1234"

# (user name, display name, groups)
DEMO_USERS: list[tuple[str, str, list[str]]] = [
    ("admin", "系统管理员", ["admins"]),
    ("designer", "流程设计员", ["designers"]),
    ("supervisor", "政府督查室 王督查", ["supervisors"]),
    ("liaison", "人大联络室 李干事", ["liaison_office"]),
    ("edu_clerk", "区教育局 张办理员", ["unit_education"]),
    ("edu_head", "区教育局 陈局长", ["unit_education", "unit_education_head"]),
    ("transport_clerk", "区交通局 刘办理员", ["unit_transport"]),
    ("deputy_zhao", "赵代表", ["deputies"]),
]

# (title, unit it goes to once reviewed, reviewed?, days its reply is overdue)
DEMO_CASES = [
    ("关于增设学校周边交通信号灯的建议", "unit_transport", True, 0),
    ("关于扩大课后服务覆盖面的建议", "unit_education", False, 0),
    ("关于老旧小区加装电梯的建议", None, False, 0),
    ("关于规范夜间施工噪声管理的建议", "unit_education", True, 6),
]


def load(ctx: EngineContext, progress: Callable[[str], None] = print) -> None:
    with ctx.db.session() as session:
        for username, display, groups in DEMO_USERS:
            if identity.get_user(session, username) is None:
                identity.add_user(session, username, DEMO_PASSWORD, groups, display)
        progress(f"demo users ready (password {DEMO_PASSWORD}): {', '.join(u for u, _, _ in DEMO_USERS)}")
        deployed = library.deploy(session, library.read_files(sorted(EXAMPLES.glob("*.bpmn"))), "demo")
        progress("example processes: " + ", ".join(f"{d.definition.key} v{d.definition.version}" for d in deployed))
    with ctx.db.session() as session:
        deputy = identity.get_user(session, "deputy_zhao")
        liaison = identity.get_user(session, "liaison")
        for title, unit, review, overdue_days in DEMO_CASES:
            case = runtime.start_case(ctx, session, deputy, "quick_reply", title, {"proposer": "deputy_zhao"})
            if review:
                task = session.query(TaskRow).filter_by(case_id=case.id, state="open").one()
                runtime.complete_task(ctx, session, liaison, task.id,
                                      {"decision": "accept", "unit": unit, "urgent": False})
            if overdue_days:
                _backdate_deadline(session, case.id, overdue_days)
            progress(f"case {case.number}: {title}")


def _backdate_deadline(session, case_id: int, days: int) -> None:
    """The demo is a snapshot of work under way: this case's reply fell due some days ago."""
    due = clock.now() - timedelta(days=days)
    session.execute(update(TaskRow).where(TaskRow.case_id == case_id, TaskRow.state == "open").values(due_at=due))
    session.execute(update(Case).where(Case.id == case_id).values(due_at=due))
