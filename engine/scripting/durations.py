"""Bounds on what a timer may say, checked at lint and again when the timer is set.

SpiffWorkflow turns a duration's years and months into days one month at a time, so
`P99999999999Y` loops a hundred billion times in the request's thread; a negative or malformed
duration raises a bare Exception (a 500). A timer is refused when its text is not ISO 8601, when a
duration is negative or longer than a hundred years, when a date lies outside 1900-2999, or when a
cycle repeats more often than once a minute or more than a million times.
"""

from __future__ import annotations

import re
from datetime import datetime

MAX_DAYS = 36_600  # a hundred years (of 366 days)
MIN_CYCLE_SECONDS = 60
MAX_REPETITIONS = 1_000_000

_NUM = r"(\d{1,12}(?:[.,]\d{1,9})?)"
_DURATION = re.compile(rf"P(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}W)?(?:{_NUM}D)?(?:T(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?",
                       re.IGNORECASE)
_DAYS_PER = (366, 31, 7, 1, 1 / 24, 1 / 1440, 1 / 86400)


def duration_seconds(text: str) -> float | None:
    """The longest the ISO 8601 duration could last, in seconds; None if it is not one."""
    match = _DURATION.fullmatch(text.strip())
    if not match or not any(match.groups()) or text.strip().upper().endswith("T"):
        return None
    days = sum(float(value.replace(",", ".")) * per for value, per in zip(match.groups(), _DAYS_PER, strict=True)
               if value)
    return days * 86400


def _duration_problem(text: str) -> str | None:
    if text.lstrip().startswith(("-", "P-", "p-")) or "-" in text:
        return f"'{text}' is a negative duration; a timer waits forward in time"
    seconds = duration_seconds(text)
    if seconds is None:
        return f"'{text}' is not an ISO 8601 duration such as PT72H or P3M"
    if seconds > MAX_DAYS * 86400:
        return f"'{text}' is longer than a hundred years"
    return None


def _date_problem(text: str) -> str | None:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        if not text.strip()[:1].isdigit():
            return f"'{text}' is neither an ISO 8601 date-time, nor a duration (PT72H), nor a cycle (R3/PT1H)"
        return f"'{text}' is not a valid ISO 8601 date-time such as 2026-12-01T09:00:00+08:00"
    if not 1900 <= moment.year <= 2999:
        return f"'{text}' lies outside the years 1900 to 2999"
    return None


def timer_text_problem(text: str) -> str | None:
    """Why the ISO 8601 text a timer ends up with cannot be used (None if it can)."""
    if not isinstance(text, str) or not text.strip():
        return "the timer gave no date, duration or cycle"
    if len(text) > 200:
        return "the timer's text is longer than 200 characters"
    value = text.strip()
    if value[:1] in "Rr":
        match = re.fullmatch(r"R(\d*)/(.+)", value, re.IGNORECASE)
        if not match:
            return f"'{value}' is not an ISO 8601 repetition such as R3/PT1H"
        if match.group(1) and int(match.group(1)[:9]) > MAX_REPETITIONS:
            return f"'{value}' repeats more than {MAX_REPETITIONS:,} times"
        parts = match.group(2).split("/")
        durations = [p for p in parts if p.strip()[:1] in "Pp"]
        if len(parts) > 2 or len(durations) != 1:
            return f"'{value}' is not an ISO 8601 repetition such as R3/PT1H"
        for part in parts:
            problem = _duration_problem(part) if part in durations else _date_problem(part)
            if problem:
                return problem
        if (duration_seconds(durations[0]) or 0) < MIN_CYCLE_SECONDS:
            return f"'{value}' repeats more often than once a minute"
        return None
    if value[:1] in "Pp" or value.startswith("-"):
        return _duration_problem(value)
    return _date_problem(value)
