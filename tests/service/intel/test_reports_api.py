"""Reports through the HTTP API: scoped, stored with their SHA-256, served only intact."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient

from service import audit
from service.api.routes import reports as reports_routes
from service.intel.store import IntelReport, reports_dir
from service.main import create_app
from tests.service.intel.conftest import PASSWORD


@pytest.fixture(scope="module")
def api(load):
    app = create_app(load.settings)
    if not any(getattr(r, "path", "").startswith("/api/reports") for r in app.routes):
        # Until service/api/main.py includes the reports router.
        app.include_router(reports_routes.router, prefix="/api")
    with TestClient(app) as client:
        tokens = {}

        def headers(username):
            if username not in tokens:
                r = client.post("/api/login/access-token", data={"username": username, "password": PASSWORD})
                assert r.status_code == 200, r.text
                tokens[username] = {"Authorization": f"Bearer {r.json()['access_token']}"}
            return tokens[username]

        client.headers_for = headers
        yield client


def _make(api, user, **body):
    return api.post("/api/reports", json=body, headers=api.headers_for(user))


def _content(api, user, report_id):
    return api.get(f"/api/reports/{report_id}/content", headers=api.headers_for(user))


@pytest.mark.parametrize("kind,fmt,magic", [
    ("statistics", "html", b"<!DOCTYPE html>"),
    ("link_chart", "pdf", b"%PDF-"),
    ("link_chart", "graphml", b"<?xml"),
])
def test_a_report_is_stored_with_its_parameters_and_sha256(api, load, kind, fmt, magic):
    r = _make(api, "investigator.north", kind=kind, format=fmt)
    assert r.status_code == 201, r.text
    meta = r.json()
    got = _content(api, "investigator.north", meta["id"])
    assert got.status_code == 200
    assert got.content.startswith(magic)
    digest = hashlib.sha256(got.content).hexdigest()
    assert digest == meta["sha256"] == got.headers["x-content-sha256"]
    assert meta["size_bytes"] == len(got.content) and meta["kind"] == kind
    assert meta["params"]  # normalised parameters, defaults included
    with load.session_factory() as s:
        row = s.get(IntelReport, meta["id"])
        assert row.params == meta["params"] and row.role == "investigator"
        on_disk = (reports_dir(load.settings) / row.stored_path).read_bytes()
        assert hashlib.sha256(on_disk).hexdigest() == digest
    if fmt == "html":
        assert b"<img" in got.content


def test_a_partner_cannot_reach_other_jurisdictions_reports_or_cases(api, load):
    north_case = next(c.id for c in load.data.cases.values()
                      if load.data.code(c.jurisdiction_id) == "NORTH")
    r = _make(api, "partner.partner-fr", kind="timeline", format="html", params={"case_id": north_case})
    assert r.status_code == 404
    north_report = _make(api, "investigator.north", kind="statistics", format="csv").json()
    assert api.get(f"/api/reports/{north_report['id']}", headers=api.headers_for("partner.partner-fr")).status_code == 404
    assert _content(api, "partner.partner-fr", north_report["id"]).status_code == 404
    mine = _make(api, "partner.partner-fr", kind="statistics", format="csv")
    assert mine.status_code == 201
    listed = api.get("/api/reports", headers=api.headers_for("partner.partner-fr")).json()
    assert [x["id"] for x in listed] == [mine.json()["id"]]
    # The partner's statistics hold its own row only.
    body = _content(api, "partner.partner-fr", mine.json()["id"]).text.splitlines()
    assert len(body) == 2 and body[1].startswith("PARTNER-FR,")


def test_roles_without_hits_get_no_reports_and_bad_requests_are_refused(api):
    assert _make(api, "lab_submitter.north", kind="statistics").status_code == 403
    r = _make(api, "analyst.north", kind="statistics", format="geojson")
    assert r.status_code == 422 and "statistics report comes as" in r.json()["detail"]
    r = _make(api, "analyst.north", kind="timeline", format="html", params={})
    assert r.status_code == 422 and "exactly one" in r.json()["detail"]


def test_a_report_altered_on_disk_is_not_served(api, load):
    meta = _make(api, "analyst.south", kind="link_chart", format="csv").json()
    with load.session_factory() as s:
        path = reports_dir(load.settings) / s.get(IntelReport, meta["id"]).stored_path
    path.write_bytes(path.read_bytes() + b"tampered\n")
    r = _content(api, "analyst.south", meta["id"])
    assert r.status_code == 500 and "SHA-256" in r.json()["detail"]


def test_every_report_is_in_the_audit_chain(api, load):
    meta = _make(api, "prosecutor.east", kind="statistics", format="json").json()
    _content(api, "prosecutor.east", meta["id"])
    with load.session_factory() as s:
        assert audit.verify(s).ok
        from sqlalchemy import select

        from service.models import AuditEntry

        actions = [(e.action, e.resource_id) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.resource == "report"))]
    assert ("create", str(meta["id"])) in actions and ("download", str(meta["id"])) in actions
