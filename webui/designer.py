"""The process designer's pages: the deployed processes with every version and its cases, uploading
BPMN files to check (lint) or deploy them, and one version's diagram, running cases and file.

A checked package that is clean is carried to the Deploy button inside the page (base64 in hidden
fields) when it is small enough for a form field; otherwise the designer picks the files again.
"""

from __future__ import annotations

import base64
import binascii
import html
import io
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import login_required
from markupsafe import Markup

from engine.bpmn import library
from engine.bpmn.lint import Problem
from engine.cases import queries
from engine.cases.inbox import due_mark
from engine.draw.render import RenderError, render_svg
from engine.errors import NotFound
from engine.store import ProcessDefinition

from .diagrams import DiagramView, diagram_view
from .lintmessages import lint_message
from .web import ctx, db, designers_only, me

bp = Blueprint("designer", __name__)
log = logging.getLogger(__name__)

_DRAWN = re.compile(r'data-element-id="([^"]*)"')
# A clean check carries the files (base64) to its Deploy button up to this size each; larger ones are
# chosen again. Werkzeug refuses form fields over MAX_FORM_MEMORY_SIZE (500 kB by default).
CARRY_MAX = 384 * 1024


# ---------------------------------------------------------------- list

@bp.get("/designer")
@login_required
@designers_only
def index() -> Any:
    return _index_page()


def _index_page(upload_error: str | None = None, status: int = 200) -> Any:
    return render_template("designer.html", processes=library.catalogue(db()), upload_error=upload_error,
                           max_bytes=ctx().config["uploads.max_bpmn_bytes"]), status


# ---------------------------------------------------------------- upload: check or deploy

class UploadError(Exception):
    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.message, self.status = message, status


def _base_name(name: str) -> str:
    """The file's own name (some browsers send a whole Windows path)."""
    return name.replace("\\", "/").rsplit("/", 1)[-1].strip()


def _read_files() -> dict[str, bytes]:
    """The uploaded files (name -> bytes), or the files carried from a clean check; UploadError otherwise."""
    limit = ctx().config["uploads.max_bpmn_bytes"]
    files: dict[str, bytes] = {}
    uploads = [u for u in request.files.getlist("files") if u and u.filename]
    if uploads:
        pairs = [(_base_name(u.filename or ""), lambda u=u: u.read(limit + 1)) for u in uploads]
    else:
        names, data = request.form.getlist("kept_name"), request.form.getlist("kept_data")
        if len(names) != len(data):
            raise UploadError(_("The checked files did not come back complete. Choose them again."))
        pairs = [(_base_name(n), lambda d=d: _unpack(d)) for n, d in zip(names, data, strict=True)]
    for name, read in pairs:
        if not name.lower().endswith(".bpmn"):
            raise UploadError(_("%(name)s is not a .bpmn file. Only BPMN files (name ending in .bpmn) can be "
                                "checked and deployed.", name=name))
        if name in files:
            raise UploadError(_("Two files are named %(name)s. Give each file its own name.", name=name))
        content = read()
        if len(content) > limit:
            raise UploadError(_("%(name)s is too large: a BPMN file may have at most %(limit)s bytes "
                                "(%(mb).1f MB).", name=name, limit=f"{limit:,}", mb=limit / 1048576), 413)
        files[name] = content
    if not files:
        raise UploadError(_("Choose one or more .bpmn files first."), 400)
    return files


def _unpack(data: str) -> bytes:
    try:
        return base64.b64decode(data.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise UploadError(_("The checked files did not come back complete. Choose them again.")) from None


@bp.post("/designer/upload")
@login_required
@designers_only
def upload() -> Any:
    action = "deploy" if request.form.get("action") == "deploy" else "check"
    try:
        files = _read_files()
    except UploadError as err:
        return _index_page(err.message, err.status)
    problems = library.check(files)  # engine.bpmn.lint.lint_files, and the encoding deploy needs
    if problems:
        return _upload_page(files, problems, action), 422
    if action == "check":
        return _upload_page(files, [], action), 200
    session = db()
    deployed = library.deploy(session, files, deployed_by=me().username)  # checks again, writes all or nothing
    session.commit()
    for d in deployed:
        if d.created:
            flash(_("%(name)s (%(key)s): version %(version)d deployed.", name=d.definition.name,
                    key=d.definition.key, version=d.definition.version), "success")
        else:
            flash(_("%(name)s (%(key)s) unchanged: identical content is already version %(version)d.",
                    name=d.definition.name, key=d.definition.key, version=d.definition.version), "info")
    anchor = f"process-{deployed[0].definition.key}" if deployed else None
    return redirect(url_for("designer.index", _anchor=anchor))


@dataclass
class ElementProblems:
    element_id: str | None  # None: the file as a whole
    problems: list[Problem]
    drawn: bool  # the element is on the diagram (so a click can show it)
    name: str = ""  # the element's name in the file, if it has one


@dataclass
class FileReport:
    index: int
    name: str
    svg: Markup | None = None
    draw_error: str | None = None
    elements: list[ElementProblems] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(e.problems) for e in self.elements)


def drawing(xml: bytes, highlight: set[str] | None = None) -> tuple[Markup | None, str | None]:
    """The diagram as inline SVG, or why it cannot be drawn."""
    try:
        svg = render_svg(xml, highlight=highlight)
    except RenderError as err:
        return None, err.message
    except Exception:  # an uploaded file is untrusted: a drawing bug must not hide the problems list
        log.exception("could not draw an uploaded BPMN file")
        return None, _("the drawing failed; the problems above still apply")
    if svg.startswith("<?xml"):
        svg = svg.split("\n", 1)[1] if "\n" in svg else ""
    return Markup(svg), None  # noqa: S704  (built by lxml: text and attributes are escaped)


def _reports(files: dict[str, bytes], problems: list[Problem]) -> list[FileReport]:
    reports = []
    for index, (name, content) in enumerate(files.items()):
        own = [p for p in problems if p.file == name]
        report = FileReport(index, name)
        report.svg, report.draw_error = drawing(content, {p.element_id for p in own if p.element_id})
        drawn = {html.unescape(i) for i in _DRAWN.findall(str(report.svg or ""))}
        by_element: dict[str | None, list[Problem]] = {}
        for p in sorted(own, key=lambda p: (p.element_id is not None, p.line or 0)):
            by_element.setdefault(p.element_id, []).append(p)
        names = library.element_names(content) if by_element else {}
        report.elements = [ElementProblems(eid, ps, eid in drawn, names.get(eid or "", ""))
                           for eid, ps in by_element.items()]
        reports.append(report)
    return reports


def _upload_page(files: dict[str, bytes], problems: list[Problem], action: str) -> str:
    carried = None
    plan = []
    if not problems:
        plan = library.plan(db(), files)
        packed = [(name, base64.b64encode(content).decode("ascii")) for name, content in files.items()]
        room = min(CARRY_MAX, current_app.config.get("MAX_FORM_MEMORY_SIZE") or CARRY_MAX)
        if all(len(data) <= room for _name, data in packed):
            carried = packed
    return render_template("designer_upload.html", reports=_reports(files, problems), problem_count=len(problems),
                           lint_message=lint_message, action=action, plan=plan, carried=carried,
                           max_bytes=ctx().config["uploads.max_bpmn_bytes"])


# ---------------------------------------------------------------- one version

def _version_or_404(key: str, version: int) -> ProcessDefinition:
    definition = library.get_version(db(), key, version)
    if definition is None:
        raise NotFound(_("There is no version %(version)d of process %(key)s.", version=version, key=key))
    return definition


def _version_drawing(xml: str) -> tuple[DiagramView | None, str | None]:
    """A deployed version's diagram page with its switcher, or why it cannot be drawn."""
    try:
        return diagram_view(xml), None
    except RenderError as err:
        return None, err.message


@bp.get("/designer/<key>/<int:version>")
@login_required
@designers_only
def version(key: str, version: int) -> Any:
    session = db()
    definition = _version_or_404(key, version)
    view, draw_error = _version_drawing(definition.bpmn_xml or "")
    # a designer sees how many cases wait where, not the cases: those listed are the ones they may see anyway
    cases = queries.visible_running_cases(session, me(), definition.id)
    names = library.element_names((definition.bpmn_xml or "").encode("utf-8"))
    waiting = sorted(queries.waiting_by_element(session, definition.id).items(), key=lambda item: (-item[1], item[0]))
    soon = ctx().config["supervise.due_soon_days"]
    return render_template("designer_version.html", d=definition, summary=library.version_summary(session, definition),
                           versions=library.versions(session, key), cases=cases, view=view, draw_error=draw_error,
                           waiting=[(element, names.get(element, ""), n) for element, n in waiting],
                           marks={c.id: due_mark(c.due_at, soon) for c in cases})


@bp.get("/designer/<key>/<int:version>/file")
@login_required
@designers_only
def file(key: str, version: int) -> Any:
    definition = _version_or_404(key, version)
    name = definition.file_name or f"{definition.key}-v{definition.version}.bpmn"
    return send_file(io.BytesIO((definition.bpmn_xml or "").encode("utf-8")), mimetype="application/xml",
                     as_attachment=True, download_name=name, max_age=0)
