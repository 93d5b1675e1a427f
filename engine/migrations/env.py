"""Alembic environment: the URL comes from the caller (engine.migrate), the models from engine.store.

Running migrations needs no models. Autogenerating a revision compares with Base.metadata, which holds
the domain's tables (workflows.cases) once the domain is imported: import workflows first, as the
`casework` command does; the engine itself never imports the domain."""

from alembic import context
from sqlalchemy import create_engine

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
