"""The application factory: one EngineContext per process, one database session per request."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, g, redirect

from engine import config as config_module
from engine.config import Config
from engine.context import EngineContext


def create_app(config: Config | None = None, ctx: EngineContext | None = None) -> Flask:
    config = config or (ctx.config if ctx else config_module.load())
    ctx = ctx or EngineContext.create(config)
    logging.basicConfig(level=config["logging.level"], format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=config["server.secret_key"],
        # the upload limit plus room for the multipart envelope; the API gives the precise message
        MAX_CONTENT_LENGTH=config["uploads.max_bpmn_bytes"] + 64 * 1024,
        JSON_SORT_KEYS=False,
    )
    app.json.ensure_ascii = False  # Chinese stays readable in answers
    app.extensions["casework"] = ctx

    from .api import api

    app.register_blueprint(api)

    @app.teardown_request
    def close_session(exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()

    @app.get("/")
    def index() -> Any:
        return redirect("/api/v1/openapi.json")

    return app


def engine_context(app: Flask) -> EngineContext:
    return app.extensions["casework"]
