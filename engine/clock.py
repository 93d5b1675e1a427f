"""The one place time comes from, so tests can move it (time-machine patches datetime.now)."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_offset = timedelta(0)  # moved only by `travel` (the demo loader replays months of work)


def now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC) + _offset


def as_utc(value: datetime | None) -> datetime | None:
    """Databases hand naive datetimes back (SQLite always); everything we store is UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@contextmanager
def travel(moment: datetime) -> Iterator[None]:
    """Run as if it were `moment`, the clock ticking on from there; SpiffWorkflow's timers (which read
    datetime.now themselves) follow too. Process-wide and not for serving: a one-off loader's tool."""
    from SpiffWorkflow.bpmn.specs.event_definitions import timer

    global _offset
    saved, saved_datetime = _offset, timer.datetime
    _offset = moment - datetime.now(UTC)

    class _Shifted(datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: ANN001, ANN206 - datetime's own signature
            return datetime.now(tz) + _offset

    timer.datetime = _Shifted
    try:
        yield
    finally:
        _offset, timer.datetime = saved, saved_datetime
