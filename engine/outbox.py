"""The outbox of notifications (being written for issue 3)."""

from __future__ import annotations

from typing import Any


def deliver_due(ctx: Any) -> int:
    """Deliver pending messages whose time has come; returns how many were delivered."""
    return 0
