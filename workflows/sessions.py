"""The sessions (届次) a case is filed under: config.yaml's `<type>.sessions` lists the known ones and names the
current one, the default of every new case. The assigning office, registering a case, may choose another known
session on the new-case form; any other value is a 422 naming `session_label`. The init handlers fill the term
and session numbers from the chosen entry, so the statistics and the quota read consistent values.
"""

from __future__ import annotations

from typing import Any

from engine.errors import Invalid

from .cases import CASE_TYPES

FIELD = "session_label"


def known(config: Any, case_type: str) -> list[dict[str, Any]]:
    """The known sessions of the case type, each {term, session, label}, as config.yaml lists them."""
    return list((config[f"{case_type}.sessions"] or {}).get("known") or [])


def current(config: Any, case_type: str) -> str:
    return str((config[f"{case_type}.sessions"] or {}).get("current") or "")


def entry(config: Any, case_type: str, label: str | None) -> dict[str, Any] | None:
    label = (label or "").strip() or current(config, case_type)
    return next((s for s in known(config, case_type) if s.get("label") == label), None)


def fill(config: Any, case_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """The term, session and label of a new case: the one it names, else the current one."""
    found = entry(config, case_type, data.get(FIELD))
    if found is None:
        return {}
    return {"term": int(found["term"]), "session": int(found["session"]), FIELD: found["label"]}


def start_check(config: Any):
    def check(session: Any, process_key: str, user: Any, data: dict[str, Any]) -> None:
        label = str((data or {}).get(FIELD) or "").strip()
        if process_key not in CASE_TYPES or not label:
            return
        if entry(config, process_key, label) is None:
            names = "、".join(s["label"] for s in known(config, process_key))
            raise Invalid(f"届次须为已知的届次之一：{names}",
                          [{"field": FIELD, "message": f"不是已知的届次：{label[:100]}", "allowed": names}])
    return check
