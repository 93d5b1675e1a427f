"""The main navigation and each person's first page (read by the app factory and by sign-in)."""

from __future__ import annotations

from flask import Flask, current_app, url_for
from flask_babel import gettext as _
from flask_login import current_user

# (endpoint, label, who sees it): the main navigation, each audience its own page
NAV = (("portal.index", "My cases", "is_proposer"), ("inbox.index", "Inbox", None), ("cases.index", "Cases", None),
       ("startcase.index", "New case", "may_start_cases"), ("notifications.index", "Notifications", None),
       ("supervise.index", "Supervision", "is_supervisor"), ("statistics.index", "Statistics", "is_supervisor"),
       ("battlemap.index", "Battle map", "sees_battle_map"), ("appraisal.index", "Appraisal", "is_supervisor"),
       ("designer.index", "Processes", "is_designer"))
HOME_ROLES = ("is_supervisor", "is_designer", "is_proposer")  # roles whose own page is their first page


def nav_links(app: Flask) -> list[tuple[str, str]]:
    if not current_user or not current_user.is_authenticated:
        return []
    return [(endpoint, _(label)) for endpoint, label, role in NAV
            if endpoint in app.view_functions and (role is None or getattr(current_user, role))]


def home_url() -> str:
    """The first page of the signed-in person: supervisors, designers and proposers (the portal) start on
    their own page."""
    links = nav_links(current_app)
    for endpoint, _label, role in NAV:
        if role in HOME_ROLES and current_user.is_authenticated and getattr(current_user, role) \
                and endpoint in current_app.view_functions:
            return url_for(endpoint)
    return url_for(links[0][0]) if links else url_for("auth.settings" if current_user.is_authenticated
                                                      else "auth.sign_in")
