"""Similar cases while a proposer types (issue 12, item 4): this year's and last year's cases most like a
title and a body, ranked in SQL over the search index of workflows.search, never by a loop over the cases.

- SQLite: the typed text becomes its distinct character trigrams (the framing every title shares, "关于"
  and "的建议", dropped), looked up with OR in the FTS5 trigram table `case_search_fts` and ranked by its
  bm25 (a trigram few cases hold weighs more than one most cases hold).
- PostgreSQL: pg_trgm's word similarity of the title (and, weighed less, the start of the body) to the
  case's row, the candidates found through the GIN trigram index (`<%`).

Who sees what: a case the viewer may open (engine.cases.permissions) comes whole, with its link; for a
proposer (deputies, members) the cases of others that were accepted and assigned come with their public
facts only (number, title, lead unit, stage), so that duplicates are seen before submitting; a case still
in review, returned, withdrawn or not accepted is never shown to anyone who may not open it.
The lead unit the most similar past cases went to is suggested to the assigning office; nothing applies it.
The index gives its best CANDIDATES rows first and the year, type and visibility are checked on those: a case
ranked below them for everyone is not listed even where the viewer's own cases are few (the price of a hint that
does not check every case sharing a trigram).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Float, func, literal, literal_column, or_, select, text
from sqlalchemy import case as when
from sqlalchemy.orm import Session

from engine import clock
from engine.cases import permissions
from engine.errors import Invalid
from engine.store import Case, Group, User

from .cases import CASE_TYPES, CaseFacts
from .portal import is_proposer
from .search import CaseSearch

TITLE_MAX = 300
BODY_MAX = 5000
BODY_PROBE = 160  # the start of the body says what it is about; the rest mostly argues it
MAX_TRIGRAMS = 40
BODY_TRIGRAMS = 12  # of the body's start, after the title's: more only widen the OR without sharpening the rank
# the best matches taken from the index before the year, the case type and who may see them are checked: the
# checks then run on these rows, not on every case sharing a trigram (at 100k cases, most)
CANDIDATES = 300
LIMIT = 8
UNIT_FROM = 10  # the suggested lead unit is voted by this many most similar assigned cases
RELATIVE_FLOOR = 0.1  # a case scoring under this share of the best one is not shown
PG_THRESHOLD = "0.3"  # pg_trgm's word similarity a candidate needs (the default 0.6 misses reworded titles)
# the frame most titles share: it makes every case look alike, so it is not looked for
_FRAME = re.compile(r"^关于|的(建议|提案|意见)$|(建议|提案)$")
_SPLIT = re.compile(r"[\s\W_]+")  # punctuation and spaces end a run of characters (Chinese has no spaces)
# these reach the review and assignment pages (the office's) and the merge field of the proposal's review
REVIEW_TASKS = frozenset({"pre_review", "initial_review", "re_review", "review_decision"})
ASSIGN_TASKS = frozenset({"assign", "assign_proposal"})
MERGE_FIELD = "merged_into"


@dataclass
class SimilarCase:
    number: str
    title: str
    stage: str
    lead_unit: str  # the unit's display name ("" before assignment)
    process_key: str
    score: float
    full: bool  # the viewer may open the case; otherwise only these public facts
    case_id: int | None = None  # only where the viewer may open it
    unit_key: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = {"number": self.number, "title": self.title, "stage": self.stage, "lead_unit": self.lead_unit,
               "process_key": self.process_key, "score": round(self.score, 3), "full": self.full}
        if self.full:
            out["id"] = self.case_id
        return out


@dataclass
class SuggestedUnit:
    unit: str
    name: str
    cases: list[str] = field(default_factory=list)  # the numbers of the similar cases it handled


def check_text(title: Any, body: Any) -> tuple[str, str]:
    """The typed title and body, or Invalid naming the field (too long, not text)."""
    problems = []
    values = []
    for name, value, limit in (("title", title, TITLE_MAX), ("body", body, BODY_MAX)):
        if value is not None and not isinstance(value, str):
            problems.append({"field": name, "message": "must be text"})
            value = ""
        value = (value or "").strip()
        if len(value) > limit:
            problems.append({"field": name, "message": f"at most {limit} characters"})
        values.append(value)
    if problems:
        raise Invalid("the text to compare is not usable", problems)
    return values[0], values[1]


def _core(title: str) -> str:
    return _FRAME.sub("", _FRAME.sub("", title.strip())).strip()


def trigrams(title: str, body: str = "") -> list[str]:
    """The distinct trigrams of the title without its frame, then those of the start of the body, lower case."""
    found: dict[str, None] = {}
    for part, most in ((_core(title), MAX_TRIGRAMS), (body[:BODY_PROBE], BODY_TRIGRAMS)):
        taken = 0
        for run in _SPLIT.split(part.lower()):
            for i in range(len(run) - 2):
                if run[i:i + 3] not in found:
                    found[run[i:i + 3]] = None
                    taken += 1
                if taken >= most or len(found) >= MAX_TRIGRAMS:
                    break
            else:
                continue
            break
    return list(found)


def _years(zone: ZoneInfo) -> list[int]:
    year = clock.now().astimezone(zone).year
    return [year, year - 1]


def _ranked(session: Session, title: str, body: str) -> Any:
    """A subquery of the matching rows (case_id, score: higher is closer), or None when nothing can be looked for."""
    if session.get_bind().dialect.name == "postgresql":
        probe = _core(title) or body[:BODY_PROBE]
        if len(probe) < 2:
            return None
        session.execute(text("SELECT set_config('pg_trgm.word_similarity_threshold', :t, true)"),
                        {"t": PG_THRESHOLD})
        score = func.word_similarity(probe, CaseSearch.document)
        if body and probe != body[:BODY_PROBE]:
            score = score + 0.5 * func.word_similarity(body[:BODY_PROBE], CaseSearch.document)
        return (select(CaseSearch.case_id.label("case_id"), score.label("score"))
                .where(literal(probe).op("<%")(CaseSearch.document))
                .order_by(score.desc()).limit(CANDIDATES).subquery())
    grams = trigrams(title, body)
    if not grams:  # two characters ("电梯") make no trigram: a LIKE over the rows, as the search box does
        pairs = [w for w in _SPLIT.split((_core(title) or body[:BODY_PROBE]).lower()) if len(w) == 2][:3]
        if not pairs:
            return None
        hits = [CaseSearch.document.like(f"%{pair}%") for pair in pairs]
        score = sum((when((hit, 1.0), else_=0.0) for hit in hits[1:]), when((hits[0], 1.0), else_=0.0))
        return select(CaseSearch.case_id.label("case_id"), score.label("score")).where(or_(*hits)).subquery()
    match = " OR ".join('"' + g.replace('"', '""') + '"' for g in grams)
    ranked = (select(literal_column("case_search_fts.rowid").label("case_id"),
                     (-literal_column("bm25(case_search_fts)", Float)).label("score"))
              .select_from(text("case_search_fts"))
              .where(text("case_search_fts MATCH :match").bindparams(match=match))
              .order_by(literal_column("rank")).limit(CANDIDATES)).subquery()
    return ranked


def similar(session: Session, user: User, title: str, body: str = "", *, process_key: str | None = None,
            exclude: int | None = None, zone: ZoneInfo | None = None, limit: int = LIMIT,
            assigned_only: bool = False, public: bool | None = None) -> list[SimilarCase]:
    """The cases of this year and last most like the text, best first, as this viewer may see them."""
    zone = zone or ZoneInfo("Asia/Shanghai")
    ranked = _ranked(session, title, body)
    if ranked is None:
        return []
    visible = permissions.visible_cases(user)
    full = literal(True) if visible is None else when((visible, True), else_=False)
    public = is_proposer(user) if public is None else public
    shown = [] if visible is None else [visible]
    if public:  # others' cases once accepted and assigned: their public facts
        shown.append(CaseFacts.assigned_at.is_not(None))
    stmt = (select(Case.id, Case.number, Case.title, Case.stage, Case.process_key, CaseFacts.lead_unit,
                   Group.display_name, ranked.c.score, full.label("full"))
            .select_from(ranked).join(Case, Case.id == ranked.c.case_id)
            .join(CaseFacts, CaseFacts.case_id == Case.id)
            .outerjoin(Group, Group.name == CaseFacts.lead_unit)
            .where(CaseFacts.year.in_(_years(zone)), Case.process_key.in_([process_key] if process_key
                                                                           else list(CASE_TYPES))))
    if shown:
        stmt = stmt.where(or_(*shown))
    if exclude is not None:
        stmt = stmt.where(Case.id != exclude)
    if assigned_only:
        stmt = stmt.where(CaseFacts.lead_unit.is_not(None))
    rows = session.execute(stmt.order_by(ranked.c.score.desc(), Case.id.desc()).limit(limit)).all()
    # a case that shares only trigrams almost every case holds is no match (bm25 scores them near zero)
    floor = float(rows[0].score or 0) * RELATIVE_FLOOR if rows else 0.0
    rows = [r for r in rows if float(r.score or 0) > floor]
    return [SimilarCase(number=r.number or "", title=r.title or "", stage=r.stage or "",
                        lead_unit=r.display_name or r.lead_unit or "", process_key=r.process_key,
                        score=float(r.score or 0), full=bool(r.full), case_id=r.id if r.full else None,
                        unit_key=r.lead_unit or "") for r in rows]


def suggested_unit(session: Session, user: User, title: str, body: str = "", *, exclude: int | None = None,
                   zone: ZoneInfo | None = None) -> SuggestedUnit | None:
    """The lead unit that handled the most similar past cases the viewer may see (each case's vote weighs its
    similarity to the best one); None when no similar case was assigned yet. A hint: nothing applies it."""
    cases = similar(session, user, title, body, exclude=exclude, zone=zone, limit=UNIT_FROM, assigned_only=True,
                    public=False)
    cases = [c for c in cases if c.unit_key]
    if not cases:
        return None
    top = max(c.score for c in cases) or 1.0
    votes: dict[str, float] = {}
    for c in cases:
        votes[c.unit_key] = votes.get(c.unit_key, 0.0) + c.score / top
    unit = max(votes, key=lambda k: (votes[k], -[c.unit_key for c in cases].index(k)))
    backing = [c for c in cases if c.unit_key == unit]
    return SuggestedUnit(unit, backing[0].lead_unit or unit, [c.number for c in backing if c.number])


def for_task(session: Session, user: User, case: Case, element_id: str,
             zone: ZoneInfo | None = None) -> dict[str, Any]:
    """What the office's review or assignment task page shows beside the form: the similar cases (review) and
    the suggested lead unit (assignment); empty for any other task."""
    data = case.data or {}
    title, body = str(case.title or data.get("title") or ""), str(data.get("body") or "")
    if element_id in REVIEW_TASKS:
        return {"similar": similar(session, user, title, body, process_key=case.process_key, exclude=case.id,
                                   zone=zone, public=False)}
    if element_id in ASSIGN_TASKS:
        return {"suggested_unit": suggested_unit(session, user, title, body, exclude=case.id, zone=zone)}
    return {}


__all__ = ["ASSIGN_TASKS", "CASE_TYPES", "MERGE_FIELD", "REVIEW_TASKS", "SimilarCase", "SuggestedUnit", "check_text",
           "for_task", "similar", "suggested_unit", "trigrams"]
