"""The case list with the domain's filters and sorting: one search box (workflows/search.py), session
(届次), year, unit, category, class, stage, status and case type, on the cases a person may see; and
`in_charge`: the cases where the person is a named leader in charge (我包案的案件, workflows.leaders).

The page, its Excel export and `GET /api/v1/cases` all read through `Filters` and `find`, so the
export holds exactly the rows the list shows (every page of them).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from engine.cases import permissions
from engine.cases.queries import CASE_STATUSES
from engine.errors import BadRequest
from engine.store import Case, Group, User

from . import leaders, search
from .cases import CLASSES, CaseFacts, CaseUnit

SORTS = {
    "number": Case.number, "title": Case.title, "stage": Case.stage, "status": Case.status, "due": Case.due_at,
    "created": Case.created_at, "year": CaseFacts.year, "unit": CaseFacts.lead_unit,
    "category": CaseFacts.category, "class": CaseFacts.result_class, "session": CaseFacts.session_label,
}
DEFAULT_SORT = "-created"


@dataclass(frozen=True)
class Filters:
    q: str = ""
    status: str = ""
    process_key: str = ""
    stage: str = ""
    year: int | None = None
    session_label: str = ""
    unit: str = ""
    category: str = ""
    result_class: str = ""
    in_charge: bool = False
    sort: str = DEFAULT_SORT

    @classmethod
    def from_args(cls, args: Any) -> Filters:
        """Read from query arguments; a wrong value is a BadRequest naming it (the page and the API say so)."""
        def get(*keys: str) -> str:
            for key in keys:
                value = (args.get(key) or "").strip()
                if value:
                    return value[:200]
            return ""

        year_text = get("year")
        if year_text and not (year_text.isdigit() and 2000 <= int(year_text) <= 2100):
            raise BadRequest(f"year must be a year like 2026, not {year_text!r}")
        status = get("status")
        if status and status not in CASE_STATUSES:
            raise BadRequest(f"status must be one of {', '.join(CASE_STATUSES)}")
        result_class = get("class", "result_class").upper()
        if result_class and result_class not in CLASSES:
            raise BadRequest(f"class must be one of {', '.join(CLASSES)}")
        in_charge = get("in_charge").lower()
        if in_charge not in ("", "0", "1", "true", "false"):
            raise BadRequest("in_charge must be 1 or 0")
        sort = get("sort") or DEFAULT_SORT
        if sort.lstrip("-") not in SORTS:
            raise BadRequest(f"sort must be one of {', '.join(SORTS)} (with '-' for descending)")
        return cls(q=get("q"), status=status, process_key=get("type", "process_key"), stage=get("stage"),
                   year=int(year_text) if year_text else None, session_label=get("session"), unit=get("unit"),
                   category=get("category"), result_class=result_class, in_charge=in_charge in ("1", "true"),
                   sort=sort)

    def args(self) -> dict[str, str]:
        """The filters as query arguments (for links that keep them: pages, sorting, export)."""
        keys = {"process_key": "type", "session_label": "session", "result_class": "class"}
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is False:
                continue
            if value is True:
                value = 1
            if value not in (None, "") and not (f.name == "sort" and value == DEFAULT_SORT):
                out[keys.get(f.name, f.name)] = str(value)
        return out

    @property
    def any(self) -> bool:
        return any(k != "sort" for k in self.args())


def statement(session: Session, user: User, filters: Filters) -> Select:
    stmt = select(Case, CaseFacts).outerjoin(CaseFacts, CaseFacts.case_id == Case.id)
    clause = permissions.listed_cases(user)
    if clause is not None:
        stmt = stmt.where(clause)
    found = search.matching(session, filters.q)
    if found is not None:
        stmt = stmt.where(found)
    for column, value in ((Case.status, filters.status), (Case.process_key, filters.process_key),
                          (Case.stage, filters.stage), (CaseFacts.year, filters.year),
                          (CaseFacts.session_label, filters.session_label), (CaseFacts.category, filters.category),
                          (CaseFacts.result_class, filters.result_class)):
        if value not in (None, ""):
            stmt = stmt.where(column == value)
    if filters.in_charge:
        stmt = stmt.where(leaders.in_charge_clause(user))
    if filters.unit:  # any part in the case: lead, assisting or split
        stmt = stmt.where(exists(select(CaseUnit.case_id).where(CaseUnit.case_id == Case.id,
                                                                CaseUnit.unit == filters.unit)))
    return stmt.order_by(*ordering(filters))


def ordering(filters: Filters) -> list[Any]:
    column = SORTS[filters.sort.lstrip("-")]
    order = column.desc() if filters.sort.startswith("-") else column.asc()
    # a column that is never empty sorts on itself alone, so that an index can give the order
    first = [] if column.expression.table is Case.__table__ and not column.expression.nullable else [column.is_(None)]
    return [*first, order, Case.id.desc()]


def find(session: Session, user: User, filters: Filters, limit: int | None = 100,
         offset: int = 0) -> list[tuple[Case, CaseFacts | None]]:
    stmt = statement(session, user, filters)
    if limit is not None:  # the page's ids first (sorted on narrow rows), then only those rows in full
        page = stmt.with_only_columns(Case.id).limit(limit).offset(offset).scalar_subquery()
        stmt = (select(Case, CaseFacts).outerjoin(CaseFacts, CaseFacts.case_id == Case.id)
                .where(Case.id.in_(page)).order_by(*ordering(filters)))
    return [(case, facts) for case, facts in session.execute(stmt)]


def options(session: Session) -> dict[str, list[Any]]:
    """The choices of the filter boxes: what the facts rows hold."""
    def distinct(column: Any) -> list[Any]:
        return [v for v in session.scalars(select(column).where(column.is_not(None)).distinct().order_by(column))
                if v != ""]

    units = distinct(CaseUnit.unit)
    unit_names = dict(session.execute(select(Group.name, Group.display_name).where(Group.name.in_(units))).all())
    return {"years": sorted(distinct(CaseFacts.year), reverse=True), "sessions": distinct(CaseFacts.session_label),
            "units": [(u, unit_names.get(u) or u) for u in units], "categories": distinct(CaseFacts.category),
            "stages": distinct(Case.stage), "classes": list(CLASSES)}


def unit_names(session: Session, units: list[str]) -> dict[str, str]:
    if not units:
        return {}
    return {n: d or n for n, d in session.execute(select(Group.name, Group.display_name)
                                                   .where(Group.name.in_(sorted(set(units))))).all()}
