"""Reminders and escalations of human tasks and cases (being written for issue 3)."""

from __future__ import annotations

from typing import Any

KINDS = ("reminder", "escalation")


def fire(ctx: Any, session: Any, case: Any, rows: list, now: Any) -> int:
    raise NotImplementedError("deadline firing is being written")
