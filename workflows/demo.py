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

from . import demo_cases, demo_yearwork
from .demo_people import DEMO_PASSWORD, DEMO_USERS, OFFICES, UNITS

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
BPMN = ROOT / "bpmn"
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
    people(ctx, progress)
    deploy_models(ctx, progress)
    with ctx.db.session() as session:
        existing = session.scalar(select(func.count()).select_from(Case).where(
            Case.process_key.in_(("suggestion", "proposal"))))
    if existing:  # loading twice would give every demo case a twin
        progress(f"the demo cases are there already ({existing} suggestions and proposals): not loaded again")
        return
    demo_cases.walk(ctx, progress_bar(progress))
    demo_yearwork.play(ctx, progress)  # paper forms, tracked handling, results adopted
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
    names = {**OFFICES, **{unit: name for unit, (name, *_rest) in UNITS.items()},
             **{f"{unit}_head": f"{name}主要负责人" for unit, (name, *_rest) in UNITS.items()}}
    with ctx.db.session() as session:
        for username, display, groups in DEMO_USERS:
            if username in EXAMPLE_USERS:  # groups by their names, as the district's are
                for group in groups:
                    identity.ensure_group(session, group, names.get(group, ""))
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
