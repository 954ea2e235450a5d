"""Operations: liveness and readiness, Prometheus metrics from the database, request
ids echoed and carried by JSON log lines."""

from __future__ import annotations

import json
import logging

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from service.core.db import make_engine
from service.main import create_app
from service.ops.context import JsonFormatter
from tests.service.conftest import make_settings


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_liveness_and_readiness(database_url, tmp_path):
    from alembic import command

    from service.migrations.runner import alembic_config

    app = create_app(make_settings(database_url, tmp_path))
    cold = TestClient(app)  # no lifespan: not started
    assert cold.get("/health/live").json() == {"status": "ok"}
    r = cold.get("/health/ready")
    assert r.status_code == 503 and "startup" in r.json()["problems"]
    with TestClient(app) as client:
        assert client.get("/health/ready").json() == {"status": "ok"}
        engine = make_engine(database_url)
        try:
            cfg = alembic_config()
            with engine.begin() as conn:  # the database falls behind the code
                cfg.attributes["connection"] = conn
                command.downgrade(cfg, "0003")
            r = client.get("/health/ready")
            assert r.status_code == 503 and "schema at 0003" in r.json()["problems"]["database"]
            assert client.get("/health/live").status_code == 200
        finally:
            engine.dispose()


def test_metrics_count_runs_uploads_and_signin_failures(service, sample_scans):
    svc = service
    svc.world()
    for _ in range(2):
        svc.client.post("/api/login/access-token", data={"username": "examiner.north", "password": "wrong-password-1"})
    _, exhibit = svc.case_with_exhibit("lab_submitter.north", "N-1")
    up = svc.ok(svc.upload("lab_submitter.north", exhibit, sample_scans[0]), 201)
    svc.wait_run(up["run"]["id"], "examiner.north")
    r = svc.client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    m = _samples(r.text)
    assert m[("ballistics_runs", (("status", "done"),))] == 1
    assert m[("ballistics_runs", (("status", "queued"),))] == 0
    assert m[("ballistics_uploads_total", ())] == 1
    assert m[("ballistics_signin_failures_total", (("reason", "failed"),))] == 2
    assert m[("ballistics_run_latency_seconds_count", ())] == 1
    assert m[("ballistics_run_latency_seconds_sum", ())] > 0
    assert m[("ballistics_run_latency_seconds_bucket", (("le", "+Inf"),))] == 1


def test_request_ids_are_echoed_and_logged_as_json(service, caplog):
    client = service.client
    with caplog.at_level(logging.INFO, logger="ballistics.access"):
        r = client.get("/health/live", headers={"X-Request-ID": "abc-123.def"})
        assert r.headers["x-request-id"] == "abc-123.def"
        for bad in ("x" * 200, "has space", "new\tline"):
            rid = client.get("/api/cases", headers={"X-Request-ID": bad}).headers["x-request-id"]
            assert rid != bad and len(rid) == 32 and int(rid, 16) >= 0
        plain = client.get("/api/nothing-here")
    assert plain.status_code == 404 and len(plain.headers["x-request-id"]) == 32
    lines = [json.loads(JsonFormatter().format(rec)) for rec in caplog.records if rec.name == "ballistics.access"]
    first = next(line for line in lines if line["request_id"] == "abc-123.def")
    assert first["path"] == "/health/live" and first["status"] == 200 and first["level"] == "INFO"
    assert first["duration_ms"] >= 0 and first["method"] == "GET"
    last = next(line for line in lines if line["request_id"] == plain.headers["x-request-id"])
    assert last["status"] == 404
