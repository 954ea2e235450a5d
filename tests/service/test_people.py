"""People under the Law Enforcement Directive, on SQLite and PostgreSQL: need-to-know by
role and jurisdiction, every read of personal data in the audit trail, and a retention
run that removes personal data everywhere while the ballistic facts stay and the audit
chain still verifies."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import select

from service.core.db import Base
from service.models import AuditEntry

JANE = {"name": "Jane Doe-Retention", "date_of_birth": "1980-02-03", "nationality": "XX",
        "identifiers": "passport P-99117733", "address": "12 Quay Lane", "notes": "seller at the car boot",
        "role": "seller"}


def test_a_retention_run_removes_personal_data_and_the_audit_chain_still_verifies(service):
    svc = service
    svc.world()
    case = svc.ok(svc.post("/api/cases", "examiner.north", json={"reference": "N-PPL"}), 201)["id"]
    gun = svc.ok(svc.post(f"/api/cases/{case}/firearms", "examiner.north", json={"kind": "revolver", "serial_number": "R-77"}), 201)
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    jane = svc.ok(svc.post(f"/api/cases/{case}/people", "investigator.north",
                           json={**JANE, "retain_until": yesterday, "firearm_id": gun["id"]}), 201)
    assert {(l["role"], l["case_id"], l["firearm_id"]) for l in jane["links"]} == {
        ("seller", case, None), ("seller", None, gun["id"])}
    john = svc.ok(svc.post(f"/api/cases/{case}/people", "investigator.north",
                           json={"name": "John Roe-Kept", "role": "victim"}), 201)
    assert date.fromisoformat(john["retain_until"]) > date.today() + timedelta(days=365)

    # Need to know: the laboratory and other jurisdictions do not see people.
    for user in ("examiner.north", "lab_submitter.north", "auditor.north", "partner.partner"):
        assert svc.get(f"/api/cases/{case}/people", user).status_code == 403, user
    assert svc.get(f"/api/cases/{case}/people", "investigator.south").status_code == 404
    assert svc.get(f"/api/people/{jane['id']}", "prosecutor.south").status_code == 404
    seen = svc.ok(svc.get(f"/api/cases/{case}/people", "prosecutor.north"))
    assert [p["name"] for p in seen] == ["Jane Doe-Retention", "John Roe-Kept"]
    assert svc.ok(svc.get(f"/api/firearms/{gun['id']}/people", "analyst.north"))[0]["id"] == jane["id"]
    assert svc.ok(svc.get(f"/api/people/{jane['id']}", "investigator.north"))["identifiers"] == JANE["identifiers"]
    with svc.app.state.session_factory() as s:
        reads = [(e.username, e.resource, e.resource_id) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.action == "read", AuditEntry.resource.in_(("people", "person")))
            .order_by(AuditEntry.seq))]
    assert reads == [("prosecutor.north", "people", str(case)), ("analyst.north", "people", f"firearm:{gun['id']}"),
                     ("investigator.north", "person", str(jane["id"]))]

    # Only the retention role runs it, never for a later day.
    assert svc.post("/api/people/retention-run", "analyst.north", json={}).status_code == 403
    later = (date.today() + timedelta(days=30)).isoformat()
    assert svc.post("/api/people/retention-run", "admin.north", json={"as_of": later}).status_code == 422
    result = svc.ok(svc.post("/api/people/retention-run", "admin.north", json={}))
    assert result["erased"] == [jane["id"]]

    after = svc.ok(svc.get(f"/api/people/{jane['id']}", "investigator.north"))
    assert after["erased_at"] and all(after[f] in ("", None) for f in
                                      ("name", "date_of_birth", "nationality", "identifiers", "address", "notes"))
    # The ballistic facts stay: the gun, and that a seller is linked to it and the case.
    assert {(l["role"], l["case_id"], l["firearm_id"]) for l in after["links"]} == {
        ("seller", case, None), ("seller", None, gun["id"])}
    assert svc.ok(svc.get(f"/api/firearms/{gun['id']}", "investigator.north"))["serial_number"] == "R-77"
    assert svc.ok(svc.get(f"/api/people/{john['id']}", "investigator.north"))["name"] == "John Roe-Kept"
    # Nowhere in the database, audit trail included, are Jane's personal data left.
    with svc.app.state.session_factory() as s:
        for table in Base.metadata.sorted_tables:
            for row in s.execute(select(table)):
                text = repr(tuple(row))
                # the full date of birth: "1980" alone turns up by chance inside hex hashes
                for secret in ("Jane Doe-Retention", "P-99117733", "12 Quay Lane", "car boot", "1980-02-03"):
                    assert secret not in text, (table.name, secret)
    assert svc.ok(svc.get("/api/audit/verify", "auditor.north"))["ok"] is True
    # A second run finds nothing more.
    assert svc.ok(svc.post("/api/people/retention-run", "admin.north", json={}))["erased"] == []


def test_bad_people_input_gets_a_4xx(service):
    svc = service
    svc.world()
    case = svc.ok(svc.post("/api/cases", "examiner.north", json={"reference": "N-PB"}), 201)["id"]
    for body in ({**JANE, "role": "accomplice"}, {**JANE, "kind": "gang"}, {**JANE, "name": ""},
                 {**JANE, "date_of_birth": "03/02/1980"}, {k: v for k, v in JANE.items() if k != "role"}):
        assert svc.post(f"/api/cases/{case}/people", "investigator.north", json=body).status_code == 422, body
    s_case = svc.ok(svc.post("/api/cases", "examiner.south", json={"reference": "S-PB"}), 201)["id"]
    p = svc.ok(svc.post(f"/api/cases/{case}/people", "investigator.north", json=JANE), 201)
    r = svc.post(f"/api/people/{p['id']}/links", "investigator.north", json={"role": "owner", "case_id": s_case})
    assert r.status_code == 422 and "case_id" in r.json()["detail"]
    assert svc.post(f"/api/people/{p['id']}/links", "investigator.north", json={"role": "owner"}).status_code == 422


def test_the_retention_run_from_the_command_line(service):
    """``ballistics people retention-run`` (for a scheduler) erases what the API would, is
    audited with its operator, and refuses a malformed or later day, changing nothing."""
    from typer.testing import CliRunner

    from service.cli import app as cli

    svc = service
    svc.world()
    case = svc.ok(svc.post("/api/cases", "examiner.north", json={"reference": "N-CRON"}), 201)["id"]
    last_week = (date.today() - timedelta(days=7)).isoformat()
    due = svc.ok(svc.post(f"/api/cases/{case}/people", "investigator.north",
                          json={**JANE, "retain_until": last_week}), 201)
    kept = svc.ok(svc.post(f"/api/cases/{case}/people", "investigator.north",
                           json={"name": "Kept Person", "role": "witness"}), 201)

    def run(*args):
        return CliRunner().invoke(cli, ["people", "retention-run", "--database-url", svc.settings.database_url, *args])

    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    for args, reason in ((["--as-of", tomorrow], "later day than today"), (["--as-of", "03/02/2024"], "not a date")):
        result = run(*args)
        assert result.exit_code == 2 and reason in result.output and "Traceback" not in result.output, result.output
    assert svc.ok(svc.get(f"/api/people/{due['id']}", "investigator.north"))["name"] == JANE["name"]
    # As of a day before the period ended: nothing is due yet.
    result = run("--as-of", (date.today() - timedelta(days=30)).isoformat())
    assert result.exit_code == 0 and "0 person(s) erased" in result.output, result.output
    result = run("--operator", "cron@fp-1")
    assert result.exit_code == 0 and f"1 person(s) erased (ids {due['id']})" in result.output, result.output
    after = svc.ok(svc.get(f"/api/people/{due['id']}", "investigator.north"))
    assert after["erased_at"] and after["name"] == "" and after["identifiers"] == ""
    assert [l["role"] for l in after["links"]] == ["seller"]
    assert svc.ok(svc.get(f"/api/people/{kept['id']}", "investigator.north"))["name"] == "Kept Person"
    with svc.app.state.session_factory() as s:
        runs = s.scalars(select(AuditEntry).where(AuditEntry.action == "retention.erase").order_by(AuditEntry.seq)).all()
    detail = json.loads(runs[-1].detail)
    assert len(runs) == 2 and detail["ids"] == [due["id"]] and detail["operator"] == "cron@fp-1"
    assert svc.ok(svc.get("/api/audit/verify", "auditor.north"))["ok"] is True
