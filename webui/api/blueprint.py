"""The API blueprint and what every route shares: bearer-token authentication, the JSON body, one error
shape for every failure. The routes modules register themselves on `api`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from engine import identity
from engine.errors import BadRequest, CaseworkError, Conflict, Invalid, Unauthorized
from engine.store import User

from ..web import ctx, db  # noqa: F401  (routes import them from here)

api = Blueprint("api", __name__, url_prefix="/api/v1")


def current_user() -> User:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send a bearer token: Authorization: Bearer <token> (get one at POST /api/v1/auth/token)")
    return identity.user_for_token(db(), token.strip())


_HISTORY_VALUES = {"true": True, "1": True, "false": False, "0": False}
# the parameter as the OpenAPI document gives it, on every call answered with the case
HISTORY_PARAMETER = {"name": "history", "in": "query", "required": False,
                     "schema": {"type": "string", "enum": ["true", "false", "1", "0"], "default": "true"},
                     "description": "false: the answer leaves out the case's history (a client acting on a case "
                                    "mostly needs its state and open tasks); anything else than these values is a 422"}


def check_history_parameter() -> None:
    """`?history=false` on a call answered with the case: checked before the call does anything, so that a
    wrong value is a 422 and not a change made and then refused."""
    value = request.args.get("history")
    if value is not None and value not in _HISTORY_VALUES:
        raise Invalid("history must be true or false",
                      [{"field": "history", "code": "not_boolean", "message": "must be true or false"}])


def with_history() -> bool:
    """Whether the answer carries the case's history: yes unless the caller asked `history=false` (a client
    acting on a case mostly needs its state and open tasks; the history grows with every step)."""
    return _HISTORY_VALUES.get(request.args.get("history", "true"), True)


# the calls answered with the case (webui.api.answers), which take ?history=false
CASE_ANSWERS = {"api.get_case", "api.start_case", "api.retry_case", "api.complete_task", "api.send_message",
                "api.enter_paper_evaluation"}


@api.before_request
def check_parameters() -> None:
    if request.endpoint in CASE_ANSWERS:
        check_history_parameter()


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None:
        if request.data:
            raise BadRequest("the body is not valid JSON")
        return {}
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def error_response(err: CaseworkError) -> Any:
    return jsonify(err.to_dict()), err.status


@api.errorhandler(CaseworkError)
def handle_casework_error(err: CaseworkError) -> Any:
    db().rollback()
    body, status = error_response(err)
    retry_after = getattr(err, "retry_after", None)
    return (body, status, {"Retry-After": str(retry_after)}) if retry_after else (body, status)


@api.errorhandler(StaleDataError)
def handle_stale(err: StaleDataError) -> Any:
    db().rollback()
    return error_response(Conflict("the case changed while you worked on it; reload it and try again"))


@api.errorhandler(HTTPException)
def handle_http_error(err: HTTPException) -> Any:
    codes = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
             409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid"}
    message = err.description or err.name
    if err.code == 413:
        limit = ctx().config["uploads.max_bpmn_bytes"]
        message = f"the request is too large; a BPMN file may have at most {limit:,} bytes"
    return jsonify({"error": codes.get(err.code or 500, "error"), "message": message, "details": []}), err.code
