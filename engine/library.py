"""The process library: lint, deploy as immutable versions, look versions up.

A deployment is all-or-nothing: every file is linted first, and if any has a problem nothing is
written. Identical content deployed again makes no new version.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import clock, instances
from .errors import Conflict, Invalid
from .lint import Problem, lint_files
from .parser import parse_bpmn
from .store import Case, ProcessDefinition


@dataclass
class Deployed:
    definition: ProcessDefinition
    created: bool  # False when identical content was already the newest version


def read_files(paths: list[str | Path]) -> dict[str, bytes]:
    return {str(p): Path(p).read_bytes() for p in paths}


def problem_details(problems: list[Problem]) -> list[dict]:
    return [{"file": p.file, "line": p.line, "element_id": p.element_id, "message": p.message} for p in problems]


def content_hash(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(Path(name).name.encode() + b"\0" + files[name] + b"\0")
    return digest.hexdigest()


def latest(session: Session, key: str) -> ProcessDefinition | None:
    return session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key)
                          .order_by(ProcessDefinition.version.desc()).limit(1))


def get_version(session: Session, key: str, version: int) -> ProcessDefinition | None:
    return session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key,
                                                          ProcessDefinition.version == version))


def list_definitions(session: Session, latest_only: bool = True) -> list[ProcessDefinition]:
    stmt = select(ProcessDefinition)
    if latest_only:
        newest = select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("v")) \
            .group_by(ProcessDefinition.key).subquery()
        stmt = stmt.join(newest, (ProcessDefinition.key == newest.c.key) & (ProcessDefinition.version == newest.c.v))
    return list(session.scalars(stmt.order_by(ProcessDefinition.key, ProcessDefinition.version)))


def running_counts(session: Session) -> dict[int, int]:
    """Running cases per definition version."""
    rows = session.execute(select(Case.definition_id, func.count()).where(Case.status == "running")
                           .group_by(Case.definition_id))
    return {definition_id: n for definition_id, n in rows}


def deploy(session: Session, files: dict[str, bytes], deployed_by: str | None = None) -> list[Deployed]:
    """Lint, then write one new version per executable top-level process (or reuse an identical one)."""
    problems = lint_files(files)
    if problems:
        raise Invalid(f"{len(problems)} problem(s) found; nothing was deployed", problem_details(problems))
    package = parse_bpmn(files)
    digest = content_hash(files)
    result = []
    for pid in package.top_level:
        current = latest(session, pid)
        if current is not None and current.content_hash == digest:
            result.append(Deployed(current, False))
            continue
        info = package.processes[pid]
        groups, users = package.starters(pid)
        definition = ProcessDefinition(
            key=pid, version=(current.version + 1) if current else 1, name=info.name or pid,
            file_name=Path(info.file or "").name, content_hash=digest,
            bpmn_xml=files[info.file].decode("utf-8") if info.file in files else "",
            spec_json=instances.specs_to_json(package.specs[pid], package.subprocess_specs[pid]),
            starter_groups=list(groups), starter_users=list(users),
            deployed_at=clock.now(), deployed_by=deployed_by)
        session.add(definition)
        result.append(Deployed(definition, True))
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("another deployment of the same process happened at the same moment; deploy again") from None
    return result
