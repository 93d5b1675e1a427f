"""Storage on SQLite and PostgreSQL: the Alembic schema matches the models, upgrades are repeatable,
times come back in UTC, and a case's state round-trips through the database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select

import workflows.cases  # noqa: F401 - the domain's tables belong to the schema the migrations build
from engine import identity, migrate
from engine.cases import runtime
from engine.store import Base, Case, EventRow
from tests.bpmn_util import one_task
from tests.conftest import BACKENDS, deploy_xml

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


def test_migrations_create_the_models_tables_and_can_run_again(ctx):
    migrate.upgrade(ctx.db)  # a second upgrade is a no-op
    tables = set(inspect(ctx.db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables and "alembic_version" in tables
    for name, table in Base.metadata.tables.items():
        columns = {c["name"] for c in inspect(ctx.db.engine).get_columns(name)}
        assert columns == set(table.columns.keys()), name


def test_times_are_stored_and_read_back_in_utc(ctx):
    local = datetime(2026, 12, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    deploy_xml(ctx, one_task("t"))
    with ctx.db.session() as session:
        user = identity.add_user(session, "ann", "secret-pw", ["clerks"])
        case = runtime.start_case(ctx, session, user, "t", "title")
        case.due_at = local
        case_id = case.id
    with ctx.db.session() as session:
        case = session.get(Case, case_id)
        assert case.due_at == local and case.due_at.utcoffset() == timedelta(0)
        assert case.due_at.hour == 1


def test_a_case_survives_a_reconnect_and_carries_on(ctx):
    deploy_xml(ctx, one_task("t", declare={"start:inputs": "区"}))
    with ctx.db.session() as session:
        user = identity.add_user(session, "ann", "secret-pw", ["clerks"])
        case = runtime.start_case(ctx, session, user, "t", "标题", {"区": "东城"})
        case_id, task_id = case.id, None
    ctx.db.dispose()
    ctx.specs._entries.clear()  # as if another process loaded it
    with ctx.db.session() as session:
        from engine.store import TaskRow

        task_id = session.scalars(select(TaskRow.id).where(TaskRow.case_id == case_id)).one()
        user = identity.get_user(session, "ann")
        case = runtime.complete_task(ctx, session, user, task_id, {})
        assert case.status == "completed" and case.data["区"] == "东城"
    with ctx.db.session() as session:
        kinds = list(session.scalars(select(EventRow.kind).where(EventRow.case_id == case_id).order_by(EventRow.id)))
        assert kinds == ["case_started", "task_created", "task_completed", "case_completed"]
