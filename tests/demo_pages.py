"""Every page of the demo district, walked with the test client, and the rules the page tests hold them to.

`walk` lists (who, path) for each page kind: sign-in, inbox, the task form of each open task kind, a case
page per case type and stage, the case list, supervision, statistics, appraisal, battle map, designer,
new case, notifications, settings, the proposers' portal (list, case, task, new) and the error pages.

The page chrome (what the application itself says) is checked for the reader's language; what the
district holds as data is not chrome and is taken out first (`DATA RULE`):
- text inside an element carrying `data-content` (content a person typed, where a page marks it);
- every text the district stores as data: the names of people and groups, case titles and numbers, the
  names in the deployed models (processes, tasks, lanes: the models are written in Chinese), each text
  value in case data (categories, sessions, replies, records), notes, attachment names, notices' texts,
  the events' messages and recorded values, results adopted and the reasons for tracked handling.
In Chinese, an English word (three letters or more) in the chrome fails unless it is in `PROPER` (the
language's own name, file formats, product and standard names).
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select

from engine.store import Attachment, Case, CaseNote, EventRow, Group, Notification, ProcessDefinition, TaskRow, User
from workflows.results import CaseResult
from workflows.tracking import TrackedCase

BPMN = Path(__file__).resolve().parents[1] / "bpmn"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff01-\uff5e]")
ENGLISH_WORD = re.compile(r"(?<![A-Za-z0-9_./:-])[A-Za-z]{3,}(?![A-Za-z0-9_./-])")  # not file.names or codes
IDENTIFIER = re.compile(r"^[A-Za-z]+(_[A-Za-z0-9]+)+$|^[a-z]+$")  # review_records, term, flagged
# words that stay as they are in Chinese: the language's own name in the switch, formats, names of standards
PROPER = {"English", "PDF", "Excel", "BPMN", "XML", "SVG", "CSV", "JSON", "API", "Casework", "SMS", "Email",
          "PNG", "JPG", "JPEG", "DOC", "DOCX", "XLSX", "HTML", "ISO", "Camunda", "SpiffWorkflow", "OpenAPI",
          "pdf", "doc", "docx", "xls", "xlsx", "ofd", "jpg", "jpeg", "png", "txt"}  # file types as they are typed

USERS = ("supervisor", "liaison", "committee", "director", "gov_leader", "congress_leader", "edu_clerk",
         "edu_head", "transport_clerk", "deputy_zhao", "member_wu", "designer", "admin")
COMMON = ("/inbox", "/cases", "/supervise", "/statistics", "/appraisal", "/battle-map", "/designer", "/cases/new",
          "/notifications", "/settings", "/portal/", "/portal/new", "/cases/99999", "/no-such-page")


def _holder(session: Any, row: TaskRow, members: dict[str, list[str]]) -> str | None:
    if row.assignee:
        return row.assignee
    for name in row.candidate_users or []:
        return name
    for group in row.candidate_groups or []:
        if members.get(group):
            return members[group][0]
    return None


def walk(ctx: Any) -> list[tuple[str | None, str]]:
    """(who signs in, path) of every page of the demo district worth a look, each page kind once."""
    pages: list[tuple[str | None, str]] = [(None, "/sign-in"), (None, "/portal/")]
    pages += [(user, path) for user in USERS for path in COMMON]
    with ctx.db.session() as session:
        members: dict[str, list[str]] = {}
        for user in session.scalars(select(User).where(User.active.is_(True)).order_by(User.username)):
            for group in user.groups:
                members.setdefault(group.name, []).append(user.username)
        seen: set[str] = set()
        for row in session.scalars(select(TaskRow).where(TaskRow.state == "open").order_by(TaskRow.created_at)):
            if row.element_id in seen:
                continue
            who = _holder(session, row, members)
            if who:
                seen.add(row.element_id)
                portal = "deputies" in members and who in members.get("deputies", []) + members.get("members", [])
                pages.append((who, f"/portal/tasks/{row.id}" if portal else f"/tasks/{row.id}"))
        kinds: set[tuple[str, str]] = set()
        for case in session.scalars(select(Case).order_by(Case.id)):
            if (case.process_key, case.stage) in kinds:
                continue
            kinds.add((case.process_key, case.stage))
            pages.append(("supervisor", f"/cases/{case.id}"))
            proposer = str((case.data or {}).get("proposer") or "")
            if proposer in members.get("deputies", []) + members.get("members", []):
                pages.append((proposer, f"/portal/cases/{case.id}"))
        for definition in session.scalars(select(ProcessDefinition).order_by(ProcessDefinition.id)):
            if definition.key in ("suggestion", "proposal"):
                pages.append(("designer", f"/designer/{definition.key}/{definition.version}"))
                pages.append(("deputy_zhao" if definition.key == "suggestion" else "member_wu",
                              f"/cases/new/{definition.key}"))
    return list(dict.fromkeys(pages))


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _texts(item)


def data_texts(ctx: Any) -> list[str]:
    """The texts the district holds as data (see the module's DATA RULE), longest first."""
    found: set[str] = set()
    with ctx.db.session() as session:
        found.update(session.scalars(select(User.display_name)))
        found.update(session.scalars(select(Group.display_name)))
        found.update(session.scalars(select(ProcessDefinition.name)))
        found.update(session.scalars(select(TaskRow.name)))
        found.update(session.scalars(select(TaskRow.lane)))
        found.update(session.scalars(select(CaseNote.body)))
        found.update(session.scalars(select(Attachment.file_name)))
        found.update(session.scalars(select(EventRow.message)))
        for data in session.scalars(select(EventRow.data)):  # what a task's completion recorded (the timeline)
            found.update(_texts(data))
        # the year's work kept beside the case: results adopted and the reasons for tracked handling
        for title, document in session.execute(select(CaseResult.title, CaseResult.document)):
            found.update((title or "", document or ""))
        found.update(session.scalars(select(TrackedCase.reason)))
        for title, number, stage_free, data in session.execute(select(Case.title, Case.number, Case.error_message,
                                                                      Case.data)):
            found.update((title, number or "", stage_free or ""))
            found.update(_texts(data))
        for told in session.scalars(select(Notification)):  # as loaded: the case's number and title put back
            found.update((told.title or "", told.body or ""))
        found.update(session.scalars(select(ProcessDefinition.deployed_by)))
        models = [*session.scalars(select(ProcessDefinition.bpmn_xml))]
    for xml in models + [path.read_text(encoding="utf-8") for path in sorted(BPMN.glob("*.bpmn"))]:  # as deployed
        # the names of the model's elements (processes, lanes, tasks, events), not its forms' options
        found.update(re.findall(r'<bpmn2?:[A-Za-z]+\b[^>]*\bname="([^"]+)"', xml))
        # what the designer's pages show of a model as it is written: element ids, candidate groups and users
        found.update(re.findall(r'\bid="([^"]+)"', xml))
        for listed in re.findall(r'camunda:candidate[A-Za-z]*="([^"]+)"', xml):
            found.update((listed, ", ".join(part.strip() for part in listed.split(","))))
    parts = {line.strip() for text in found if text for line in str(text).splitlines() if len(line.strip()) > 1}
    return sorted(parts, key=len, reverse=True)


def _strip_marked(page: str) -> str:
    """The page without scripts, styles and the marked elements (nested ones included): `data-content`,
    and those in another language than the page's (`lang="en"` on a Chinese page: the engine's own words
    folded away as technical details)."""
    page = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", page, flags=re.S)
    found = re.search(r'<html\b[^>]*\blang="([a-zA-Z]+)', page)
    own = found.group(1)[:2] if found else "zh"
    marked = rf'\bdata-content\b|\blang="(?!{own})[a-zA-Z-]+"'
    while True:
        match = re.search(rf"<([a-z0-9]+)\b[^>]*(?:{marked})[^>]*>", page)
        if not match:
            return page
        tag, depth, at = match.group(1), 1, match.end()
        for inner in re.finditer(rf"<(/?){tag}\b[^>]*>", page[at:]):
            depth += -1 if inner.group(1) else 1
            if depth == 0:
                page = page[:match.start()] + " " + page[at + inner.end():]
                break
        else:
            page = page[:match.start()] + " " + page[at:]


def chrome_texts(page: str) -> list[str]:
    """Each piece of text the page shows: text between tags, and titles, labels, placeholders, alt texts."""
    page = _strip_marked(page)
    attributes = re.findall(r'\b(?:title|aria-label|placeholder|alt)="([^"]*)"', page)
    pieces = (re.sub(r"\s+", " ", html_lib.unescape(p)).strip() for p in re.split(r"<[^>]+>", page) + attributes)
    return [p for p in pieces if p]


def _without_data(text: str, data: list[str]) -> str:
    for known in data:
        if known in text:
            text = text.replace(known, " ")
    return text


def _foreign(text: str, english: bool) -> bool:
    if english:
        return bool(CJK.search(text.replace("中文", "")))  # the language switch names Chinese in Chinese
    return any(word not in PROPER for word in ENGLISH_WORD.findall(text))


def wrong_language(page: str, data: list[str], english: bool) -> list[str]:
    """The chrome texts not in the reader's language: Chinese in English, English words in Chinese (each
    text that looks foreign has the district's data taken out before it is judged)."""
    return sorted({t for t in set(chrome_texts(page)) if _foreign(t, english) and _foreign(_without_data(t, data), english)})


def labels(page: str) -> list[str]:
    """The texts that name a value: definition terms, table heads, form labels, the timeline's change labels."""
    found = re.findall(r"<(?:dt|th|label|legend)\b[^>]*>(.*?)</(?:dt|th|label|legend)>", page, re.S)
    found += re.findall(r'<span class="change-label">(.*?)</span>', page, re.S)
    return [re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", "", text))).strip() for text in found]


def raw_identifiers(page: str) -> list[str]:
    return [text for text in labels(page) if IDENTIFIER.match(text)]
