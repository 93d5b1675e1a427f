"""Bounds on the numbers a person can send: ids and paging values.

Both databases keep ids in 64-bit integers; a larger number sent to them is an OverflowError (SQLite)
or a DataError (PostgreSQL), a 500. Every id and every paging value read from a request goes through
here first: an id out of range names nothing (404), a paging value out of range is invalid (422).
"""

from __future__ import annotations

from typing import Any

from engine.errors import Invalid, NotFound

MAX_ID = 2**63 - 1  # the largest BIGINT; INTEGER primary keys in SQLite are 64-bit too
MAX_PAGE = 10**9  # a page number past this is past the end of any list this service keeps


def parse_id(value: Any, what: str = "record") -> int:
    """The id as an int, or NotFound: no record has an id that is not a whole number in 1..MAX_ID."""
    if isinstance(value, bool):
        raise NotFound(f"no {what} {value}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value) < 30:
        number = int(value)
    else:
        raise NotFound(f"no {what} {str(value)[:40]}")
    if not 1 <= number <= MAX_ID:
        raise NotFound(f"no {what} {str(value)[:40]}")
    return number


def _whole(value: Any, field: str, low: int, high: int) -> int:
    text = str(value).strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not (digits.isascii() and digits.isdigit()):
        raise Invalid(f"{field} must be a whole number", [{"field": field, "message": "must be a whole number"}])
    number = int(text) if len(digits) <= 30 else (high + 1 if text[:1] != "-" else low - 1)  # no huge int()
    if not low <= number <= high:
        raise Invalid(f"{field} must be between {low} and {high}",
                      [{"field": field, "message": f"must be between {low} and {high}"}])
    return number


def page(limit: Any, offset: Any, default: int, maximum: int) -> tuple[int, int]:
    """`limit` and `offset` from a request: 1..maximum and 0..MAX_ID, else Invalid naming the field."""
    limit = default if limit in (None, "") else _whole(limit, "limit", 1, maximum)
    offset = 0 if offset in (None, "") else _whole(offset, "offset", 0, MAX_ID)
    return limit, offset


def page_number(value: Any) -> int:
    """A page's `?page=` number: 1 for anything that is not one, at most MAX_PAGE (a page past the end)."""
    text = str(value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        return MAX_PAGE if text.isascii() and text.isdigit() else 1
    return min(max(1, int(text)), MAX_PAGE)
