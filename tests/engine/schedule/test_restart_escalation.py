"""The deadline of issue 3's done-when, with real processes: a task falls due while no scheduler runs;
the scheduler that starts afterwards escalates it exactly once, and a restart does not escalate it again."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import identity
from engine.cases import runtime
from engine.store import Case, EventRow, Notification, TaskRow
from tests.bpmn_util import one_task
from tests.conftest import deploy_xml
from tests.engine.schedule.test_scheduler_lease import SchedulerProcess, _wait_until

ROOT = Path(__file__).resolve().parents[3]


def _escalations(ctx, case_id: int) -> int:
    with ctx.db.session() as session:
        return session.scalar(select(func.count()).select_from(EventRow).where(
            EventRow.case_id == case_id, EventRow.kind == "case_escalated"))


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_deadline_passed_while_stopped_escalates_once_after_restart(ctx, db_url):
    deploy_xml(ctx, one_task("reply", 'camunda:candidateGroups="clerks" camunda:dueDate="PT1S"'))
    with ctx.db.session() as session:
        clerk = identity.add_user(session, "ann", "secret-pw", ["clerks"])
        identity.add_user(session, "sue", "secret-pw", ["supervisors"])
        case_id = runtime.start_case(ctx, session, clerk, "reply", "答复期限将过").id
    time.sleep(1.5)  # the service is down while the deadline passes
    with ctx.db.session() as session:
        assert not session.get(Case, case_id).overdue

    env = {**os.environ, "CASEWORK_DATABASE_URL": db_url, "CASEWORK_CONFIG": str(ROOT / "config.yaml"),
           "CASEWORK_SCHEDULER_INTERVAL_SECONDS": "0.2"}
    for run in range(2):  # started after the deadline, then started again
        scheduler = SchedulerProcess(env)
        try:
            assert _wait_until(lambda s=scheduler: s.said("took the lease"), 60), scheduler.log()
            assert _wait_until(lambda: _escalations(ctx, case_id) >= 1, 60), scheduler.log()
            time.sleep(1.0)  # several more passes
        finally:
            scheduler.process.terminate()
            scheduler.process.wait(timeout=30)
        assert _escalations(ctx, case_id) == 1, f"run {run}: {scheduler.log()}"

    with ctx.db.session() as session:
        case = session.get(Case, case_id)
        assert case.overdue and case.flagged
        assert session.scalars(select(TaskRow.overdue).where(TaskRow.case_id == case_id)).one()
        told = session.scalars(select(Notification.username).where(Notification.case_id == case_id)).all()
        assert sorted(told) == ["ann", "sue"]  # the clerk's group and the supervisors, once each
