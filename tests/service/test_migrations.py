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



def test_runs_survive_the_upgrade_and_old_ones_read_as_unrecorded(service, sample_scans):
    """A service upgraded in place keeps its runs; what a run did not record stays empty, never guessed."""
    from alembic import command

    from ballistics_core.search import SearchParams
    from service.migrations.runner import alembic_config

    service.world()
    _, exhibit = service.case_with_exhibit("lab_submitter.north", "N-1")
    up = service.ok(service.upload("lab_submitter.north", exhibit, sample_scans[0]), 201)
    run = service.wait_run(up["run"]["id"], "examiner.north")
    assert run["status"] == "done" and run["search_params_digest"] == SearchParams().digest()
    assert run["search_depth"]["compared"] == 0  # recorded; the store holds only the query itself

    engine = make_engine(service.settings.database_url)
    try:
        cfg = alembic_config()
        with engine.begin() as conn:  # back to the schema before runs recorded it, then forward again
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "intel_0001")
        upgrade_head(engine)
    finally:
        engine.dispose()
    again = service.ok(service.get(f"/api/runs/{run['id']}", "examiner.north"))
    assert again["search_params_digest"] == "" and again["search_depth"] is None
    later = ("search_params_digest", "search_depth")  # columns added after intel_0001
    assert {k: v for k, v in again.items() if k not in later} == {k: v for k, v in run.items() if k not in later}
