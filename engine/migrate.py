"""Schema changes go through Alembic; `casework init` and `casework serve` call `upgrade`.

Alembic (with Mako, Pygments and every SQL dialect's DDL: about 9 MiB of a process) is imported only when
the database is behind its scripts. A database already at the head revision is recognised from the
scripts' own `revision` / `down_revision` lines and the `alembic_version` table, so a server that starts
on an up-to-date database never holds Alembic. When a script does not read plainly (a revision line in
another form), Alembic decides, as it always did.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from engine.store import Database

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION = re.compile(r"^revision\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.M)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.M)


def alembic_config(db: Database) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return cfg


def script_heads(versions: Path = MIGRATIONS / "versions") -> set[str] | None:
    """The head revisions of the migration scripts, read without Alembic: the revisions no other script
    revises. None when any script does not name exactly one revision and one down_revision as literals."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in versions.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found, down = _REVISION.findall(source), _DOWN_REVISION.findall(source)
        if len(found) != 1 or len(down) != 1:
            return None
        try:
            revision, parents = ast.literal_eval(found[0]), ast.literal_eval(down[0])
        except (ValueError, SyntaxError):
            return None
        if not isinstance(revision, str):
            return None
        if isinstance(parents, str):
            parents = (parents,)
        elif parents is None:
            parents = ()
        elif not (isinstance(parents, tuple | list) and all(isinstance(p, str) for p in parents)):
            return None
        revisions.add(revision)
        revised.update(parents)
    return (revisions - revised) or None


def database_revisions(db: Database) -> set[str] | None:
    """The revisions the database says it is at (None when it has no alembic_version table yet)."""
    try:
        with db.engine.connect() as conn:
            return {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    except SQLAlchemyError:
        return None


def at_head(db: Database) -> bool:
    heads = script_heads()
    return heads is not None and database_revisions(db) == heads


def upgrade(db: Database, revision: str = "head") -> None:
    if not (revision == "head" and at_head(db)):
        from alembic import command

        cfg = alembic_config(db)
        with db.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
    if db.engine.dialect.name == "sqlite":
        db.after_bulk_load()  # the planner's statistics: cheap (bounded by analysis_limit), and never stale
