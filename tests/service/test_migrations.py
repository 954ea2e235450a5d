"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from service.core.db import Base, load_all_models, make_engine
from service.migrations.runner import upgrade_head


def test_migrations_match_the_models(database_url):
    load_all_models()
    engine = make_engine(database_url)
    try:
        upgrade_head(engine)
        upgrade_head(engine)  # idempotent: a restarted service upgrades nothing
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
