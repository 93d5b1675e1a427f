"""A case started once per submission: the same idempotency key from the same person gives the same case.

A form submitted twice (a double click, Back and submit again) or an API call retried after a lost answer
carries the key its first attempt carried; the first start records the key with its case in the same
transaction, and every later one finds it. Two attempts racing each other meet at the unique key: the
second's insert fails, it rolls back its own (never committed) case and answers with the first's.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.errors import Invalid
from engine.store import Case, StartKey, User

KEY = re.compile(r"^[A-Za-z0-9_.:\-]{8,100}$")


def check_key(key: str | None) -> str | None:
    """None for no key; Invalid for one that cannot be a key (8-100 letters, digits and _ . : -)."""
    if key is None or key == "":
        return None
    if not KEY.match(key):
        raise Invalid("an idempotency key has 8 to 100 letters, digits and _ . : -",
                      [{"field": "Idempotency-Key", "message": "8 to 100 letters, digits and _ . : -"}])
    return key


def earlier(session: Session, user: User, key: str) -> Case | None:
    """The case this person already started with this key, if any."""
    return session.scalar(select(Case).join(StartKey, StartKey.case_id == Case.id)
                          .where(StartKey.username == user.username, StartKey.key == key))


def start_once(session: Session, user: User, key: str | None, start: Callable[[], Case]) -> tuple[Case, bool]:
    """(the case, whether this call started it). Commits; `start` runs in the session's transaction."""
    if key is None:
        case = start()
        session.commit()
        return case, True
    found = earlier(session, user, key)
    if found is not None:
        return found, False
    case = start()
    session.add(StartKey(username=user.username, key=key, case_id=case.id))
    try:
        session.commit()
    except IntegrityError:  # the same key committed meanwhile by a racing attempt: that one is the case
        session.rollback()
        found = earlier(session, user, key)
        if found is None:
            raise
        return found, False
    return case, True
