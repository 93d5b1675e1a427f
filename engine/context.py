"""What every engine operation needs besides a session: settings, the script engine, the spec cache.

Built once per process (by the web app factory, the CLI or a test) and shared by threads; it holds
nothing another process needs (all state is in the database).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from engine import clock
from engine.cases.instances import SpecCache
from engine.cases.roles import DeclarationCache
from engine.cases.startforms import StartFormCache
from engine.config import Config
from engine.scripting.script_engine import SandboxedScriptEngine
from engine.store import Database
from engine.workdays import BusinessCalendar, calendar_from_config

# A numbering hook gets (session, case) and returns the case number; the domain registers its own.
Numberer = Callable[[Any, Any], str]


@dataclass(frozen=True)
class PeriodicJob:
    """A sweep the timer scheduler's leader runs every `every_seconds` (e.g. the face-reply quota check)."""

    name: str
    every_seconds: float
    run: Callable[[Any], None]  # gets the EngineContext; opens its own session


@dataclass
class EngineContext:
    config: Config
    db: Database
    script_engine: SandboxedScriptEngine
    specs: SpecCache = field(default_factory=SpecCache)
    start_forms: StartFormCache = field(default_factory=StartFormCache)
    declarations: DeclarationCache = field(default_factory=DeclarationCache)  # roles, start data, messages
    numberers: dict[str, Numberer] = field(default_factory=dict)
    # called after each change with the case's earliest waiting timer due (or None) so a scheduler can wake
    timer_listeners: list[Callable[[Any], None]] = field(default_factory=list)
    # the domain's hooks (workflows.install registers them; the engine never imports the domain):
    # called in _save with (session, case, workflow) before the flush, to keep its own rows in step
    save_listeners: list[Callable[[Any, Any, Any], None]] = field(default_factory=list)
    # called before a task completes with (session, case, task_row, submitted data); may raise Invalid
    completion_checks: list[Callable[[Any, Any, Any, dict], None]] = field(default_factory=list)
    # called before a case starts with (session, process_key, starting user, start data); may raise Invalid
    start_checks: list[Callable[[Any, str, Any, dict], None]] = field(default_factory=list)
    # run by the scheduler that holds the lease (engine.schedule.timers), idempotent
    periodic_jobs: list[PeriodicJob] = field(default_factory=list)
    # (case, variables) -> the variables a public-only reader (a proposer) may read; none when unset
    public_data: Callable[[Any, dict], dict] = field(default=lambda case, values: {})

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.config["timezone"])

    @cached_property
    def calendar(self) -> BusinessCalendar:
        return calendar_from_config(self.config)

    @property
    def functions(self) -> dict[str, Any]:
        return self.script_engine.functions

    @classmethod
    def create(cls, config: Config, db: Database | None = None) -> EngineContext:
        db = db or Database(config["database.url"], config["database.echo"])
        script_engine = SandboxedScriptEngine(line_budget=config["engine.script_line_budget"])
        context = cls(config=config, db=db, script_engine=script_engine)
        context.register_calendar_functions()
        return context

    def register_calendar_functions(self) -> None:
        """The business calendar and the clock, callable from BPMN expressions and scripts."""
        calendar, zone = self.calendar, self.zone
        self.script_engine.zone = zone  # a timer's bare date or naive time is meant in this zone
        for name in ("add_working_days", "add_months", "next_working_day", "working_day_on_or_after",
                     "working_days_between"):
            self.script_engine.register_function(name, getattr(calendar, name))
        self.script_engine.register_function("now", clock.now)
        self.script_engine.register_function("today", lambda: clock.now().astimezone(zone).date())
