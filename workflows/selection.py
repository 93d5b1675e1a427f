"""The year-end selection (年度评优, bpmn/year_end_selection.bpmn): the offices nominate outstanding
suggestions and proposals (by case number, replied in the year) and advanced handling units, the
committee decides, the result is published. This module gives its service tasks and the check that
what is nominated exists."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.errors import Invalid
from engine.store import Case, Group

from .cases import CASE_TYPES, CaseFacts, CaseUnit, names

PROCESS = "year_end_selection"


def case_numbers(value: Any) -> list[str]:
    """Case numbers, one a line ("建议 2026-0042": the space belongs to the number)."""
    return list(dict.fromkeys(line.strip() for line in str(value or "").splitlines() if line.strip()))


def nominations_check(session: Session, case: Case, task: Any, data: dict[str, Any]) -> None:
    """On the nomination: every number names a suggestion or proposal replied in the year, every unit is
    a unit that handled cases; a 422 beside the field names the ones that are not."""
    if case.process_key != PROCESS or task.element_id != "nominate":
        return
    year = (case.data or {}).get("year")
    problems = []
    numbers = case_numbers(data.get("excellent_cases"))
    if numbers:
        found = dict(session.execute(select(Case.number, CaseFacts.replied_at).join(
            CaseFacts, CaseFacts.case_id == Case.id).where(Case.number.in_(numbers),
                                                            Case.process_key.in_(list(CASE_TYPES)),
                                                            CaseFacts.year == year)).all())
        wrong = [n for n in numbers if n not in found or found[n] is None]
        if wrong:
            problems.append({"field": "excellent_cases",
                             "message": f"不是{year}年已答复的建议或提案：{'、'.join(wrong)}"})
    units = names(data.get("advanced_units"))
    if units:
        known = set(session.scalars(select(CaseUnit.unit).where(CaseUnit.unit.in_(units)).distinct()))
        wrong = [u for u in units if u not in known]
        if wrong:
            problems.append({"field": "advanced_units", "message": f"不是承办单位：{'、'.join(wrong)}"})
    if problems:
        raise Invalid("推荐名单有误", problems)


class SelectionHandlers:
    def nominated(self, data: dict) -> dict:
        """selection_nominated: the lists in a form the page and the publication read."""
        return {"excellent_case_list": case_numbers(data.get("excellent_cases")),
                "advanced_unit_list": names(data.get("advanced_units")), "stage": "待评审"}

    def publish(self, data: dict) -> dict:
        """selection_publish: the decision is public from now on."""
        return {"published_at": clock.now().isoformat(timespec="seconds"), "stage": "已公布"}


def register(ctx: Any) -> None:
    h = SelectionHandlers()
    ctx.script_engine.register_service("selection_nominated", h.nominated)
    ctx.script_engine.register_service("selection_publish", h.publish)
    ctx.completion_checks.append(nominations_check)


def published(session: Session, year: int) -> list[dict[str, Any]]:
    """The published selections of a year: the cases (number, title) and the units (with names)."""
    rows = [c for c in session.scalars(select(Case).where(Case.process_key == PROCESS, Case.status == "completed")
                                       .order_by(Case.completed_at))
            if (c.data or {}).get("year") == year and (c.data or {}).get("published_at")]
    out = []
    for row in rows:
        numbers = row.data.get("excellent_case_list") or []
        units = row.data.get("advanced_unit_list") or []
        titles = dict(session.execute(select(Case.number, Case.title).where(Case.number.in_(numbers))).all()) \
            if numbers else {}
        unit_names = dict(session.execute(select(Group.name, Group.display_name)
                                          .where(Group.name.in_(units))).all()) if units else {}
        out.append({"case_id": row.id, "published_at": row.data["published_at"],
                    "cases": [(n, titles.get(n, "")) for n in numbers],
                    "units": [(u, unit_names.get(u) or u) for u in units]})
    return out
