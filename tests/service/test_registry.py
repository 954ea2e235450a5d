"""Tracing and lost-and-stolen registers, on SQLite and PostgreSQL: a register imported
with ``ballistics registry import`` (or the API) raises an alert to the case owning a
matching gun, at import, at registration and at re-import; a broken CSV row is named
and a failed import changes nothing; trace requests keep status, deadline, answer and
documents."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from typer.testing import CliRunner

from service.cli import app as cli
from service.models import AuditEntry, StolenAlert, StolenEntry, StolenImport

HEADER = "make,model,calibre,serial,country,date_reported\n"


def _cli_import(svc, path, *extra):
    return CliRunner().invoke(cli, ["registry", "import", str(path), "--database-url", svc.settings.database_url, *extra])


def _counts(svc):
    with svc.app.state.session_factory() as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) for t in (StolenImport, StolenEntry, StolenAlert, AuditEntry))


def test_a_lost_and_stolen_match_raises_an_alert_to_the_owning_case(service, tmp_path):
    svc = service
    svc.world()
    case = svc.ok(svc.post("/api/cases", "examiner.north", json={"reference": "N-REG"}), 201)["id"]
    gun = svc.ok(svc.post(f"/api/cases/{case}/firearms", "examiner.north",
                          json={"kind": "pistol", "make": "Glock", "serial_number": "AB-1O23-S"}), 201)
    reg = tmp_path / "iarms.csv"
    reg.write_text(HEADER + "GLOCK,17,9x19,ab 1023 5,AT,2023-11-05\nCZ,75,9x19,XY-77,CZ,01/02/2022\n")
    result = _cli_import(svc, reg, "--operator", "registry.clerk")
    assert result.exit_code == 0, result.output
    assert "2 rows" in result.output and "1 alert(s) raised" in result.output and f"firearm {gun['id']}" in result.output
    alerts = svc.ok(svc.get(f"/api/cases/{case}/alerts", "investigator.north"))
    assert len(alerts) == 1 and alerts[0]["firearm_id"] == gun["id"] and alerts[0]["register_name"] == "iarms"
    assert alerts[0]["entry"]["row_number"] == 2 and alerts[0]["entry"]["date_reported"] == "2023-11-05"
    assert alerts[0]["make_agrees"] is True
    assert svc.ok(svc.get("/api/alerts", "investigator.south")) == []  # raised to NORTH's case only

    # Registering a gun that is on the register raises the alert at once (SOUTH's case).
    s_case = svc.ok(svc.post("/api/cases", "examiner.south", json={"reference": "S-REG"}), 201)["id"]
    cz = svc.ok(svc.post(f"/api/cases/{s_case}/firearms", "examiner.south", json={"make": "CZ", "serial_number": "xy77"}), 201)
    assert [a["firearm_id"] for a in svc.ok(svc.get(f"/api/cases/{s_case}/alerts", "analyst.south"))] == [cz["id"]]

    # Re-import: the same rows raise nothing twice; a new row matching a registered gun does.
    other = svc.ok(svc.post(f"/api/cases/{case}/firearms", "examiner.north", json={"serial_number": "QQ-5150"}), 201)
    assert svc.ok(svc.get(f"/api/cases/{case}/alerts", "investigator.north"))[-1]["firearm_id"] == gun["id"]
    reg.write_text(HEADER + "GLOCK,17,9x19,ab 1023 5,AT,2023-11-05\nCZ,75,9x19,XY-77,CZ,01/02/2022\n"
                   "Walther,P99,9x19,OO-SIS0,DE,2024-06-30\n")
    result = _cli_import(svc, reg)
    assert result.exit_code == 0 and "1 alert(s) raised" in result.output, result.output
    alerts = svc.ok(svc.get(f"/api/cases/{case}/alerts", "investigator.north"))
    assert [a["firearm_id"] for a in alerts] == [gun["id"], other["id"]]
    assert alerts[1]["make_agrees"] is True  # the gun's make was not recorded

    # The API imports the same way.
    r = svc.client.post("/api/registers/national/imports", headers=svc.as_("analyst.north"),
                        files={"file": ("national.csv", (HEADER + "Glock,19,9x19,AB1023S,NORTH,2020-01-01\n").encode())})
    body = svc.ok(r, 201)
    assert body["import"]["rows"] == 1 and [a["firearm_id"] for a in body["alerts"]] == [gun["id"]]
    assert body["import"]["sha256"] == hashlib.sha256((HEADER + "Glock,19,9x19,AB1023S,NORTH,2020-01-01\n").encode()).hexdigest()
    assert svc.client.post("/api/registers/national/imports", headers=svc.as_("investigator.north"),
                           files={"file": ("n.csv", HEADER.encode())}).status_code == 403
    assert svc.ok(svc.get("/api/audit/verify", "auditor.north"))["ok"] is True


def test_a_broken_register_row_is_named_and_the_import_changes_nothing(service, tmp_path):
    svc = service
    svc.world()
    case = svc.ok(svc.post("/api/cases", "examiner.north", json={"reference": "N-BR"}), 201)["id"]
    svc.ok(svc.post(f"/api/cases/{case}/firearms", "examiner.north", json={"serial_number": "AB1023S"}), 201)
    svc.as_("analyst.north")  # signing in is audited: do it before counting
    before = _counts(svc)
    good = "Glock,17,9x19,AB1023S,AT,2023-11-05\n"
    cases = [
        (HEADER + good + "CZ,75,9x19,XY#77,CZ,2022-02-01\n", "row 3: serial number contains characters"),
        (HEADER + good + "CZ,75,9x19,XY77,CZ,yesterday\n", "row 3: date_reported 'yesterday' is not a date"),
        (HEADER + good + "CZ,75,XY77\n", "row 3: 3 fields where the header has 6"),
        (HEADER + ",,,,,2022-01-01\n", "row 2: the serial is empty"),
        ("make,model,calibre,country\n" + "a,b,c,d\n", "row 1: the header lacks the column(s) serial, date_reported"),
        ("", "the file is empty"),
    ]
    for i, (text, reason) in enumerate(cases):
        path = tmp_path / f"broken{i}.csv"
        path.write_text(text)
        result = _cli_import(svc, path)
        assert result.exit_code == 2, result.output
        assert result.output.strip().startswith(f"error: broken{i}.csv") and reason in result.output, result.output
        assert "Traceback" not in result.output
    (tmp_path / "latin1.csv").write_bytes((HEADER + "Beretta,92,9x19,\xe9\xe9,IT,2022-01-01\n").encode("latin-1"))
    result = _cli_import(svc, tmp_path / "latin1.csv")
    assert result.exit_code == 2 and "not UTF-8" in result.output
    result = _cli_import(svc, tmp_path / "missing.csv")
    assert result.exit_code == 2 and "file not found" in result.output
    r = svc.client.post("/api/registers/national/imports", headers=svc.as_("analyst.north"),
                        files={"file": ("n.csv", cases[1][0].encode())})
    assert r.status_code == 422 and "n.csv: row 3: date_reported" in r.json()["detail"]
    assert _counts(svc) == before  # nothing imported, no alert, nothing in the audit trail


def test_trace_requests_keep_status_deadline_answer_and_documents(service):
    svc = service
    ids = svc.world()
    case = svc.ok(svc.post("/api/cases", "examiner.north", json={"reference": "N-TR"}), 201)["id"]
    gun = svc.ok(svc.post(f"/api/cases/{case}/firearms", "examiner.north", json={"make": "Zastava", "serial_number": "M70-1"}), 201)
    late = svc.ok(svc.post(f"/api/firearms/{gun['id']}/traces", "examiner.north", json={
        "target": "manufacturer", "addressee": "Zastava Arms", "question": "first sale?", "deadline": "2024-01-31"}), 201)
    assert late["status"] == "sent" and late["overdue"] is True
    partner = svc.ok(svc.post(f"/api/firearms/{gun['id']}/traces", "examiner.north", json={
        "target": "partner_jurisdiction", "partner_jurisdiction_id": ids["PARTNER"], "deadline": "2999-01-01"}), 201)
    assert partner["overdue"] is False
    assert [t["id"] for t in svc.ok(svc.get("/api/traces/overdue", "investigator.north"))] == [late["id"]]
    assert svc.ok(svc.get("/api/traces/overdue", "investigator.south")) == []
    answered = svc.ok(svc.patch(f"/api/traces/{late['id']}", "examiner.north",
                                json={"status": "answered", "answer": "sold 2009 to an importer in X"}))
    assert answered["answered_at"] and answered["overdue"] is False
    assert svc.ok(svc.get("/api/traces/overdue", "investigator.north")) == []
    doc = svc.ok(svc.post(f"/api/traces/{late['id']}/documents", "examiner.north",
                          files={"file": ("letter.pdf", b"%PDF-1.4 answer")}), 201)
    assert doc["sha256"] == hashlib.sha256(b"%PDF-1.4 answer").hexdigest()
    assert [d["id"] for d in svc.ok(svc.get(f"/api/traces/{late['id']}/documents", "investigator.north"))] == [doc["id"]]
    # Bad input: unknown target or status, a partner trace without its jurisdiction, another's trace.
    for body in ({"target": "oracle"}, {"target": "partner_jurisdiction"},
                 {"target": "manufacturer", "partner_jurisdiction_id": ids["PARTNER"]}):
        assert svc.post(f"/api/firearms/{gun['id']}/traces", "examiner.north", json=body).status_code == 422
    assert svc.patch(f"/api/traces/{late['id']}", "examiner.north", json={"status": "lost"}).status_code == 422
    assert svc.patch(f"/api/traces/{late['id']}", "examiner.south", json={"answer": "x"}).status_code == 404
