"""The application factory: one EngineContext per process, one database session per request."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from flask import Flask, g, jsonify, redirect, request
from flask.json.provider import DefaultJSONProvider

from engine import config as config_module
from engine.config import Config
from engine.context import EngineContext


class JSONProvider(DefaultJSONProvider):
    """ISO 8601 for dates and times (Flask's default is the HTTP date format), Chinese kept readable."""

    ensure_ascii = False

    @staticmethod
    def default(value: Any) -> Any:
        if isinstance(value, date):
            return value.isoformat()
        return DefaultJSONProvider.default(value)


class CaseworkFlask(Flask):
    json_provider_class = JSONProvider


def create_app(config: Config | None = None, ctx: EngineContext | None = None) -> Flask:
    config = config or (ctx.config if ctx else config_module.load())
    ctx = ctx or EngineContext.create(config)
    logging.basicConfig(level=config["logging.level"], format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = CaseworkFlask(__name__)
    app.config.update(
        SECRET_KEY=config["server.secret_key"],
        # the upload limit plus room for the multipart envelope; the API gives the precise message
        MAX_CONTENT_LENGTH=config["uploads.max_bpmn_bytes"] + 64 * 1024,
        JSON_SORT_KEYS=False,
    )
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

    @app.errorhandler(404)
    @app.errorhandler(405)
    def api_shaped_errors(err: Any) -> Any:
        # clients of the API get its error shape even for paths no blueprint knows
        if request.path.startswith("/api/"):
            code = "not_found" if err.code == 404 else "method_not_allowed"
            return jsonify({"error": code, "message": err.description, "details": []}), err.code
        return err

    @app.get("/")
    def index() -> Any:
        return redirect("/api/v1/openapi.json")

    return app


def engine_context(app: Flask) -> EngineContext:
    return app.extensions["casework"]
