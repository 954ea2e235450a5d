"""Alembic environment: the service passes its own connection; by hand, the URL comes from settings."""

from __future__ import annotations

from alembic import context

from service.core.db import Base, load_all_models, make_engine

config = context.config
if "connection" not in config.attributes:  # by hand (e.g. autogenerate): every table must be known
    load_all_models()
target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from service.core.config import Settings

        url = Settings(demo=True).database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()
