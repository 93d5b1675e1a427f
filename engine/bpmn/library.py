"""The process library: lint, deploy as immutable versions, look versions up.

A deployment is all-or-nothing: every file is linted first, and if any has a problem nothing is
written. Identical content deployed again makes no new version.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import clock
from engine.bpmn import serializer
from engine.bpmn.lint import Problem, lint_files
from engine.bpmn.parser import BpmnFileError, parse_bpmn, parse_xml, process_infos, top_level_processes
from engine.errors import Conflict, Invalid
from engine.store import Case, ProcessDefinition, keep_form


@dataclass
class Deployed:
    definition: ProcessDefinition
    created: bool  # False when identical content was already the newest version


def read_files(paths: list[str | Path]) -> dict[str, bytes]:
    return {str(p): Path(p).read_bytes() for p in paths}


def check(files: dict[str, bytes]) -> list[Problem]:
    """Every problem that stops a deployment: the lint findings, and files that are not UTF-8 text
    (a version keeps its file as text, to draw it and to give it back byte for byte)."""
    problems = lint_files(files)
    for name, content in files.items():
        try:
            content.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(Problem.of(name, content[:exc.start].count(b"\n") + 1, None, "not_utf8"))
    return problems


def problem_details(problems: list[Problem]) -> list[dict]:
    return [{"file": p.file, "line": p.line, "element_id": p.element_id, "message": p.message, "code": p.code,
             "params": p.params} for p in problems]


def element_names(content: bytes) -> dict[str, str]:
    """The names of a file's elements by id (to tell people which element a problem is about); empty when
    the file cannot be read."""
    try:
        root = parse_xml(content)
    except BpmnFileError:
        return {}
    return {node.get("id"): " ".join(node.get("name").split()) for node in root.iter("{*}*")
            if node.get("id") and node.get("name") and node.get("name").strip()}


def content_hash(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(Path(name).name.encode() + b"\0" + files[name] + b"\0")
    return digest.hexdigest()


_LATEST = (select(ProcessDefinition).where(ProcessDefinition.key == bindparam("key"))
           .order_by(ProcessDefinition.version.desc()).limit(1))  # built once: every start asks


def latest(session: Session, key: str) -> ProcessDefinition | None:
    return session.scalar(_LATEST, {"key": key})


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


def case_counts(session: Session) -> dict[int, int]:
    """All cases (running, completed, cancelled, failed) per definition version."""
    rows = session.execute(select(Case.definition_id, func.count()).group_by(Case.definition_id))
    return {definition_id: n for definition_id, n in rows}


@dataclass
class VersionSummary:
    definition: ProcessDefinition
    running: int  # cases of this version still running
    total: int  # every case ever started on this version


@dataclass
class ProcessSummary:
    key: str
    name: str  # the newest version's name
    versions: list[VersionSummary]  # newest first

    @property
    def latest(self) -> ProcessDefinition:
        return self.versions[0].definition

    @property
    def running(self) -> int:
        return sum(v.running for v in self.versions)


def catalogue(session: Session) -> list[ProcessSummary]:
    """Every deployed process with all its versions (newest first) and their case counts, by key.

    The large columns (the BPMN text, the spec) stay unloaded."""
    running, total = running_counts(session), case_counts(session)
    by_key: dict[str, list[VersionSummary]] = {}
    for definition in list_definitions(session, latest_only=False):
        by_key.setdefault(definition.key, []).append(
            VersionSummary(definition, running.get(definition.id, 0), total.get(definition.id, 0)))
    result = []
    for key, versions in by_key.items():
        versions.reverse()
        result.append(ProcessSummary(key, versions[0].definition.name or key, versions))
    return result


def versions(session: Session, key: str) -> list[ProcessDefinition]:
    """Every version of one process, oldest first (the large columns stay unloaded)."""
    return list(session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == key)
                                .order_by(ProcessDefinition.version)))


def version_summary(session: Session, definition: ProcessDefinition) -> VersionSummary:
    """One version with its counts of running and all cases."""
    running = session.scalar(select(func.count()).select_from(Case).where(
        Case.definition_id == definition.id, Case.status == "running")) or 0
    total = session.scalar(select(func.count()).select_from(Case).where(Case.definition_id == definition.id)) or 0
    return VersionSummary(definition, running, total)


def running_cases(session: Session, definition_id: int, limit: int = 200) -> list[Case]:
    """The running cases of one definition version, oldest first (at most `limit`)."""
    return list(session.scalars(select(Case).where(Case.definition_id == definition_id, Case.status == "running")
                                .order_by(Case.created_at, Case.id).limit(limit)))


@dataclass
class Planned:
    """What deploying a package would do to one process: a new version, or nothing (identical content)."""

    key: str
    name: str
    current: ProcessDefinition | None  # the newest deployed version, if any
    unchanged: bool  # identical content is already the newest version

    @property
    def next_version(self) -> int:
        return self.current.version if self.unchanged and self.current else \
            (self.current.version + 1 if self.current else 1)


def plan(session: Session, files: dict[str, bytes]) -> list[Planned]:
    """What `deploy` would write for files that lint clean, without writing anything."""
    infos = process_infos(files)
    digest = content_hash(files)
    result = []
    for pid in top_level_processes(infos):
        current = latest(session, pid)
        result.append(Planned(pid, infos[pid].name or pid, current,
                              current is not None and current.content_hash == digest))
    return result


def deploy(session: Session, files: dict[str, bytes], deployed_by: str | None = None) -> list[Deployed]:
    """Lint, then write one new version per executable top-level process (or reuse an identical one)."""
    problems = check(files)
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
            spec_json=serializer.specs_to_json(package.specs[pid], package.subprocess_specs[pid]),
            starter_groups=list(groups), starter_users=list(users),
            deployed_at=clock.now(), deployed_by=deployed_by)
        session.add(definition)
        result.append(Deployed(definition, True))
        for spec in (package.specs[pid], *package.subprocess_specs[pid].values()):
            for task_spec in spec.task_specs.values():  # the forms once per version, not in every task row
                if hasattr(task_spec, "form_fields"):
                    keep_form(session, task_spec.form_fields())
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("another deployment of the same process happened at the same moment; deploy again") from None
    return result
