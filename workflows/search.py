"""The search index of cases: one text row per case, kept in step on every save (a save listener), and
matched in SQL with a Chinese-aware index.

The row holds what a person would type to find a case: its number, title, body, the proposer's and
co-signers' names (user name and display name), every unit's name (lead, assisting, split; group name
and display name), the category, the stage and the year ("2026年"). Chinese has no spaces between
words, so word tokenizers miss "水务" inside "区水务局"; the index is by trigrams instead:

- SQLite: an FTS5 table with the trigram tokenizer over the rows (migration 0008, triggers keep it in
  step). A term of three characters or more is looked up in it; a shorter one ("水务") cannot be made of
  trigrams, so it is a LIKE over the rows (what FTS5 itself would do for it).
- PostgreSQL: a pg_trgm GIN index over the rows; ILIKE uses it for terms of three characters or more.

Unit and person names are read when the case is saved: renaming a unit reaches a case's row at its
next save.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, Text, and_, bindparam, literal_column, or_, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from engine import clock
from engine.store import Base, Case, Group, User

from .cases import names, unit_roles

_CASE_ID = BigInteger().with_variant(Integer, "sqlite")
MAX_TERMS = 5
TERM_MAX = 50
BODY_MAX = 5000
_QUOTED = re.compile(r'["“]([^"“”]+)["”]')
_NUMBER = re.compile(r"\S{1,4} \d{4}-\d{1,6}")


class CaseSearch(Base):
    __tablename__ = "case_search"
    case_id: Mapped[int] = mapped_column(_CASE_ID, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    document: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


def document(session: Session, case: Case, zone: Any) -> str:
    """The searchable text of a case, one item a line."""
    data = case.data or {}
    people = names([data.get("proposer"), *names(data.get("cosigners"))]) if data.get("proposer") \
        else names(data.get("cosigners"))
    people = [p for p in dict.fromkeys([*people, case.started_by]) if p]
    units = list(unit_roles(data)) or ([str(data["lead_unit"])] if data.get("lead_unit") else [])
    user_names = dict(session.execute(_USER_NAMES, {"names": people}).all()) if people else {}
    unit_names = dict(session.execute(_UNIT_NAMES, {"names": units}).all()) if units else {}
    since = case.created_at
    year = data.get("assigned_at") and str(data["assigned_at"])[:4]
    parts = [case.number or "", case.title or "", str(data.get("body") or "")[:BODY_MAX],
             *(f"{p} {user_names.get(p) or ''}" for p in people),
             *(f"{u} {unit_names.get(u) or ''}" for u in units),
             str(data.get("category") or ""), str(data.get("session_label") or ""), case.stage or "",
             f"{year}年" if year else (f"{since.astimezone(zone).year}年" if since else "")]
    return "\n".join(part.strip() for part in parts if part and part.strip())


# built once (every save runs them); the names by expanding parameters, so one statement serves any list
_USER_NAMES = select(User.username, User.display_name).where(User.username.in_(bindparam("names", expanding=True)))
_UNIT_NAMES = select(Group.name, Group.display_name).where(Group.name.in_(bindparam("names", expanding=True)))
# INSERT the row, or UPDATE it when its text changed: one statement instead of a read and a write. As text
# (the same on SQLite and PostgreSQL): SQLAlchemy cannot cache the compiled form of its ON CONFLICT
# construct, and compiling it on every save cost more than running it
_UPSERT = text(
    "INSERT INTO case_search (case_id, document, updated_at) VALUES (:cid, :doc, :at) "
    "ON CONFLICT (case_id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at "
    "WHERE case_search.document <> excluded.document"
).bindparams(bindparam("at", type_=CaseSearch.__table__.c.updated_at.type))


def keep_index(zone: Any):
    """The save listener: write the case's row when its text changed (most saves change nothing here)."""
    def listener(session: Session, case: Case, workflow: Any) -> None:
        with session.no_autoflush:
            text_ = document(session, case, zone)
            session.execute(_UPSERT, {"cid": case.id, "doc": text_, "at": clock.now()})
    return listener


def terms(q: str | None) -> list[str]:
    """The words of a search box: at most MAX_TERMS, each at most TERM_MAX characters, without the
    LIKE wildcard '%' (a '_' stays: user and unit names have it, and it only widens the match).
    "Quoted words" stay together, and so does a case number typed whole ("建议 2026-0042")."""
    text_ = str(q or "")
    words = [m.group(1) for m in _QUOTED.finditer(text_)]
    rest = _QUOTED.sub(" ", text_).strip()
    words += [rest] if _NUMBER.fullmatch(rest) else rest.split()
    words = [w.replace("%", "").strip()[:TERM_MAX] for w in words]
    return [w for w in dict.fromkeys(words) if w][:MAX_TERMS]


def matching(session: Session, q: str | None) -> ColumnElement[bool] | None:
    """A WHERE clause on cases: those whose row (or title, or number) holds every term; None for no terms."""
    words = terms(q)
    if not words:
        return None
    sqlite = session.get_bind().dialect.name == "sqlite"
    clauses = []
    for number, word in enumerate(words):
        pattern = f"%{word}%"
        if sqlite and len(word) >= 3:
            found = select(literal_column("rowid")).select_from(text("case_search_fts")).where(
                text(f"case_search_fts.document LIKE :term{number}").bindparams(**{f"term{number}": pattern}))
        else:
            found = select(CaseSearch.case_id).where(CaseSearch.document.ilike(pattern))
        # title and number directly as well: cases of processes outside the domain have no row
        clauses.append(or_(Case.id.in_(found), Case.title.ilike(pattern), Case.number.ilike(pattern)))
    return and_(*clauses)
