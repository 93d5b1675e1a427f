"""Signing in and out, and each person's settings: language, time zone, how they are told of things."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from engine import identity
from engine.errors import Invalid, Unauthorized

from .nav import home_url
from .web import WebUser, ctx, db, identity_throttle, local_path, me

bp = Blueprint("auth", __name__)

LANGUAGES = {"zh_CN": "中文", "en": "English"}
CONTACT_ERRORS = {"email": _l("This is not an e-mail address."),
                  "phone": _l("This is not a phone number: digits, with + and the country code if abroad.")}


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: the page asked for, if it is on this site, else the home page."""
    return local_path(target, home_url())


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    error, username = None, ""
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()
        password = request.form.get("password") or ""
        config = ctx().config
        try:
            user = identity.authenticate(db(), username, password, request.remote_addr or "",
                                         **identity_throttle(config))
        except identity.TooManyAttempts as err:
            error = _("Too many failed sign-ins. Try again in %(seconds)d seconds.", seconds=err.retry_after)
        except Unauthorized:
            error = _("Wrong user name or password. Check both and try again.")
        else:
            session.clear()  # nothing from before the sign-in carries over (session fixation)
            session["sid"] = identity.open_web_session(db(), user)
            db().commit()
            login_user(WebUser(user))
            session["lang"] = user.language
            return redirect(_safe_next(request.form.get("next")))
    return render_template("sign_in.html", error=error, username=username,
                           next=request.values.get("next", "")), (401 if error else 200)


@bp.post("/sign-out")
@login_required
def sign_out() -> Any:
    identity.close_web_session(db(), session.get("sid"))  # a copy of the cookie opens nothing any more
    db().commit()
    logout_user()
    session.pop("sid", None)
    flash(_("You have signed out."), "info")
    answer = redirect(url_for("auth.sign_in"))
    # the portal's offline copies of this person's cases do not stay on a shared phone (the portal's script
    # also empties them before the form is sent, for browsers that ignore this header)
    answer.headers["Clear-Site-Data"] = '"cache", "storage"'
    return answer


@bp.post("/language")
def set_language() -> Any:
    language = request.form.get("language")
    if language in LANGUAGES:
        session["lang"] = language
        if current_user.is_authenticated:
            me().language = language
            db().commit()
    return redirect(_safe_next(request.form.get("next") or request.referrer and urlsplit(request.referrer).path))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings() -> Any:
    zones = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
    errors: dict[str, str] = {}
    if request.method == "POST":
        zone = request.form.get("timezone") or ""
        language = request.form.get("language") or ""
        user = me()
        if zone and zone not in zones:
            errors["timezone"] = _("Unknown time zone: %(zone)s", zone=zone[:80])
        try:
            if request.form.get("channels_form"):  # a post without the channels part leaves them as they are
                identity.set_contact(user, request.form.get("email", ""), request.form.get("phone", ""),
                                     bool(request.form.get("notify_email")), bool(request.form.get("notify_sms")))
        except Invalid as err:
            for detail in err.details:
                errors[detail["field"]] = CONTACT_ERRORS[detail["field"]]
        if errors:
            db().rollback()  # nothing half-saved: the page shows what was typed, with the errors beside it
            return render_template("settings.html", zones=zones, languages=LANGUAGES, errors=errors,
                                   values=request.form, **_channel_switches()), 422
        user.timezone = zone or None
        if language in LANGUAGES:
            user.language = language
            session["lang"] = language
        db().commit()
        flash(_("Your settings are saved."), "info")
        return redirect(url_for("auth.settings"))
    user = me()
    values = {"email": user.email or "", "phone": user.phone or "", "notify_email": user.notify_email,
              "notify_sms": user.notify_sms}
    return render_template("settings.html", zones=zones, languages=LANGUAGES, errors=errors, values=values,
                           **_channel_switches())


def _channel_switches() -> dict[str, bool]:
    """Whether the service sends e-mail and SMS at all (a person's choice matters only then)."""
    return {"mail_on": ctx().config["mail.enabled"], "sms_on": ctx().config["sms.enabled"]}


