"""The application factory: one EngineContext per process, one database session per request,
one blueprint per audience (auth, inbox, cases, supervise, designer) plus the JSON API."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from flask import Flask, current_app, g, jsonify, redirect, render_template, request, session
from flask.json.provider import DefaultJSONProvider
from flask_babel import Babel, format_datetime
from flask_babel import gettext as _
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.routing import IntegerConverter

from engine import bounds, clock, identity
from engine import config as config_module
from engine.config import Config
from engine.context import EngineContext
from engine.errors import CaseworkError

from .nav import home_url, nav_links
from .web import WebUser, db


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


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` in every route: a number past the database's 64-bit ids matches no route (404),
    instead of reaching the database as an integer it cannot hold (500)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", bounds.MAX_ID)
        super().__init__(map, *args, **kwargs)


def _locale() -> str:
    if current_user and current_user.is_authenticated:
        return current_user.user.language or "zh_CN"
    return session.get("lang") or request.accept_languages.best_match(["zh_CN", "zh", "en"]) or "zh_CN"


# "zh_CN" is no locale of the CLDR's own: parsed from the string, babel loads its global tables (aliases,
# likely subtags: 2 MiB and 33,000 objects a process keeps) to learn that it means zh_Hans_CN. Given the
# Locale, babel reads only the language's own data; "zh" and "en" parse without the tables.
_ZH_CN = Locale("zh", "CN", script="Hans")


def _babel_locale() -> Locale:
    name = _locale()
    return _ZH_CN if name == "zh_CN" else Locale.parse(name)


def _timezone() -> str:
    if current_user and current_user.is_authenticated and current_user.user.timezone:
        return current_user.user.timezone
    return g.get("casework_zone") or "Asia/Shanghai"


def _when(value: datetime | None, style: str = "medium") -> str:
    """A time in the reader's zone and language; '—' for none."""
    if value is None:
        return "—"
    return format_datetime(value, "yyyy-MM-dd HH:mm" if style == "medium" else style)


def create_app(config: Config | None = None, ctx: EngineContext | None = None) -> Flask:
    config = config or (ctx.config if ctx else config_module.load())
    if ctx is None:
        import workflows

        ctx = EngineContext.create(config)
        workflows.install(ctx)
    logging.basicConfig(level=config["logging.level"], format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if logging.getLevelName(config["logging.level"]) != logging.DEBUG:
        # SpiffWorkflow logs every task state change at INFO: a line per step of every request
        logging.getLogger("spiff").setLevel(logging.WARNING)
    app = CaseworkFlask(__name__)
    app.url_map.converters["int"] = BoundedIntConverter  # before any route is added
    app.config.update(
        SECRET_KEY=config_module.secret_key(config),
        # the larger upload limit plus room for the multipart envelope; each route gives the precise message
        MAX_CONTENT_LENGTH=max(config["uploads.max_bpmn_bytes"], config["uploads.max_attachment_bytes"]) + 64 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        BABEL_DEFAULT_LOCALE="zh_CN",
        BABEL_DEFAULT_TIMEZONE=config["timezone"],
        WTF_CSRF_TIME_LIMIT=None,  # a clerk may keep a form open all day; the token is tied to the session
    )
    app.extensions["casework"] = ctx

    Babel(app, locale_selector=_babel_locale, timezone_selector=_timezone)
    csrf = CSRFProtect(app)
    login = LoginManager(app)
    login.login_view = "auth.sign_in"
    login.login_message = None

    @login.user_loader
    def load_user(user_id: str) -> WebUser | None:
        # the signed cookie names a server-side session; signing out deleted it
        if not user_id.isdigit() or len(user_id) > 18:
            return None
        user = identity.web_session_user(db(), session.get("sid"), int(user_id),
                                         timedelta(days=ctx.config["auth.web_session_days"]))
        return WebUser(user) if user is not None else None

    from . import auth, cases, designer, inbox, notifications, portal, startcase, statistics, supervise
    from .api import api
    from .yearwork import BLUEPRINTS as YEARWORK  # battle map, exports, printing

    for blueprint in (auth.bp, portal.bp, inbox.bp, cases.bp, startcase.bp, notifications.bp, supervise.bp,
                      statistics.bp, designer.bp, *YEARWORK):
        app.register_blueprint(blueprint)
    app.register_blueprint(api)
    csrf.exempt(api)  # the API authenticates every call with a bearer token, not a cookie

    @app.before_request
    def zone() -> None:
        g.casework_zone = config["timezone"]

    @app.teardown_request
    def close_session(exc: BaseException | None) -> None:
        session_ = g.pop("db_session", None)
        if session_ is not None:
            if exc is not None:
                session_.rollback()
            session_.close()

    @app.context_processor
    def page_globals() -> dict[str, Any]:
        from .auth import LANGUAGES

        return {"languages": LANGUAGES, "current_language": str(_locale()), "now": clock.now(),
                "nav_links": nav_links(app), "home_url": home_url()}

    app.jinja_env.filters["when"] = _when
    app.jinja_env.filters["zone"] = lambda value, zone: value.astimezone(ZoneInfo(zone)) if value else value

    @app.errorhandler(CaseworkError)
    def casework_error(err: CaseworkError) -> Any:
        from .web import error_page

        return error_page(err)

    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError) -> Any:
        return render_template("error.html", status=400, details=[],
                               message=_("This form has expired or did not come from this site. "
                                         "Go back, reload the page and send it again.")), 400

    @app.errorhandler(403)
    @app.errorhandler(404)
    @app.errorhandler(405)
    @app.errorhandler(413)
    def http_errors(err: Any) -> Any:
        if request.path.startswith("/api/"):
            codes = {403: "forbidden", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}
            return jsonify({"error": codes[err.code], "message": err.description, "details": []}), err.code
        messages = {403: _("You are not allowed to see this page."),
                    404: _("There is nothing here. It may have been removed, or you may not be allowed to see it."),
                    405: _("This page cannot be used that way."),
                    413: _too_large()}
        return render_template("error.html", status=err.code, message=messages[err.code], details=[]), err.code

    @app.get("/")
    def index() -> Any:
        return redirect(home_url())

    return app


def _too_large() -> str:
    """The refusal of a request over the size limit, naming the limit of the kind of file it carried."""
    config = engine_context(current_app).config
    designer = request.path.startswith(("/designer", "/api/v1/definitions"))
    limit = config["uploads.max_bpmn_bytes" if designer else "uploads.max_attachment_bytes"]
    size = f"{limit / (1024 * 1024):.0f} MB" if limit >= 1024 * 1024 else f"{max(1, limit // 1024)} KB"
    return _("The file is too large: at most %(size)s. Nothing was uploaded.", size=size)


def engine_context(app: Flask) -> EngineContext:
    return app.extensions["casework"]
