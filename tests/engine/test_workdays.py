"""The business calendar against the State Council's holiday notices for 2025 and 2026 (written out here,
not read from the package), its arithmetic, the configured zone, and years nobody has data for yet."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine import config as config_module
from engine.workdays import BusinessCalendar, calendar_from_config

SHANGHAI = ZoneInfo("Asia/Shanghai")


def days(first: str, last: str) -> set[date]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return {start + timedelta(days=i) for i in range((end - start).days + 1)}


# 国务院办公厅 notices on the 2025 and 2026 holidays: days off, and the weekend days worked (调休).
OFF = {
    2025: days("2025-01-01", "2025-01-01") | days("2025-01-28", "2025-02-04") | days("2025-04-04", "2025-04-06")
    | days("2025-05-01", "2025-05-05") | days("2025-05-31", "2025-06-02") | days("2025-10-01", "2025-10-08"),
    2026: days("2026-01-01", "2026-01-03") | days("2026-02-15", "2026-02-23") | days("2026-04-04", "2026-04-06")
    | days("2026-05-01", "2026-05-05") | days("2026-06-19", "2026-06-21") | days("2026-09-25", "2026-09-27")
    | days("2026-10-01", "2026-10-07"),
}
WORKED_WEEKENDS = {
    2025: {date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27), date(2025, 9, 28), date(2025, 10, 11)},
    2026: {date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9), date(2026, 9, 20),
           date(2026, 10, 10)},
}


@pytest.fixture
def cal() -> BusinessCalendar:
    return BusinessCalendar(SHANGHAI)


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_day_of_the_year_matches_the_official_calendar(cal, year):
    assert all(d.weekday() >= 5 for d in WORKED_WEEKENDS[year])  # the notices' 调休 days are Saturdays and Sundays
    wrong = []
    for d in days(f"{year}-01-01", f"{year}-12-31"):
        expected = d in WORKED_WEEKENDS[year] or (d.weekday() < 5 and d not in OFF[year])
        if cal.is_working_day(d) != expected:
            wrong.append(d.isoformat())
    assert wrong == []
    assert cal.missing_years() == []


def test_a_year_has_248_working_days(cal):
    assert cal.working_days_between("2024-12-31", "2025-12-31") == 248
    assert cal.working_days_between("2025-12-31", "2026-12-31") == 248


@pytest.mark.parametrize("start, n, expected", [
    ("2026-09-30", 5, "2026-10-13"),   # over National Day, counting the worked Saturday 10 Oct
    ("2026-09-24", 1, "2026-09-28"),   # Mid-Autumn Friday and the weekend off
    ("2026-09-18", 1, "2026-09-20"),   # the worked Sunday 20 Sep is the next working day
    ("2026-02-13", 1, "2026-02-14"),   # the worked Saturday before the Spring Festival
    ("2026-02-13", 2, "2026-02-24"),
    ("2026-02-27", 1, "2026-02-28"),
    ("2025-01-24", 1, "2025-01-26"),   # 2025: the worked Sunday 26 Jan
    ("2025-01-27", 1, "2025-02-05"),
    ("2025-04-25", 1, "2025-04-27"),
    ("2025-04-30", 1, "2025-05-06"),
    ("2025-09-30", 3, "2025-10-11"),   # 1-8 Oct off; Thu 9, Fri 10 and the worked Saturday 11
    ("2025-09-26", 1, "2025-09-28"),
    ("2026-10-13", -5, "2026-09-30"),  # counting back
    ("2026-10-08", -1, "2026-09-30"),
    ("2026-10-04", 0, "2026-10-04"),   # zero days: the date itself, even on a holiday
    ("2026-10-04", 20, "2026-11-03"),  # twenty working days: the evaluation period
])
def test_add_working_days(cal, start, n, expected):
    assert cal.add_working_days(start, n) == expected
    assert cal.add_working_days(date.fromisoformat(start), n) == date.fromisoformat(expected)
    if n >= 0 or cal.is_working_day(start):  # counting back from a holiday skips the start itself
        assert cal.working_days_between(start, expected) == n


def test_next_working_day_and_working_day_on_or_after(cal):
    assert cal.next_working_day(date(2026, 9, 30)) == date(2026, 10, 8)
    assert cal.next_working_day(date(2026, 10, 9)) == date(2026, 10, 10)  # worked Saturday
    assert cal.working_day_on_or_after(date(2026, 10, 9)) == date(2026, 10, 9)
    assert cal.working_day_on_or_after(date(2026, 10, 3)) == date(2026, 10, 8)
    assert cal.working_day_on_or_after("2026-10-11") == "2026-10-12"


def test_working_days_between_counts_after_the_first_up_to_the_last(cal):
    assert cal.working_days_between("2026-09-30", "2026-10-08") == 1
    assert cal.working_days_between("2026-10-08", "2026-09-30") == -1
    assert cal.working_days_between("2026-10-01", "2026-10-07") == 0
    assert cal.working_days_between(date(2026, 10, 12), date(2026, 10, 12)) == 0


@pytest.mark.parametrize("start, n, expected", [
    ("2026-01-31", 1, "2026-02-28"),
    ("2028-01-31", 1, "2028-02-29"),   # leap year
    ("2026-03-31", -1, "2026-02-28"),
    ("2026-05-31", 1, "2026-06-30"),
    ("2026-11-30", 3, "2027-02-28"),
    ("2026-12-15", 1, "2027-01-15"),
    ("2026-10-01", 0, "2026-10-01"),
    ("2026-08-31T09:30:00+08:00", 6, "2027-02-28T09:30:00+08:00"),
])
def test_add_months_keeps_the_day_or_takes_the_last_of_the_month(cal, start, n, expected):
    assert cal.add_months(start, n) == expected
    assert cal.missing_years() == []  # calendar months need no holiday data


def test_results_answer_in_the_kind_of_their_input(cal):
    assert cal.add_working_days("2026-11-27T10:00:00+08:00", 5) == "2026-12-04T10:00:00+08:00"
    moment = cal.add_working_days(datetime(2026, 11, 27, 10, 0), 5)  # naive: in the configured zone
    assert moment == datetime(2026, 12, 4, 10, 0, tzinfo=SHANGHAI) and moment.tzinfo is not None
    assert cal.add_working_days("2026-11-27", 5.0) == "2026-12-04"
    assert cal.add_working_days("2026-11-27", "5") == "2026-12-04"
    with pytest.raises(TypeError):
        cal.add_working_days("2026-11-27", 1.5)
    with pytest.raises(ValueError, match="not an ISO 8601"):
        cal.add_working_days("27/11/2026", 1)
    with pytest.raises(ValueError, match="more than"):
        cal.add_working_days("2026-11-27", 10 ** 6)


def test_working_days_are_counted_on_the_date_in_the_configured_zone(cal):
    # 16:30 UTC on 30 Sep is 00:30 on 1 Oct in Shanghai: already National Day.
    moment = datetime(2026, 9, 30, 16, 30, tzinfo=UTC)
    assert not cal.is_working_day(moment)
    assert cal.add_working_days(moment, 1) == datetime(2026, 10, 8, 0, 30, tzinfo=SHANGHAI)
    assert cal.add_working_days("2026-09-30T16:30:00Z", 1) == "2026-10-08T00:30:00+08:00"
    # The same instant in a calendar kept in UTC is still 30 Sep, a working day.
    utc_calendar = BusinessCalendar(ZoneInfo("UTC"))
    assert utc_calendar.is_working_day(moment)
    assert utc_calendar.add_working_days(moment, 1) == datetime(2026, 10, 8, 16, 30, tzinfo=ZoneInfo("UTC"))


def test_a_year_without_data_counts_monday_to_friday_and_warns_once(cal, caplog):
    assert cal.missing_years() == []
    with caplog.at_level(logging.WARNING, logger="engine.workdays"):
        assert cal.add_working_days("2026-12-31", 1) == "2027-01-01"  # a Friday; the real 2027 New Year unknown
        assert cal.add_working_days("2027-01-01", 1) == "2027-01-04"
        assert not cal.is_working_day(date(2027, 1, 2))
    assert cal.missing_years() == [2027]
    assert cal.missing_years(range(2025, 2029)) == [2027, 2028]
    assert [r.getMessage() for r in caplog.records].count(
        "no public holidays are known for 2027: counting Monday to Friday as working days until "
        "calendar.years in config.yaml lists them") == 1


def test_missing_years_ahead_looks_at_the_deadlines_set_today(cal):
    assert cal.missing_years_ahead(date(2026, 3, 2)) == []
    assert cal.missing_years_ahead(date(2026, 7, 1)) == [2027]
    cal.is_working_day(date(2030, 5, 5))  # a calculation reached 2030
    assert cal.missing_years_ahead(date(2026, 3, 2)) == [2030]


def test_configured_years_are_used_and_correct_the_package():
    years = {2027: {"holidays": [date(2027, 1, 1)], "workdays": ["2027-02-06"]},
             "2026": {"holidays": ["2026-12-31"]}}
    cal = BusinessCalendar(SHANGHAI, years)
    assert cal.add_working_days("2026-12-30", 1) == "2027-01-04"  # 31 Dec (configured) and 1 Jan off
    assert cal.is_working_day(date(2027, 2, 6))  # a Saturday worked
    assert not cal.is_working_day(date(2026, 10, 1))  # the rest of 2026 still from the package
    assert cal.missing_years() == [] and cal.missing_years(range(2026, 2028)) == []
    with pytest.raises(ValueError, match="2027-01-01 both as a holiday and as a working day"):
        BusinessCalendar(SHANGHAI, {2027: {"holidays": ["2027-01-01"], "workdays": ["2027-01-01"]}})


def test_config_yaml_and_the_environment_feed_the_calendar(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("calendar:\n  years:\n    2027:\n      holidays: [2027-01-01, 2027-02-05]\n"
                    "      workdays: ['2027-02-07']\n", encoding="utf-8")
    cal = calendar_from_config(config_module.load(path, environ={}))
    assert cal.next_working_day("2027-02-04") == "2027-02-07"
    assert cal.missing_years(range(2027, 2028)) == []
    from_env = calendar_from_config(config_module.load(path, environ={
        "CASEWORK_CALENDAR_YEARS": '{"2027": {"holidays": ["2027-02-04"]}}', "CASEWORK_TIMEZONE": "UTC"}))
    assert from_env.next_working_day("2027-02-03") == "2027-02-05" and from_env.zone == ZoneInfo("UTC")
