"""Demo data: a district with its offices, twelve handling units, leaders, deputies and members, and
about sixty suggestions and proposals at every stage, made by running the real processes as the
right people on the right days (workflows.demo_cases). `casework init --demo` calls `load`.

`load_example` is the small set the web tests use: the people and four cases of the example process.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from engine import clock, identity
from engine.bpmn import library
from engine.cases import runtime
from engine.context import EngineContext
from engine.store import Case, TaskRow, User

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
BPMN = ROOT / "bpmn"
DEMO_PASSWORD = "demo1234"

# unit group -> (name, short name used in user names, clerk's name, head's name)
UNITS: dict[str, tuple[str, str, str, str]] = {
    "unit_education": ("区教育局", "edu", "张办理员", "陈局长"),
    "unit_transport": ("区交通运输局", "transport", "刘办理员", "黄局长"),
    "unit_housing": ("区住房和城乡建设局", "housing", "杨办理员", "林局长"),
    "unit_health": ("区卫生健康委", "health", "何办理员", "高主任"),
    "unit_civil": ("区民政局", "civil", "郭办理员", "马局长"),
    "unit_environment": ("区生态环境分局", "env", "罗办理员", "梁局长"),
    "unit_market": ("区市场监管局", "market", "宋办理员", "谢局长"),
    "unit_water": ("区水务局", "water", "韩办理员", "唐局长"),
    "unit_culture": ("区文化和旅游局", "culture", "冯办理员", "于局长"),
    "unit_hrss": ("区人力资源和社会保障局", "hrss", "董办理员", "萧局长"),
    "unit_street_a": ("某街道办事处", "street", "程办理员", "曹主任"),
    "unit_urban": ("区城市管理局", "urban", "袁办理员", "邓局长"),
}

OFFICES: dict[str, str] = {
    "admins": "系统管理员", "designers": "流程设计员", "supervisors": "督查人员",
    "liaison_office": "人大代表联络室", "proposal_committee": "政协提案委员会",
    "proposal_directors": "提案委员会主任会议", "supervision_office": "政府督查室",
    "congress_leaders": "人大领导", "government_leaders": "政府领导", "cppcc_leaders": "政协领导",
    "deputies": "人大代表", "members": "政协委员",
}

DEPUTIES = {"deputy_zhao": "赵代表", "deputy_qian": "钱代表", "deputy_sun": "孙代表", "deputy_li": "李代表",
            "deputy_zhou": "周代表"}
MEMBERS = {"member_wu": "吴委员", "member_zheng": "郑委员", "member_wang": "王委员", "member_feng": "冯委员"}

# (user name, display name, groups): the offices first, then each unit's clerk and head
DEMO_USERS: list[tuple[str, str, list[str]]] = [
    ("admin", "系统管理员", ["admins"]),
    ("designer", "流程设计员", ["designers"]),
    ("supervisor", "政府督查室 王督查", ["supervision_office", "supervisors"]),
    ("liaison", "人大联络室 李干事", ["liaison_office"]),
    ("committee", "政协提案委 周干事", ["proposal_committee"]),
    ("director", "提案委员会 吴主任", ["proposal_directors", "proposal_committee"]),
    ("congress_leader", "区人大常委会 孙副主任", ["congress_leaders"]),
    ("gov_leader", "区政府 钱副区长", ["government_leaders"]),
    ("cppcc_leader", "区政协 郑副主席", ["cppcc_leaders"]),
    *[(name, display, ["deputies"]) for name, display in DEPUTIES.items()],
    *[(name, display, ["members"]) for name, display in MEMBERS.items()],
]
for _unit, (_name, _short, _clerk, _head) in UNITS.items():
    DEMO_USERS.append((f"{_short}_clerk", f"{_name} {_clerk}", [_unit]))
    DEMO_USERS.append((f"{_short}_head", f"{_name} {_head}", [_unit, f"{_unit}_head"]))

Progress = Callable[[str], None]


def people(ctx: EngineContext, progress: Progress = print) -> None:
    """The district's groups (with their Chinese names) and demo users; existing ones are kept."""
    with ctx.db.session() as session:
        for name, display in OFFICES.items():
            identity.ensure_group(session, name, display)
        for unit, (name, *_rest) in UNITS.items():
            identity.ensure_group(session, unit, name)
            identity.ensure_group(session, f"{unit}_head", f"{name}主要负责人")
        hashed = identity.hash_password(DEMO_PASSWORD)  # one argon2 hash for all: they share the password
        for username, display, groups in DEMO_USERS:
            if identity.get_user(session, username) is None:
                session.add(User(username=username, display_name=display, password_hash=hashed,
                                 groups=[identity.ensure_group(session, g) for g in groups]))
    progress(f"demo users ready (password {DEMO_PASSWORD}): {len(DEMO_USERS)} people in {len(UNITS)} units "
             f"and {len(OFFICES)} offices")


def deploy_models(ctx: EngineContext, progress: Progress = print) -> None:
    """bpmn/ as one package (as `casework init` does, when it has not) and the example for designers."""
    with ctx.db.session() as session:
        deployed = []
        if library.latest(session, "suggestion") is None or library.latest(session, "proposal") is None:
            deployed += library.deploy(session, library.read_files(sorted(str(p) for p in BPMN.glob("*.bpmn"))),
                                       "demo")
        deployed += library.deploy(session, library.read_files(sorted(EXAMPLES.glob("*.bpmn"))), "demo")
        progress("example processes: " + ", ".join(f"{d.definition.key} v{d.definition.version}" for d in deployed))


def load(ctx: EngineContext, progress: Progress = print) -> None:
    from . import demo_cases

    people(ctx, progress)
    deploy_models(ctx, progress)
    with ctx.db.session() as session:
        existing = session.scalar(select(func.count()).select_from(Case).where(
            Case.process_key.in_(("suggestion", "proposal"))))
    if existing:  # loading twice would give every demo case a twin
        progress(f"the demo cases are there already ({existing} suggestions and proposals): not loaded again")
        return
    demo_cases.walk(ctx, progress_bar(progress))
    counts = demo_cases.catch_up(ctx)
    progress(f"demo district ready: {counts}")


def progress_bar(progress: Progress) -> Callable[[int, int, str], None]:
    """One line redrawn in place on a terminal; a line per tenth elsewhere (logs, tests)."""
    live = progress is print and sys.stdout.isatty()

    def step(done: int, total: int, label: str) -> None:
        width = 30
        filled = width * done // max(total, 1)
        line = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label}"
        if live:
            sys.stdout.write("\r\033[K" + line[:100] + ("\n" if done == total else ""))
            sys.stdout.flush()
        elif done == total or done * 10 // max(total, 1) != (done - 1) * 10 // max(total, 1):
            progress(line)
    return step


# -- the small example set ------------------------------------------------------------------

# (title, unit it goes to once reviewed, reviewed?, days its reply is overdue)
EXAMPLE_CASES = [
    ("关于增设学校周边交通信号灯的建议", "unit_transport", True, 0),
    ("关于扩大课后服务覆盖面的建议", "unit_education", False, 0),
    ("关于老旧小区加装电梯的建议", None, False, 0),
    ("关于规范夜间施工噪声管理的建议", "unit_education", True, 6),
]
EXAMPLE_USERS = ("admin", "designer", "supervisor", "liaison", "edu_clerk", "edu_head", "transport_clerk",
                 "deputy_zhao")


def load_example(ctx: EngineContext, progress: Progress = print) -> None:
    """A few people and four cases of examples/quick-reply.bpmn, one of them overdue."""
    with ctx.db.session() as session:
        for username, display, groups in DEMO_USERS:
            if username in EXAMPLE_USERS and identity.get_user(session, username) is None:
                identity.add_user(session, username, DEMO_PASSWORD, groups, display)
        progress(f"demo users ready (password {DEMO_PASSWORD}): {', '.join(EXAMPLE_USERS)}")
        deployed = library.deploy(session, library.read_files(sorted(EXAMPLES.glob("*.bpmn"))), "demo")
        progress("example processes: " + ", ".join(f"{d.definition.key} v{d.definition.version}" for d in deployed))
    with ctx.db.session() as session:
        deputy = identity.get_user(session, "deputy_zhao")
        liaison = identity.get_user(session, "liaison")
        for title, unit, review, overdue_days in EXAMPLE_CASES:
            case = runtime.start_case(ctx, session, deputy, "quick_reply", title, {"proposer": "deputy_zhao"})
            if review:
                task = session.query(TaskRow).filter_by(case_id=case.id, state="open").one()
                runtime.complete_task(ctx, session, liaison, task.id,
                                      {"decision": "accept", "unit": unit, "urgent": False})
            if overdue_days:
                _backdate_deadline(session, case.id, overdue_days)
            progress(f"case {case.number}: {title}")


def _backdate_deadline(session, case_id: int, days: int) -> None:
    """The example is a snapshot of work under way: this case's reply fell due some days ago."""
    due = clock.now() - timedelta(days=days)
    session.execute(update(TaskRow).where(TaskRow.case_id == case_id, TaskRow.state == "open").values(due_at=due))
    session.execute(update(Case).where(Case.id == case_id).values(due_at=due))
