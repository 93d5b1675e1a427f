"""Errors a caller can act on; each carries the HTTP status and code the API answers with."""

from typing import Any


class CaseworkError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "details": self.details}


class BadRequest(CaseworkError):
    status, code = 400, "bad_request"


class Unauthorized(CaseworkError):
    status, code = 401, "unauthorized"


class Forbidden(CaseworkError):
    status, code = 403, "forbidden"


class NotFound(CaseworkError):
    status, code = 404, "not_found"


class Conflict(CaseworkError):
    status, code = 409, "conflict"


class TooLarge(CaseworkError):
    status, code = 413, "too_large"


class Invalid(CaseworkError):
    status, code = 422, "invalid"
