"""Results adopted (成果转化): what a case's handling turned into, recorded as structured items — a policy
(政策文件), a project (项目) or funds (资金, with the amount in 万元) — each with a title, the date it was
adopted and the document that says so. The proposal committee or liaison office (the case's assigning
office) or the case's lead unit records them; the statistics count them per lead unit and overall, and sum
the funds (workflows.statistics, the Excel export).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, Numeric, String, case, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import clock
from engine.cases import projections, queries, roles
from engine.errors import Forbidden, Invalid, NotFound
from engine.store import Base, Case, User

from .cases import CaseFacts

_ID = BigInteger().with_variant(Integer, "sqlite")
KINDS = ("policy", "project", "funds")
RECORDER_ROLES = ("assigning_office", "lead_unit")
TITLE_MAX = 200
DOCUMENT_MAX = 200
AMOUNT_MAX = Decimal("99999999.99")  # 万元, the column's precision


class CaseResult(Base):
    __tablename__ = "case_results"
    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    case_id: Mapped[int] = mapped_column(_ID, ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))  # 万元, funds only
    adopted_on: Mapped[date] = mapped_column(Date)
    document: Mapped[str] = mapped_column(String(DOCUMENT_MAX), default="")
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime]


def may_record(session: Session, user: User, case: Case) -> bool:
    return bool(roles.user_roles(session, user, case.id) & set(RECORDER_ROLES))


def _check(session: Session, user: User, case: Case) -> None:
    if not may_record(session, user, case):
        raise Forbidden("only the case's assigning office or its lead unit records the results adopted")


def _clean(values: dict[str, Any], today: date) -> dict[str, Any]:
    """The item's values checked: Invalid with one detail per bad field."""
    details, clean = [], {}

    def bad(name: str, message: str) -> None:
        details.append({"field": name, "message": message})

    kind = str(values.get("kind") or "").strip()
    if kind not in KINDS:
        bad("kind", f"must be one of {', '.join(KINDS)}")
    title = str(values.get("title") or "").strip()
    if not title:
        bad("title", "is required")
    elif len(title) > TITLE_MAX:
        bad("title", f"at most {TITLE_MAX} characters")
    amount_text = str(values.get("amount") or "").strip().replace(",", "")
    amount = None
    if kind == "funds":
        try:
            amount = Decimal(amount_text)
            if not amount.is_finite() or amount <= 0 or amount > AMOUNT_MAX:
                raise InvalidOperation
            amount = amount.quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            bad("amount", "funds need an amount in 万元 above 0" if not amount_text else "is not an amount in 万元")
    elif amount_text and kind in KINDS:
        bad("amount", "only funds have an amount")
    adopted = values.get("adopted_on")
    try:
        adopted = adopted if isinstance(adopted, date) else date.fromisoformat(str(adopted or "").strip())
        if adopted > today:
            bad("adopted_on", "lies in the future")
    except ValueError:
        bad("adopted_on", "is required as a date (YYYY-MM-DD)")
    document = str(values.get("document") or "").strip()
    if len(document) > DOCUMENT_MAX:
        bad("document", f"at most {DOCUMENT_MAX} characters")
    if details:
        raise Invalid("the result adopted is not complete: " + "; ".join(f"{d['field']} {d['message']}"
                                                                          for d in details), details)
    clean.update(kind=kind, title=title, amount=amount, adopted_on=adopted, document=document)
    return clean


def add(ctx: Any, session: Session, user: User, case_id: Any, values: dict[str, Any]) -> CaseResult:
    """Record one result adopted on the case."""
    case = queries.get_case(session, user, case_id)
    _check(session, user, case)
    if not isinstance(values, dict):
        raise Invalid("a result is an object of fields")
    clean = _clean(values, clock.now().astimezone(ctx.zone).date())
    row = CaseResult(case_id=case.id, recorded_by=user.username, recorded_at=clock.now(), **clean)
    session.add(row)
    session.flush()
    projections.record_event(session, case, "result_recorded", user.username, clean["title"],
                             data={"kind": clean["kind"], "amount": str(clean["amount"] or ""),
                                   "adopted_on": clean["adopted_on"].isoformat(), "document": clean["document"]})
    return row


def remove(session: Session, user: User, case_id: Any, result_id: Any) -> Case:
    """Take back an item recorded by mistake (the history keeps that it was recorded and removed)."""
    case = queries.get_case(session, user, case_id)
    _check(session, user, case)
    row = session.get(CaseResult, int(result_id)) if str(result_id).isdigit() else None
    if row is None or row.case_id != case.id:
        raise NotFound(f"no result {result_id} on this case")
    projections.record_event(session, case, "result_removed", user.username, row.title)
    session.delete(row)
    return case


def of_case(session: Session, case_id: int) -> list[CaseResult]:
    return list(session.scalars(select(CaseResult).where(CaseResult.case_id == case_id)
                                .order_by(CaseResult.adopted_on, CaseResult.id)))


def empty() -> dict[str, Any]:
    return {"cases": 0, "items": 0, **dict.fromkeys(KINDS, 0), "funds_amount": 0.0}


def counts(session: Session, year: int, case_type: str | None = None) -> tuple[dict[str, Any], dict[str, dict]]:
    """(overall, per lead unit) of the year's cases (the statistics' year: that of the assignment): how
    many cases have results, how many items of each kind, the funds summed (万元)."""
    f = CaseFacts
    where = [f.year == year, f.assigned_at.is_not(None), f.lead_unit.is_not(None)]
    if case_type:
        where.append(f.case_type == case_type)
    stmt = (select(f.lead_unit, func.count(func.distinct(CaseResult.case_id)), func.count(CaseResult.id),
                   *(func.coalesce(func.sum(case((CaseResult.kind == k, 1), else_=0)), 0) for k in KINDS),
                   func.coalesce(func.sum(CaseResult.amount), 0))
            .join(f, f.case_id == CaseResult.case_id).where(*where).group_by(f.lead_unit))
    per_unit, overall = {}, empty()
    for unit, cases_, items, *by_kind, funds in session.execute(stmt):
        row = {"cases": int(cases_), "items": int(items), **{k: int(n) for k, n in zip(KINDS, by_kind, strict=True)},
               "funds_amount": round(float(funds or 0), 2)}
        per_unit[unit] = row
        for key, value in row.items():
            overall[key] += value
    overall["funds_amount"] = round(overall["funds_amount"], 2)
    return overall, per_unit
