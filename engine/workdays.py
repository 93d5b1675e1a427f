"""The business calendar: Chinese working days (public holidays and adjusted working days, 调休) in one zone.

Data comes from the ``chinese-calendar`` package; ``calendar.years`` in config.yaml corrects it date by
date and adds years it does not know yet. For a year known to neither, Monday to Friday count as
working days and the year is logged once and reported by ``missing_years`` (the supervisor page shows it).

Every function takes a date, a datetime (aware, or naive = the configured zone) or ISO 8601 text, as
task data holds them, and answers in kind: a date for a date, an aware datetime in the configured
zone at the same local time of day for a datetime, ISO text for text (task data stays plain JSON).
Working days are counted on the local date in the configured zone, never on the UTC date.
"""

from __future__ import annotations

import logging
from calendar import monthrange
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chinese_calendar import constants as package

log = logging.getLogger(__name__)

PACKAGE_YEARS = range(min(d.year for d in package.holidays), max(d.year for d in package.holidays) + 1)
# Longer counts are a mistake in a model (and would walk the calendar for a long time).
MAX_WORKING_DAYS = 10_000
# The longest default deadline (a reply with an approved extension): warn this far ahead.
WARN_MONTHS_AHEAD = 6

When = date | datetime | str


class BusinessCalendar:
    """Shared by threads: after construction it only reads its data (and notes missing years)."""

    def __init__(self, zone: ZoneInfo, years: dict | None = None):
        self.zone = zone
        self._known_years: set[int] = set()
        self._holidays: set[date] = set()
        self._workdays: set[date] = set()
        for year, entry in (years or {}).items():
            self._known_years.add(int(year))
            self._holidays.update(_dates(entry.get("holidays")))
            self._workdays.update(_dates(entry.get("workdays")))
        both = sorted(self._holidays & self._workdays)
        if both:
            raise ValueError(f"calendar.years lists {both[0].isoformat()} both as a holiday and as a working day")
        self._missing_used: set[int] = set()

    # ---------------------------------------------------------------- data

    def has_data(self, year: int) -> bool:
        return year in PACKAGE_YEARS or year in self._known_years

    def missing_years(self, between: Iterable[int] | None = None) -> list[int]:
        """Years without holiday data: those in ``between``, or (None) those a calculation has used so far."""
        years = self._missing_used if between is None else between
        return sorted(year for year in set(years) if not self.has_data(year))

    def missing_years_ahead(self, today: date, months: int = WARN_MONTHS_AHEAD) -> list[int]:
        """What to warn about now: years without data that a calculation used, or that a deadline set
        today may reach (up to ``months`` ahead). Computed, so every process warns alike."""
        horizon = self.add_months(today, months)
        return sorted(set(self.missing_years()) | set(self.missing_years(range(today.year, horizon.year + 1))))

    def is_working_day(self, day: When) -> bool:
        d = self.local_date(day)
        if d in self._workdays:
            return True
        if d in self._holidays:
            return False
        if d.year in PACKAGE_YEARS:
            return d in package.workdays or (d.weekday() < 5 and d not in package.holidays)
        if d.year not in self._known_years and d.year not in self._missing_used:
            self._missing_used.add(d.year)
            log.warning("no public holidays are known for %d: counting Monday to Friday as working days until "
                        "calendar.years in config.yaml lists them", d.year)
        return d.weekday() < 5

    # ---------------------------------------------------------------- arithmetic

    def add_working_days(self, start: When, n: Any) -> When:
        """The n-th working day after start (n < 0: before it; n = 0: start itself), same time of day."""
        count = _whole(n)
        if abs(count) > MAX_WORKING_DAYS:
            raise ValueError(f"{count} working days is more than {MAX_WORKING_DAYS}")
        return self._shift(start, lambda d: self._step(d, count))

    def next_working_day(self, day: When) -> When:
        """The first working day strictly after day (the same as add_working_days(day, 1))."""
        return self._shift(day, lambda d: self._step(d, 1))

    def working_day_on_or_after(self, day: When) -> When:
        """day itself if it is a working day, else the next one."""
        return self._shift(day, lambda d: d if self.is_working_day(d) else self._step(d, 1))

    def working_days_between(self, a: When, b: When) -> int:
        """Working days after a up to and including b (negative when b is before a), so that
        working_days_between(a, add_working_days(a, n)) == n."""
        first, last = self.local_date(a), self.local_date(b)
        sign = 1 if last >= first else -1
        if sign < 0:
            first, last = last, first
        if (last - first).days > MAX_WORKING_DAYS * 2:
            raise ValueError(f"{first} to {last} is too long a span to count working days in")
        days = (first + timedelta(days=i) for i in range(1, (last - first).days + 1))
        return sign * sum(1 for d in days if self.is_working_day(d))

    def add_months(self, start: When, n: Any) -> When:
        """n calendar months later (earlier when negative); a day the month lacks becomes its last day
        (Jan 31 + 1 month = Feb 28, or 29 in a leap year)."""
        count = _whole(n)

        def shift(d: date) -> date:
            year, month = divmod(d.year * 12 + d.month - 1 + count, 12)
            return date(year, month + 1, min(d.day, monthrange(year, month + 1)[1]))

        return self._shift(start, shift)

    # ---------------------------------------------------------------- inputs and results

    def local_date(self, value: When) -> date:
        """The date of value in the configured zone."""
        value = _from_text(value) if isinstance(value, str) else value
        if isinstance(value, datetime):
            return self._local(value).date()
        if isinstance(value, date):
            return value
        raise TypeError(f"expected a date, a date-time or ISO 8601 text, got {type(value).__name__} {value!r}")

    def _local(self, value: datetime) -> datetime:
        return value.astimezone(self.zone) if value.tzinfo else value.replace(tzinfo=self.zone)

    def _shift(self, value: When, move: Callable[[date], date]) -> When:
        if isinstance(value, str):
            return self._shift(_from_text(value), move).isoformat()
        if isinstance(value, datetime):
            local = self._local(value)
            return datetime.combine(move(local.date()), local.time(), self.zone)
        if isinstance(value, date):
            return move(value)
        raise TypeError(f"expected a date, a date-time or ISO 8601 text, got {type(value).__name__} {value!r}")

    def _step(self, d: date, count: int) -> date:
        step = timedelta(days=1 if count > 0 else -1)
        remaining = abs(count)
        while remaining:
            d += step
            remaining -= self.is_working_day(d)
        return d


def _dates(values: Iterable[Any] | None) -> set[date]:
    """YAML gives dates; environment JSON and quoted YAML give text."""
    return {v if isinstance(v, date) else date.fromisoformat(str(v).strip()) for v in values or ()}


def _from_text(text: str) -> date | datetime:
    text = text.strip()
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date or date-time") from None


def _whole(n: Any) -> int:
    """A count of days or months: whole numbers, also as 5.0 or '5' (form fields and JSON give those)."""
    if isinstance(n, bool):
        raise TypeError(f"expected a whole number, got {n!r}")
    if isinstance(n, int):
        return n
    if isinstance(n, float) and n.is_integer():
        return int(n)
    if isinstance(n, str) and n.strip().lstrip("+-").isdigit():
        return int(n)
    raise TypeError(f"expected a whole number, got {n!r}")


def calendar_from_config(config: Any) -> BusinessCalendar:
    return BusinessCalendar(ZoneInfo(config["timezone"]), config["calendar.years"])
