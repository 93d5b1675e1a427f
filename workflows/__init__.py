"""The domain: suggestions and proposals on the generic engine.

`install(ctx)` gives an EngineContext what the engine leaves to the domain: case numbers, the
service-task handlers the BPMN calls by name, the facts rows kept in step on every save, and the
communications gate on completing tasks. The app factory and the CLI call it; so do tests that run
the real processes.
"""

from __future__ import annotations

import importlib
from typing import Any

from engine.context import PeriodicJob

from . import (
    arbitration,
    battlemap,
    cases,
    cosigners,
    handlers,
    leaders,
    milestones,
    notices,
    public,
    quota,
    search,
    sessions,
    tallies,
    units,
)
from .results import CaseResult  # noqa: F401 - its table belongs to the schema
from .tracking import TrackedCase  # noqa: F401 - likewise

_MODULES = ("suggestion", "proposal", "selection")  # each registers its handlers: module.register(ctx)


def install(ctx: Any) -> None:
    if getattr(ctx, "domain_installed", False):
        return
    ctx.domain_installed = True
    zone = ctx.zone
    for case_type in cases.CASE_TYPES.values():
        ctx.numberers[case_type.key] = cases.numberer(case_type, zone)
    for name in _MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"{__name__}.{name}":
                raise
            continue  # that case type's handlers are not written yet
        module.register(ctx)

    def keep_facts(session: Any, case: Any, workflow: Any) -> None:
        counted = case.process_key in cases.CASE_TYPES
        if counted:
            with session.no_autoflush:  # the engine flushes the case once, after the listeners
                tallies.ensure(session, zone)
                before = tallies.facts_of(session, case.id)
        changed = cases.sync_facts(session, case, zone)
        if counted and changed & tallies.FACT_SET:
            with session.no_autoflush:
                tallies.move(session, before, cases.facts_values(case, zone), zone)
        lead = (case.data or {}).get("lead_unit")
        # the quota is looked at when a fact it counts changed, not on every save of every suggestion
        # (the hourly sweep covers deadlines coming near while nothing changes)
        if case.process_key == "suggestion" and lead and (case.data or {}).get("assigned_at") \
                and changed & quota.FACTS:
            quota.mark(ctx, session, str(lead))

    ctx.save_listeners.append(keep_facts)
    ctx.save_listeners.append(search.keep_index(zone))  # the search box's index (workflows/search.py)
    ctx.save_listeners.append(battlemap.keep_milestones(zone))  # the battle map's rows
    ctx.save_listeners.append(notices.listener(ctx))
    ctx.save_listeners.append(leaders.listener(ctx))  # leaders in charge hear of their cases
    ctx.save_listeners.append(milestones.listener(ctx))  # the proposer hears of each step once
    ctx.start_checks.append(cosigners.start_check)
    ctx.public_data = public.public_data  # what a proposer reads of the variables (API)
    ctx.start_checks.append(sessions.start_check(ctx.config))  # 届次: a known session, or the current one
    ctx.completion_checks.append(cosigners.completion_check)
    ctx.completion_checks.append(handlers.communications_gate)
    ctx.completion_checks.append(arbitration.loops_check)
    ctx.completion_checks.append(units.check_choices)  # units and leaders from the directory
    ctx.completion_checks.append(handlers.handling_check(ctx.calendar, ctx.config))
    # a unit that is short of face replies is warned as its deadline nears, even when nothing happens
    ctx.periodic_jobs.append(PeriodicJob("face_reply_quota", 3600, quota.sweep))
