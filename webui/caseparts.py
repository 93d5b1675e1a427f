"""What the case page shows of the offices' year's work (issue 11, items 16-17): the paper forms entered for
a proposer, the paper evaluation form waiting to be entered, tracked handling and results adopted, and what
the reader may do with them. webui.cases renders it; webui.caseyear holds the routes."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from engine.cases import roles, timeline
from engine.store import Case, User
from workflows import paper, results, tracking

from .web import ctx

RESULT_KINDS = {"policy": _l("Policy"), "project": _l("Project"), "funds": _l("Funds")}
RESULT_MESSAGES = {"kind": _l("Choose policy, project or funds."), "title": _l("Give the result a title."),
                   "amount": _l("Funds need an amount in 10,000 yuan above 0; a policy or project has none."),
                   "adopted_on": _l("Give the date it was adopted, not in the future."),
                   "document": _l("The document is at most 200 characters.")}


def context(session: Session, user: User, case: Case) -> dict[str, Any]:
    """What the case page shows of paper entries, tracking and results, and what the reader may do."""
    mine = roles.user_roles(session, user, case.id)
    entries = paper.entries(session, case)
    evaluation = paper.evaluation_task(session, case.id) if case.status == "running" else None
    declared = ctx().declarations.for_case(case)
    may_paper = evaluation is not None and roles.may_enter_on_behalf(session, declared, user, case)
    track = tracking.tracking(session, case.id)
    items = results.of_case(session, case.id)
    people = timeline.display_names(session, [*(e.clerk for e in entries), *(e.on_behalf_of for e in entries),
                                              *(r.recorded_by for r in items),
                                              *([track.marked_by] if track else [])])
    return dict(
        paper_entries=entries, paper_evaluation=evaluation if may_paper else None, tracking=track,
        tracked=tracking.is_tracked(track),
        may_track=case.process_key in tracking.TRACKED_TYPES and tracking.OFFICE_ROLE in mine
        and case.status == "running",
        results=items, result_kinds=RESULT_KINDS, may_record_results=results.may_record(session, user, case),
        year_people=people, result_errors={}, result_values={}, tracking_error=None)
