"""Alembic environment: the URL comes from the caller (engine.migrate), the models from engine.store
and workflows.cases."""

from alembic import context
from sqlalchemy import create_engine

import workflows.cases  # noqa: F401  (the domain's tables live on the same metadata)
from engine.store import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
