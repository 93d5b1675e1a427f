"""A signed-in person's notifications page (reminders and escalations) and the unread count in the navigation.

The queries live in engine.notify.notifications; views only shape pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from engine.notify import notifications

from .web import db, local_path, me

bp = Blueprint("notifications", __name__)

PER_PAGE = 50
BADGE_MOST = 999  # a larger unread count shows as 999+


@bp.app_context_processor
def unread_notifications() -> dict[str, Any]:
    """For the navigation badge on every page (one indexed count, of at most BADGE_MOST + 1 rows)."""
    if not current_user or not current_user.is_authenticated:
        return {"unread_notifications": 0}
    unread = notifications.unread_count(db(), current_user.username, at_most=BADGE_MOST)
    return {"unread_notifications": f"{BADGE_MOST}+" if unread > BADGE_MOST else unread}


@bp.get("/notifications")
@login_required
def index() -> Any:
    unread_only = request.args.get("show") == "unread"
    rows = notifications.list_for(db(), me().username, unread_only, PER_PAGE + 1)
    return render_template("notifications.html", notifications=rows[:PER_PAGE], more=len(rows) > PER_PAGE,
                           unread_only=unread_only)


def _back() -> Any:
    return redirect(local_path(request.form.get("next"), url_for("notifications.index")))


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read(notification_id: int) -> Any:
    session = db()
    row = notifications.mark_read(session, me().username, notification_id)
    session.commit()
    if request.form.get("open") and row.case_id:
        return redirect(url_for("cases.show", case_id=row.case_id))
    return _back()


@bp.post("/notifications/read-all")
@login_required
def read_all() -> Any:
    session = db()
    notifications.mark_all_read(session, me().username)
    session.commit()
    return _back()
