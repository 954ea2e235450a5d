"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import json

from sqlalchemy import select

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from service.core.db import Base, load_all_models, make_engine
from service.migrations.runner import upgrade_head
from service.models import AuditEntry


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
    service.tokens.clear()  # going back past 0005 dropped the sessions: sign in again
    again = service.ok(service.get(f"/api/runs/{run['id']}", "examiner.north"))
    assert again["search_params_digest"] == "" and again["search_depth"] is None
    later = ("search_params_digest", "search_depth")  # columns added after intel_0001
    assert {k: v for k, v in again.items() if k not in later} == {k: v for k, v in run.items() if k not in later}


def test_free_text_firearms_become_records_and_the_text_is_kept(service, sample_scans):
    """0004 on a database in use: each case's distinct ``exhibit.firearm`` text becomes one
    firearm record (serial read where the text gives one), the text stays on the exhibit and
    on the record, the migration is in the audit chain, and a downgrade and upgrade keep it."""
    from alembic import command
    from sqlalchemy import text

    from service.migrations.runner import alembic_config

    service.world()
    case, ex1 = service.case_with_exhibit("lab_submitter.north", "N-1", kind="test_fire")
    service.ok(service.upload("lab_submitter.north", ex1, sample_scans[0]), 201)  # a scan points at the exhibit
    ex2 = service.ok(service.post(f"/api/cases/{case}/exhibits", "lab_submitter.north",
                                  json={"kind": "test_fire", "lab_number": "LAB-N-1b"}))["id"]
    ex3 = service.ok(service.post(f"/api/cases/{case}/exhibits", "lab_submitter.north",
                                  json={"kind": "test_fire", "lab_number": "LAB-N-1c"}))["id"]
    texts = {ex1: "Glock 17, serial ab-1o23", ex2: "Glock 17, serial ab-1o23", ex3: "home-made pistol, no markings"}

    engine = make_engine(service.settings.database_url)
    try:
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0003")
        with engine.begin() as conn:  # what the free text looked like before firearm records
            for ex, t in texts.items():
                conn.execute(text("UPDATE exhibit SET firearm = :t WHERE id = :e"), {"t": t, "e": ex})
        upgrade_head(engine)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, firearm, firearm_id FROM exhibit ORDER BY id")).all()
            guns = {r.id: r for r in conn.execute(text(
                "SELECT id, case_id, kind, serial_number, serial_normalised, source_text FROM firearm"))}
    finally:
        engine.dispose()
    assert {r.id: r.firearm for r in rows} == texts  # the text is untouched
    by_exhibit = {r.id: r.firearm_id for r in rows}
    assert by_exhibit[ex1] == by_exhibit[ex2] != by_exhibit[ex3] and len(guns) == 2
    glock, homemade = guns[by_exhibit[ex1]], guns[by_exhibit[ex3]]
    assert (glock.source_text, glock.serial_number, glock.serial_normalised, glock.kind) == (
        "Glock 17, serial ab-1o23", "ab-1o23", "A81023", "unknown")
    assert (homemade.source_text, homemade.serial_number, homemade.serial_normalised) == (texts[ex3], "", "")
    assert glock.case_id == homemade.case_id == case

    # The records are ordinary firearms now: the API finds the gun by its serial.
    found = service.ok(service.get("/api/firearms/search", "investigator.north", params={"serial": "AB1023"}))
    assert [m["firearm"]["id"] for m in found["matches"]] == [glock.id]
    tests = service.ok(service.get(f"/api/firearms/{glock.id}/exhibits", "investigator.north"))
    assert [e["id"] for e in tests] == [ex1, ex2]
    with service.app.state.session_factory() as s:
        migrated = s.scalars(select(AuditEntry).where(AuditEntry.action == "migrate")).all()
    assert len(migrated) == 1 and sorted(json.loads(migrated[0].detail)["firearms"]) == sorted(guns)
    assert service.ok(service.get("/api/audit/verify", "auditor.north"))["ok"] is True


def test_jurisdictions_keep_their_rows_and_gain_an_empty_map_region(service):
    """0010 on a database in use: the jurisdictions stay, each with no map region (the map
    goes on recognising them by code or name); going back drops only the column, and the
    region an administrator sets afterwards is what the API and the map read."""
    from alembic import command
    from sqlalchemy import inspect

    from service.migrations.runner import alembic_config

    ids = service.world()
    before = service.ok(service.get("/api/jurisdictions", "admin.north"))
    engine = make_engine(service.settings.database_url)
    try:
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0009")
        with engine.connect() as conn:
            assert "map_region" not in {c["name"] for c in inspect(conn).get_columns("jurisdiction")}
        upgrade_head(engine)
        with engine.connect() as conn:
            assert "map_region" in {c["name"] for c in inspect(conn).get_columns("jurisdiction")}
    finally:
        engine.dispose()
    after = service.ok(service.get("/api/jurisdictions", "admin.north"))
    assert after == before and all(j["map_region"] is None for j in after)

    # The administrator sets and clears it; a region the map has not, or another role, is refused.
    south = f"/api/jurisdictions/{ids['SOUTH']}"
    assert service.ok(service.patch(south, "admin.north", json={"map_region": "mk"}))["map_region"] == "MK"
    for bad in ({"map_region": "FR"}, {"map_region": 7}, {"code": "X"}, {"name": None}, {"name": ""}):
        r = service.patch(south, "admin.north", json=bad)
        assert r.status_code == 422 and r.json()["detail"], bad
    assert service.patch(south, "analyst.north", json={"map_region": "AL"}).status_code == 403
    assert service.patch("/api/jurisdictions/2147483647", "admin.north", json={"map_region": "AL"}).status_code == 404
    made = service.ok(service.post("/api/jurisdictions", "admin.north",
                                   json={"code": "EAST", "name": "Eastmarch", "map_region": "AL"}), 201)
    assert made["map_region"] == "AL"
    assert service.post("/api/jurisdictions", "admin.north",
                        json={"code": "WEST", "name": "W", "map_region": "ZZ"}).status_code == 422
    jurs = {j["code"]: j["map_region"] for j in service.ok(service.get("/api/jurisdictions", "analyst.south"))}
    assert jurs == {"NORTH": None, "SOUTH": "MK", "PARTNER": None, "EAST": "AL"}
    assert service.ok(service.patch(south, "admin.north", json={"map_region": None}))["map_region"] is None
    assert service.ok(service.get("/api/audit/verify", "auditor.north"))["ok"] is True
