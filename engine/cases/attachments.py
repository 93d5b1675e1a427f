"""Files on a case (reply documents and the like): checked, stored on disk by content hash, and
handed out only to people who may see the case; to a proposer or co-signer (engine.cases.roles) only
those marked for them. The database row holds the name and the hash."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import bounds, clock
from engine.cases import permissions, projections, roles
from engine.config import Config
from engine.errors import Invalid, NotFound, TooLarge
from engine.store import Attachment, Case, User

_CHUNK = 64 * 1024
# what the first bytes of each allowed kind of file look like; a renamed executable is refused
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",), "jpeg": (b"\xff\xd8\xff",),
    "docx": (b"PK\x03\x04",), "xlsx": (b"PK\x03\x04",), "ofd": (b"PK\x03\x04",),
    "doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",), "xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
}
_CONTENT_TYPES = {
    "pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "ofd": "application/ofd",
    "doc": "application/msword", "xls": "application/vnd.ms-excel", "txt": "text/plain; charset=utf-8",
}


PREVIEWABLE = ("pdf", "png", "jpg", "jpeg")  # what a browser shows by itself


def previewable(file_name: str) -> bool:
    return _extension(file_name) in PREVIEWABLE


def is_image(file_name: str) -> bool:
    return _extension(file_name) in ("png", "jpg", "jpeg")


def allowed_types(config: Config) -> list[str]:
    return [x.strip().lower() for x in config["uploads.attachment_types"].split(",") if x.strip()]


def _extension(file_name: str) -> str:
    return Path(file_name).suffix.lower().lstrip(".")


def _looks_right(extension: str, head: bytes, sample: bytes) -> bool:
    if extension == "txt":
        try:
            sample.decode("utf-8")
        except UnicodeDecodeError as err:
            return err.start > len(sample) - 4  # a character cut at the end of the sample
        return b"\x00" not in sample
    return any(head.startswith(sig) for sig in _SIGNATURES.get(extension, ()))


NAME_MAX = 200  # characters of a stored file name (the column holds 255)


def _clean_name(file_name: str) -> str:
    """The name without folders and characters a file system or a download header chokes on, at most
    NAME_MAX characters: a long name is shortened before its extension, which decides the type."""
    name = Path(file_name.replace("\\", "/")).name.strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*') or "file"
    if len(name) <= NAME_MAX:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension) > 16:  # no extension worth keeping
        return name[:NAME_MAX]
    return stem[:NAME_MAX - len(extension) - 1].rstrip() + "." + extension


def storage_path(config: Config, sha256: str) -> Path:
    # absolute: Flask's send_file reads a relative path against the application's folder, not the
    # working directory the file was stored under
    return Path(config["uploads.attachments_dir"]).resolve() / sha256[:2] / sha256


def store(session: Session, config: Config, user: User, case: Case, file_name: str, stream: BinaryIO,
          task_id: str | None = None, public: bool = False) -> Attachment:
    """Check and keep a file; nothing is written to the database unless the file is whole on disk.
    `public`: shown to the proposer too (the caller decides: engine.cases.roles.entry_public)."""
    name = _clean_name(file_name or "")
    extension = _extension(name)
    allowed = allowed_types(config)
    if extension not in allowed:
        raise Invalid(f"{name}: files of this type cannot be attached; allowed: {', '.join(allowed)}",
                      [{"field": "file", "code": "type", "message": f"allowed types: {', '.join(allowed)}"}])
    limit = config["uploads.max_attachment_bytes"]
    folder = Path(config["uploads.attachments_dir"])
    folder.mkdir(parents=True, exist_ok=True)
    digest, size, head = hashlib.sha256(), 0, b""
    fd, temp = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise TooLarge(f"{name} is larger than the limit of {limit // (1024 * 1024)} MB",
                                   [{"field": "file", "code": "size", "message": f"at most {limit} bytes"}])
                if len(head) < 4096:
                    head += chunk[: 4096 - len(head)]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise Invalid(f"{name} is empty", [{"field": "file", "code": "empty", "message": "is empty"}])
        if not _looks_right(extension, head, head):
            raise Invalid(f"{name} does not look like a .{extension} file",
                          [{"field": "file", "code": "content",
                            "message": f"content is not a .{extension} file"}])
        sha = digest.hexdigest()
        target = storage_path(config, sha)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp, target)  # same content, same name: storing twice is harmless
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    row = Attachment(case_id=case.id, task_id=task_id, file_name=name, size=size, sha256=sha,
                     content_type=_CONTENT_TYPES.get(extension, "application/octet-stream"),
                     uploaded_by=user.username, uploaded_at=clock.now(), public=bool(public))
    session.add(row)
    projections.record_event(session, case, "attachment_added", user.username, name,
                             data={"file_name": name, "size": size, "public": bool(public)})
    return row


def list_for_case(session: Session, case_id: int, public_only: bool = False) -> list[Attachment]:
    stmt = select(Attachment).where(Attachment.case_id == case_id)
    if public_only:
        stmt = stmt.where(Attachment.public.is_(True))
    return list(session.scalars(stmt.order_by(Attachment.uploaded_at, Attachment.id)))


def open_for(session: Session, config: Config, user: User, attachment_id: int,
             declarations: roles.DeclarationCache) -> tuple[Attachment, Path]:
    """The attachment and where its bytes are, if the user may see its case (and, when they see only the
    proposer's entries, it is one of them); otherwise it does not exist."""
    row = session.get(Attachment, bounds.parse_id(attachment_id, "attachment"))
    if row is None:
        raise NotFound(f"no attachment {attachment_id}")
    case = session.get(Case, row.case_id)
    if case is None or not permissions.may_see_case(session, user, case):
        raise NotFound(f"no attachment {attachment_id}")
    if not row.public and roles.public_only(session, declarations.for_case(case), user, case):
        raise NotFound(f"no attachment {attachment_id}")
    path = storage_path(config, row.sha256)
    if not path.exists():
        raise NotFound(f"the file of attachment {attachment_id} is missing from storage")
    return row, path
