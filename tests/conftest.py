"""Shared fixtures: a fresh database per test (SQLite always, PostgreSQL when
CASEWORK_TEST_POSTGRES_URL is set), an engine context, the Flask app and API helpers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from engine import config as config_module
from engine import identity, migrate
from engine.bpmn import library
from engine.context import EngineContext

POSTGRES_URL = os.environ.get("CASEWORK_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"]


def _postgres_database() -> str:
    """A throwaway database on the PostgreSQL server, so tests never touch each other's rows."""
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need CASEWORK_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    name = f"casework_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return POSTGRES_URL.rsplit("/", 1)[0] + "/" + name


def _drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def make_config(url: str, **overrides: Any) -> config_module.Config:
    base = config_module.load(Path(__file__).resolve().parents[1] / "config.yaml", environ={})
    return base.replace(database__url=url, **overrides)


@pytest.fixture
def backend() -> str:
    """SQLite unless CASEWORK_TEST_BACKEND=postgresql runs the whole suite on PostgreSQL."""
    return os.environ.get("CASEWORK_TEST_BACKEND", "sqlite")


@pytest.fixture
def db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "postgresql":
        url = _postgres_database()
        yield url
        _drop_postgres_database(url)
    else:
        yield f"sqlite:///{tmp_path / 'casework.db'}"


@pytest.fixture
def ctx(db_url: str) -> Iterator[EngineContext]:
    context = EngineContext.create(make_config(db_url))
    migrate.upgrade(context.db)
    yield context
    context.db.dispose()


@pytest.fixture
def app(ctx: EngineContext):
    from webui.app import create_app

    application = create_app(ctx=ctx)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app):
    return app.test_client()


class Api:
    """A thin helper over the Flask test client speaking the JSON API as a given user."""

    def __init__(self, client: Any, ctx: EngineContext):
        self.client, self.ctx = client, ctx
        self.tokens: dict[str, str] = {}

    def user(self, name: str, groups: tuple[str, ...] = (), password: str = "secret-pw") -> str:
        with self.ctx.db.session() as session:
            identity.add_user(session, name, password, list(groups))
        answer = self.client.post("/api/v1/auth/token", json={"username": name, "password": password})
        assert answer.status_code == 200, answer.get_json()
        self.tokens[name] = answer.get_json()["token"]
        return name

    def headers(self, who: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}

    def get(self, path: str, who: str | None = None, **kw: Any):
        return self.client.get(f"/api/v1{path}", headers=self.headers(who), **kw)

    def post(self, path: str, who: str | None = None, json: Any = None, **kw: Any):
        return self.client.post(f"/api/v1{path}", headers=self.headers(who), json=json, **kw)

    def deploy(self, who: str, xml: str | bytes, name: str = "process.bpmn"):
        import io

        content = xml.encode("utf-8") if isinstance(xml, str) else xml
        return self.client.post("/api/v1/process-definitions", headers=self.headers(who),
                                data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")

    def start(self, who: str, key: str, data: dict | None = None, title: str = "a case"):
        return self.post("/cases", who, {"process_key": key, "title": title, "data": data or {}})

    def tasks(self, who: str, scope: str = "mine") -> list[dict]:
        answer = self.get(f"/tasks?scope={scope}", who)
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()


@pytest.fixture
def api(client, ctx) -> Api:
    return Api(client, ctx)


def deploy_xml(ctx: EngineContext, xml: str, name: str = "process.bpmn") -> list[library.Deployed]:
    with ctx.db.session() as session:
        return library.deploy(session, {name: xml.encode("utf-8")}, "test")


