"""What the page blueprints share: the request's session and engine context, the signed-in user,
role checks, and turning engine errors into pages a person can act on."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import abort, current_app, g, render_template
from flask_babel import gettext as _
from flask_login import UserMixin, current_user
from sqlalchemy.orm import Session

from engine import identity
from engine.cases import startforms
from engine.context import EngineContext
from engine.errors import CaseworkError
from engine.store import User
from workflows import portal


class WebUser(UserMixin):
    """The signed-in person for Flask-Login; engine calls get the database row, `.user`."""

    def __init__(self, user: User):
        self.user = user

    def get_id(self) -> str:
        return str(self.user.id)

    @property
    def is_active(self) -> bool:
        return self.user.active

    @property
    def username(self) -> str:
        return self.user.username

    @property
    def display_name(self) -> str:
        return self.user.display_name or self.user.username

    @property
    def groups(self) -> set[str]:
        return self.user.group_names

    @property
    def is_supervisor(self) -> bool:
        return identity.is_supervisor(self.user)

    @property
    def is_admin(self) -> bool:
        return identity.ADMINS in self.user.group_names

    @property
    def is_designer(self) -> bool:
        return identity.is_designer(self.user)

    @property
    def sees_battle_map(self) -> bool:
        """Supervisors and the handling units' members (the battle map link); asked once per request."""
        if not hasattr(self, "_sees_battle_map"):
            from workflows.battlemap import units_for

            self._sees_battle_map = units_for(db(), self.user) != set()
        return self._sees_battle_map

    @property
    def is_proposer(self) -> bool:
        """A deputy or member: the portal (掌上提案) is their first page."""
        return portal.is_proposer(self.user)

    @property
    def may_start_cases(self) -> bool:
        """May start a case of at least one deployed process (the New case link); asked once per request."""
        if not hasattr(self, "_may_start_cases"):
            self._may_start_cases = bool(startforms.startable(db(), self.user))
        return self._may_start_cases


def ctx() -> EngineContext:
    return current_app.extensions["casework"]


def db() -> Session:
    """The request's session (closed by the app at the end of the request)."""
    if "db_session" not in g:
        g.db_session = ctx().db.sessions()
    return g.db_session


def identity_throttle(config: Any) -> dict[str, Any]:
    """The sign-in throttle's settings, as identity.authenticate takes them."""
    return {"max_failures": config["auth.max_failed_sign_ins"],
            "window_minutes": config["auth.sign_in_lockout_minutes"],
            "max_delay_seconds": config["auth.max_sign_in_delay_seconds"],
            "max_address_failures": config["auth.max_failed_sign_ins_per_address"]}


def me() -> User:
    """The signed-in user's row (pages are behind login_required)."""
    return current_user.user


def local_path(target: str | None, fallback: str) -> str:
    """A `next` address to go back to, only if it is a path on this site (never another host:
    no scheme, no `//host`, no backslash that a browser would read as one)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target \
            and not urlsplit(target).netloc:
        return target
    return fallback


def supervisors_only(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated or not current_user.is_supervisor:
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def designers_only(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated or not current_user.is_designer:
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def error_page(err: CaseworkError) -> Any:
    """An engine error on a page, in the reader's language: what went wrong by its code (a case that is not
    there by its number), the engine's own words folded away as technical details, and a way back."""
    db().rollback()
    case = next((d.get("case") for d in err.details if d.get("code") == "no_case"), None)
    if case is not None:
        message = _("There is no case %(case)s, or you may not see it.", case=case)
    else:
        message = {
            "unauthorized": _("Please sign in again."),
            "forbidden": _("You are not allowed to do this."),
            "not_found": _("There is nothing here. It may have been removed, or you may not be allowed to see it."),
            "conflict": _("Someone changed this meanwhile. Reload the page and try again."),
            "too_large": _("The file is too large. Nothing was uploaded."),
            "invalid": _("Some values are not right; nothing was changed."),
        }.get(err.code, _("This request could not be carried out; nothing was changed."))
    return render_template("error.html", status=err.status, message=message, technical=err.message), err.status
