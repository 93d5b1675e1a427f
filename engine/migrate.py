"""Schema changes go through Alembic; `casework init` calls `upgrade`."""

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig

from engine.store import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(db: Database) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    cfg = alembic_config(db)
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
    if db.engine.dialect.name == "sqlite":
        db.after_bulk_load()  # the planner's statistics: cheap (bounded by analysis_limit), and never stale
