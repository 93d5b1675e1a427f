"""What every engine operation needs besides a session: settings, the script engine, the spec cache.

Built once per process (by the web app factory, the CLI or a test) and shared by threads; it holds
nothing another process needs (all state is in the database).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from .config import Config
from .instances import SpecCache
from .script_engine import SandboxedScriptEngine
from .store import Database

# A numbering hook gets (session, case) and returns the case number; the domain registers its own.
Numberer = Callable[[Any, Any], str]


@dataclass
class EngineContext:
    config: Config
    db: Database
    script_engine: SandboxedScriptEngine
    specs: SpecCache = field(default_factory=SpecCache)
    numberers: dict[str, Numberer] = field(default_factory=dict)
    # called after each change with the case's earliest waiting timer due (or None) so a scheduler can wake
    timer_listeners: list[Callable[[Any], None]] = field(default_factory=list)
    # the domain's hooks (workflows.install registers them; the engine never imports the domain):
    # called in _save with (session, case, workflow) before the flush, to keep its own rows in step
    save_listeners: list[Callable[[Any, Any, Any], None]] = field(default_factory=list)
    # called before a task completes with (session, case, task_row, submitted data); may raise Invalid
    completion_checks: list[Callable[[Any, Any, Any, dict], None]] = field(default_factory=list)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.config["timezone"])

    @property
    def functions(self) -> dict[str, Any]:
        return self.script_engine.functions

    @classmethod
    def create(cls, config: Config, db: Database | None = None) -> EngineContext:
        db = db or Database(config["database.url"], config["database.echo"])
        script_engine = SandboxedScriptEngine(line_budget=config["engine.script_line_budget"])
        return cls(config=config, db=db, script_engine=script_engine)
