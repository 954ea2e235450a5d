"""A gun's trace history across borders, on SQLite and PostgreSQL, through the API:

- a lost-and-stolen alert is seen and acknowledged by the owning case's jurisdiction
  (audited), and stays recorded;
- a trace request to a partner jurisdiction is answered by that partner (status,
  answer, documents), audited, and shown to the requester;
- a partner's serial query answers hit or no-hit until the owning side discloses the
  gun record, and the record after;
- the life of the gun and the link chart show the gun's trace history.

One world per database (module scope): NORTH registers a pistol whose serial is on an
imported register (an alert), asks the maker and PARTNER to trace it.
"""

from __future__ import annotations

import csv
import io
import json

import networkx as nx
import pytest
from sqlalchemy import select

from service.models import AuditEntry
from tests.service.conftest import _pg_admin, start_service

HEADER = "make,model,calibre,serial,country,date_reported\n"
SERIAL = "KX-2O4I7"  # entered with a letter O and I: found as kx20417


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"gun-{request.param}")
    if request.param == "sqlite":
        url, drop = f"sqlite:///{root / 'ballistics.db'}", None
    else:
        server = request.getfixturevalue("postgres_server")
        name = f"t_gun_{root.name[-8:].replace('-', '_')}"
        _pg_admin(server, f"CREATE DATABASE {name}")
        url, drop = f"{server}/{name}", (server, name)
    svc = start_service(url, root)
    with svc.client:
        ids = svc.world()
        case = svc.ok(svc.post("/api/cases", "examiner.north", json={"reference": "N-GUN-1"}), 201)["id"]
        gun = svc.ok(svc.post(f"/api/cases/{case}/firearms", "examiner.north", json={
            "kind": "pistol", "make": "Zastava", "model": "M57", "calibre": "7.62x25", "serial_number": SERIAL,
            "country_of_manufacture": "RS", "location": "N town, evidence store"}), 201)
        r = svc.client.post("/api/registers/iarms/imports", headers=svc.as_("analyst.north"),
                            files={"file": ("iarms.csv", (HEADER + "Zastava,M57,7.62,kx 2041-7,AT,2021-05-04\n").encode())})
        svc.ok(r, 201)
        maker = svc.ok(svc.post(f"/api/firearms/{gun['id']}/traces", "examiner.north", json={
            "target": "manufacturer", "addressee": "Zastava Arms", "question": "first sale?"}), 201)
        partner = svc.ok(svc.post(f"/api/firearms/{gun['id']}/traces", "examiner.north", json={
            "target": "partner_jurisdiction", "partner_jurisdiction_id": ids["PARTNER"], "deadline": "2999-01-01",
            "question": "last legal owner?"}), 201)
        svc.ids, svc.case, svc.gun, svc.traces = ids, case, gun, {"maker": maker, "partner": partner}
        yield svc
    if drop:
        _pg_admin(drop[0], f"DROP DATABASE IF EXISTS {drop[1]} WITH (FORCE)")


def _audit(svc, action, resource, resource_id):
    with svc.app.state.session_factory() as s:
        return s.scalars(select(AuditEntry).where(AuditEntry.action == action, AuditEntry.resource == resource,
                                                  AuditEntry.resource_id == str(resource_id))).all()


def _report(svc, user, kind, fmt, **params):
    r = svc.post("/api/reports", user, json={"kind": kind, "format": fmt, "params": params})
    if r.status_code != 201:
        return r
    return svc.get(f"/api/reports/{r.json()['id']}/content", user)


def test_an_alert_is_acknowledged_by_the_owning_jurisdiction_and_stays_recorded(world):
    svc = world
    (alert,) = svc.ok(svc.get("/api/alerts", "investigator.north", params={"acknowledged": "false"}))
    assert alert["firearm_id"] == svc.gun["id"] and alert["acknowledged"] is False
    assert svc.ok(svc.get("/api/alerts", "investigator.north", params={"acknowledged": "true"})) == []
    url = f"/api/alerts/{alert['id']}/acknowledge"
    # Others' alerts do not exist for them; a partner may not; bad bodies and ids are refused with a reason.
    assert svc.post(url, "investigator.south", json={}).status_code == 404
    assert svc.post(url, "partner.partner", json={}).status_code == 403
    for body in ({"note": "x" * 2001}, {"note": 5}, {"note": "ok", "extra": 1}, []):
        r = svc.post(url, "investigator.north", json=body)
        assert r.status_code == 422 and r.json()["detail"], body
    for bad in (0, 2**31, "x"):
        assert svc.post(f"/api/alerts/{bad}/acknowledge", "investigator.north", json={}).status_code == 422

    done = svc.ok(svc.post(url, "investigator.north", json={"note": "owner in AT informed via SIRENE"}))
    assert done["acknowledged"] is True and done["acknowledged_at"] and done["acknowledgement_note"].startswith("owner")
    again = svc.post(url, "analyst.north", json={})
    assert again.status_code == 409 and "already acknowledged" in again.json()["detail"]
    # Still recorded, listed and readable; the acknowledgement is in the audit trail.
    assert [a["id"] for a in svc.ok(svc.get("/api/alerts", "investigator.north"))] == [alert["id"]]
    assert svc.ok(svc.get("/api/alerts", "investigator.north", params={"acknowledged": "false"})) == []
    assert svc.ok(svc.get(f"/api/cases/{svc.case}/alerts", "examiner.north",
                          params={"acknowledged": "true"}))[0]["acknowledged_by_id"] == done["acknowledged_by_id"]
    assert svc.ok(svc.get("/api/alerts", "analyst.south")) == []
    (entry,) = _audit(svc, "acknowledge", "stolen_alert", alert["id"])
    assert entry.username == "investigator.north" and "SIRENE" in entry.detail


def test_a_partner_answers_the_trace_request_addressed_to_it(world):
    svc = world
    trace = svc.traces["partner"]
    incoming = svc.ok(svc.get("/api/incoming-traces", "partner.partner"))
    assert [t["id"] for t in incoming] == [trace["id"]]
    (t,) = incoming
    # What is needed to trace the gun, and the requester's case as an opaque reference only.
    assert t["firearm"]["serial_number"] == SERIAL and t["firearm"]["make"] == "Zastava"
    assert t["requesting_jurisdiction"] == "NORTH" and t["case"]["reference"] is None and t["status"] == "sent"
    assert svc.ok(svc.get("/api/incoming-traces", "analyst.south")) == []
    assert svc.get(f"/api/incoming-traces/{trace['id']}", "analyst.south").status_code == 404
    assert svc.get(f"/api/incoming-traces/{svc.traces['maker']['id']}", "partner.partner").status_code == 404
    answer = f"/api/incoming-traces/{trace['id']}/answer"
    for body in ({"status": "closed", "answer": "x"}, {"status": "answered", "answer": ""},
                 {"status": "answered"}, {"status": "answered", "answer": "x", "by": "me"}):
        assert svc.post(answer, "partner.partner", json=body).status_code == 422, body
    assert svc.post(answer, "investigator.north", json={"status": "answered", "answer": "x"}).status_code == 403

    got = svc.ok(svc.post(answer, "partner.partner", json={
        "status": "answered", "answer": "sold 2011 to a licensed dealer in Graz; licence AT-77"}))
    assert got["status"] == "answered" and got["answered_by_jurisdiction"] == "PARTNER" and got["answered_at"]
    assert svc.post(answer, "partner.partner", json={"status": "no_record", "answer": "x"}).status_code == 409
    doc = svc.ok(svc.post(f"/api/incoming-traces/{trace['id']}/documents", "partner.partner",
                          files={"file": ("register-extract.pdf", b"%PDF-1.4 partner extract")}), 201)
    assert svc.post(f"/api/incoming-traces/{trace['id']}/documents", "partner.partner",
                    files={"file": ("empty.pdf", b"")}).status_code == 422
    # The requester sees the answer, who gave it, and the partner's document.
    mine = {t["id"]: t for t in svc.ok(svc.get(f"/api/firearms/{svc.gun['id']}/traces", "investigator.north"))}
    assert mine[trace["id"]]["answer"].startswith("sold 2011") and mine[trace["id"]]["answered_by_jurisdiction"] == "PARTNER"
    assert doc["id"] in [d["id"] for d in svc.ok(svc.get(f"/api/traces/{trace['id']}/documents", "investigator.north"))]
    assert [d["id"] for d in svc.ok(svc.get(f"/api/incoming-traces/{trace['id']}/documents", "partner.partner"))] == [doc["id"]]
    # The requester may reopen it (a null status is refused by name, not a server error).
    r = svc.patch(f"/api/traces/{trace['id']}", "examiner.north", json={"status": None})
    assert r.status_code == 422 and "status" in r.text
    svc.ok(svc.patch(f"/api/traces/{trace['id']}", "examiner.north", json={"status": "sent", "deadline": None}))
    assert svc.ok(svc.post(answer, "partner.partner", json={"status": "no_record", "answer": "nothing more held"}))["status"] == "no_record"
    assert [e.username for e in _audit(svc, "answer", "trace_request", trace["id"])] == ["partner.partner"] * 2
    assert _audit(svc, "upload", "trace_document", doc["id"])[0].username == "partner.partner"


def test_a_partners_serial_query_is_hit_or_no_hit_until_the_owner_discloses_the_record(world):
    svc = world
    miss = svc.ok(svc.get("/api/firearms/search", "partner.partner", params={"serial": "ZZ-999"}))
    assert miss["hit"] is False and miss["matches"] == []
    found = svc.ok(svc.get("/api/firearms/search", "partner.partner", params={"serial": "kx20417"}))
    (m,) = found["matches"]
    assert found["hit"] is True and m["firearm"] is None and m["firearm_disclosed"] is False
    assert m["case"]["jurisdiction"] == "NORTH" and m["case"]["case_id"] is None
    ref = m["case"]["opaque_reference"]

    body = {"serial": "kx20417", "opaque_reference": ref, "justification": "same serial in a seizure at the border"}
    # Only a gun the query really hits can be asked for; bad bodies are refused with a reason.
    assert svc.post("/api/firearm-disclosures", "partner.partner", json={**body, "serial": "ZZ-999"}).status_code == 404
    assert svc.post("/api/firearm-disclosures", "partner.partner",
                    json={**body, "opaque_reference": "REF-0000000000000000"}).status_code == 404
    for bad in ({**body, "opaque_reference": "case 1"}, {**body, "serial": "KX#1"}, {**body, "mode": "regex"},
                {**body, "justification": ""}, {**body, "extra": True}):
        r = svc.post("/api/firearm-disclosures", "partner.partner", json=bad)
        assert r.status_code == 422 and r.json()["detail"], bad
    assert svc.post("/api/firearm-disclosures", "analyst.north", json=body).status_code == 409  # its own gun

    d = svc.ok(svc.post("/api/firearm-disclosures", "partner.partner", json=body), 201)
    assert d["status"] == "requested" and d["firearm"] is None and d["owning_jurisdiction"] == "NORTH"
    assert svc.post("/api/firearm-disclosures", "partner.partner", json=body).status_code == 409
    owner_view = svc.ok(svc.get("/api/firearm-disclosures", "analyst.north"))
    assert owner_view[0]["firearm"]["serial_number"] == SERIAL and owner_view[0]["query"] == "kx20417"
    assert svc.ok(svc.get("/api/firearms/search", "partner.partner", params={"serial": "kx20417"}))["matches"][0]["firearm"] is None
    assert svc.post(f"/api/firearm-disclosures/{d['id']}/approve", "partner.partner", json={}).status_code == 403
    assert svc.post(f"/api/firearm-disclosures/{d['id']}/approve", "analyst.south", json={}).status_code == 404

    ok = svc.ok(svc.post(f"/api/firearm-disclosures/{d['id']}/approve", "analyst.north", json={"reason": "MoU art. 4"}))
    assert ok["status"] == "approved"
    assert svc.post(f"/api/firearm-disclosures/{d['id']}/refuse", "analyst.north", json={}).status_code == 409
    after = svc.ok(svc.get("/api/firearms/search", "partner.partner", params={"serial": "KX 2O4 I7"}))["matches"][0]
    assert after["firearm"]["id"] == svc.gun["id"] and after["firearm"]["serial_number"] == SERIAL
    assert after["firearm_disclosed"] is True and after["case"]["case_id"] is None  # the record, not the case
    assert svc.ok(svc.get("/api/firearm-disclosures", "partner.partner"))[0]["firearm"]["make"] == "Zastava"
    # SOUTH did not ask: still hit / no-hit.
    assert svc.ok(svc.get("/api/firearms/search", "investigator.south", params={"serial": "kx20417"}))["matches"][0]["firearm"] is None
    assert [e.action for e in _audit(svc, "disclosure.approve", "firearm_disclosure", d["id"])] == ["disclosure.approve"]


def test_the_life_of_the_gun_and_the_link_chart_show_its_trace_history(world):
    svc = world
    svc.ok(svc.post(f"/api/firearms/{svc.gun['id']}/events", "examiner.north",
                    json={"status": "stored", "location": "N armoury, rack 4"}), 201)
    r = _report(svc, "investigator.north", "timeline", "csv", firearm_id=svc.gun["id"])
    rows = list(csv.DictReader(io.StringIO(r.content.decode())))
    by_kind = {row["event_kind"]: row for row in rows}
    assert {"firearm_recovered", "firearm_stored", "trace_sent", "stolen_reported", "stolen_alert"} <= set(by_kind)
    assert by_kind["stolen_reported"]["date_from"] == "2021-05-04" and by_kind["stolen_reported"]["location"] == "AT"
    assert by_kind["firearm_stored"]["location"] == "N armoury, rack 4"
    assert [row["event_kind"] for row in rows] == [row["event_kind"] for row in sorted(rows, key=lambda x: x["date_from"])]
    sent = [row["summary"] for row in rows if row["event_kind"] == "trace_sent"]
    assert any("manufacturer Zastava Arms" in s for s in sent) and any("PARTNER" in s for s in sent)
    assert all(row["firearm"] == f"Zastava M57 s/n {SERIAL} (firearm {svc.gun['id']})" for row in rows)

    r = _report(svc, "investigator.north", "link_chart", "graphml", linked_only=False, include_events=False)
    g = nx.read_graphml(io.BytesIO(r.content))
    fnode = f"firearm:#{svc.gun['id']}"
    assert g.nodes[fnode]["traces"] == 2 and g.nodes[fnode]["stolen_alerts"] == 1
    assert sorted(g.nodes[n]["kind"] for n in g[fnode]) == ["case", "stolen_alert", "trace", "trace"]
    assert {g.nodes[n].get("partner") for n in g[fnode] if g.nodes[n]["kind"] == "trace"} == {"", "PARTNER"}
    # Geo export of a gun with no located event, and a summary naming the firearms.
    geo = _report(svc, "investigator.north", "timeline", "geojson", firearm_id=svc.gun["id"])
    assert json.loads(geo.content)["type"] == "FeatureCollection"
    # Another jurisdiction gets no timeline of it; the partner, to whom the record was
    # disclosed (serial query test, or not yet), never its history, which stays with its case.
    assert _report(svc, "investigator.south", "timeline", "csv", firearm_id=svc.gun["id"]).status_code == 404
    assert _report(svc, "investigator.north", "timeline", "csv", firearm_id=2**31).status_code == 422
    r = _report(svc, "partner.partner", "timeline", "csv", firearm_id=svc.gun["id"])
    assert r.status_code in (200, 404)
    assert b"trace_" not in r.content and b"stolen_" not in r.content and b"Zastava Arms" not in r.content
    r = _report(svc, "partner.partner", "link_chart", "csv", table="nodes", linked_only=False)
    assert b"Zastava Arms" not in r.content and b"trace:" not in r.content and b"alert:" not in r.content
