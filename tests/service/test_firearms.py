"""The firearm register through the HTTP API, on SQLite and PostgreSQL: registering,
serial search (look-alikes, wildcards, fuzzy; other jurisdictions as hit / no-hit),
corrections that keep the original, the life cycle, destruction only with a second
person's approval, ammunition exhibits, and bad input answered with a 4xx."""

from __future__ import annotations

import json

from sqlalchemy import select

from service.models import AuditEntry

GLOCK = {"kind": "pistol", "acquisition": "seized", "make": "Glock", "model": "17", "calibre": "9x19mm",
         "serial_number": "AB-1O23-S", "country_of_manufacture": "AT", "proof_marks": "Austrian proof, eagle",
         "condition": "working", "location": "Dock 4, Northport"}


def _case(svc, user, ref):
    return svc.ok(svc.post("/api/cases", user, json={"reference": ref, "title": ref}), 201)["id"]


def test_a_serial_entered_with_look_alike_characters_is_found(service):
    svc = service
    svc.world()
    north_case = _case(svc, "examiner.north", "N-GUN-1")
    gun = svc.ok(svc.post(f"/api/cases/{north_case}/firearms", "examiner.north", json=GLOCK), 201)
    assert gun["serial_number"] == "AB-1O23-S" and gun["serial_normalised"] == "A810235"
    assert gun["status"] == "recovered" and gun["kind"] == "pistol"
    # The same gun entered again in SOUTH with O/0, I/1, S/5 read the other way round.
    south_case = _case(svc, "examiner.south", "S-GUN-9")
    south_gun = svc.ok(svc.post(f"/api/cases/{south_case}/firearms", "examiner.south",
                                json={"kind": "pistol", "serial_number": "ab 1023 5"}), 201)

    exact = svc.ok(svc.get("/api/firearms/search", "investigator.north", params={"serial": "a8-io23-s"}))
    assert exact["hit"] is True and exact["normalised"] == "A810235"
    by_jur = {m["case"]["jurisdiction"]: m for m in exact["matches"]}
    assert set(by_jur) == {"NORTH", "SOUTH"}
    assert by_jur["NORTH"]["firearm"]["id"] == gun["id"] and by_jur["NORTH"]["case"]["reference"] == "N-GUN-1"
    # SOUTH's record is a hit only: its jurisdiction and an opaque reference, no details.
    assert by_jur["SOUTH"]["firearm"] is None and by_jur["SOUTH"]["case"]["case_id"] is None
    assert by_jur["SOUTH"]["case"]["opaque_reference"].startswith("REF-")
    assert svc.get(f"/api/firearms/{south_gun['id']}", "investigator.north").status_code == 404

    # Partly obliterated: wildcards; misread: fuzzy.
    wild = svc.ok(svc.get("/api/firearms/search", "investigator.north", params={"serial": "AB-?023*", "mode": "wildcard"}))
    assert len(wild["matches"]) == 2 and all(m["how"] == "wildcard" for m in wild["matches"])
    fuzzy = svc.ok(svc.get("/api/firearms/search", "investigator.north", params={"serial": "AB1028S", "mode": "fuzzy"}))
    assert len(fuzzy["matches"]) == 2 and all(75 <= m["score"] < 100 for m in fuzzy["matches"])
    none = svc.ok(svc.get("/api/firearms/search", "investigator.north", params={"serial": "ZZ999999"}))
    assert none == {"query": "ZZ999999", "normalised": "ZZ999999".translate(str.maketrans("Z", "2")), "mode": "exact",
                    "hit": False, "matches": []}
    # A foreign partner gets hit / no-hit with opaque references only.
    partner = svc.ok(svc.get("/api/firearms/search", "partner.partner", params={"serial": "AB1023S"}))
    assert partner["hit"] is True and all(m["firearm"] is None and m["case"]["reference"] is None
                                           for m in partner["matches"])
    with svc.app.state.session_factory() as s:
        searches = s.scalars(select(AuditEntry).where(AuditEntry.resource == "firearm_serial")).all()
    assert len(searches) == 5 and json.loads(searches[0].detail)["normalised"] == "A810235"


def test_bad_firearm_input_gets_a_4xx_naming_the_problem(service):
    svc = service
    svc.world()
    case = _case(svc, "examiner.north", "N-BAD")
    r = svc.post(f"/api/cases/{case}/firearms", "examiner.north", json={**GLOCK, "kind": "blunderbuss"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "kind"
    r = svc.post(f"/api/cases/{case}/firearms", "examiner.north", json={**GLOCK, "serial_number": "AB#12;--"})
    assert r.status_code == 422 and "not letters, digits or separators" in r.text and "serial_number" in r.text
    for params in ({"serial": "AB#1"}, {"serial": "*", "mode": "wildcard"}, {"serial": "AB", "mode": "regex"},
                   {"serial": "AB12", "min_score": 5}, {"serial": "--"}):
        r = svc.get("/api/firearms/search", "investigator.north", params=params)
        assert r.status_code == 422, (params, r.text)
    assert svc.get(f"/api/firearms/{2**63}", "investigator.north").status_code == 422
    assert svc.get("/api/firearms/0", "investigator.north").status_code == 422
    assert svc.post("/api/cases/999999/firearms", "examiner.north", json=GLOCK).status_code == 404
    # Ammunition is an exhibit too; its enum is checked like any other.
    ammo = svc.ok(svc.post(f"/api/cases/{case}/exhibits", "examiner.north", json={
        "kind": "cartridge", "lab_number": "AM-1", "calibre": "9x19mm", "headstamp": "GFL 9x19", "lot": "L-2231"}), 201)
    assert (ammo["kind"], ammo["headstamp"], ammo["lot"]) == ("cartridge", "GFL 9x19", "L-2231")
    bullet = svc.ok(svc.post(f"/api/cases/{case}/exhibits", "examiner.north", json={"kind": "bullet", "lab_number": "B-1"}), 201)
    assert bullet["kind"] == "bullet"
    r = svc.post(f"/api/cases/{case}/exhibits", "examiner.north", json={"kind": "grenade", "lab_number": "X-1"})
    assert r.status_code == 422
    south_case = _case(svc, "examiner.south", "S-G")
    south_gun = svc.ok(svc.post(f"/api/cases/{south_case}/firearms", "examiner.south", json=GLOCK), 201)
    r = svc.post(f"/api/cases/{case}/exhibits", "examiner.north",
                 json={"kind": "test_fire", "lab_number": "TF-X", "firearm_id": south_gun["id"]})
    assert r.status_code == 422 and "firearm_id" in r.json()["detail"]


def test_corrections_keep_the_original_and_nothing_is_deleted(service):
    svc = service
    svc.world()
    case = _case(svc, "examiner.north", "N-COR")
    gun = svc.ok(svc.post(f"/api/cases/{case}/firearms", "examiner.north", json=GLOCK), 201)
    assert svc.patch(f"/api/firearms/{gun['id']}", "examiner.north", json={"model": "19"}).status_code == 422  # no reason
    fixed = svc.ok(svc.patch(f"/api/firearms/{gun['id']}", "examiner.north",
                             json={"model": "19", "serial_number": "AB-1023-8", "reason": "re-read under the microscope"}))
    assert fixed["model"] == "19" and fixed["serial_normalised"] == "A810238"
    revs = svc.ok(svc.get(f"/api/firearms/{gun['id']}/revisions", "investigator.north"))
    assert len(revs) == 1 and revs[0]["before"] == {"model": "17", "serial_number": "AB-1O23-S"}
    assert revs[0]["after"] == {"model": "19", "serial_number": "AB-1023-8"} and revs[0]["reason"].startswith("re-read")
    # The old serial no longer finds it exactly; the record is the corrected one.
    assert svc.ok(svc.get("/api/firearms/search", "examiner.north", params={"serial": "AB1023S"}))["hit"] is False
    assert svc.client.delete(f"/api/firearms/{gun['id']}", headers=svc.as_("admin.north")).status_code == 405
    assert svc.patch(f"/api/firearms/{gun['id']}", "investigator.north", json={"model": "x", "reason": "r"}).status_code == 403


def test_destruction_is_refused_without_a_second_persons_approval(service):
    svc = service
    svc.world()
    case = _case(svc, "examiner.north", "N-LIFE")
    gun = svc.ok(svc.post(f"/api/cases/{case}/firearms", "examiner.north", json=GLOCK), 201)
    for step in ("submitted", "examined", "test_fired", "stored"):
        svc.ok(svc.post(f"/api/firearms/{gun['id']}/events", "examiner.north",
                        json={"status": step, "location": "lab store B", "notes": step}), 201)
    r = svc.post(f"/api/firearms/{gun['id']}/events", "examiner.north", json={"status": "destroyed"})
    assert r.status_code == 409 and "second person's approval" in r.json()["detail"]
    r = svc.post(f"/api/firearms/{gun['id']}/events", "examiner.north", json={"status": "melted"})
    assert r.status_code == 422
    req = svc.ok(svc.post(f"/api/firearms/{gun['id']}/destruction-requests", "examiner.north",
                          json={"reason": "court order 2024/113", "location": "smelter"}), 201)
    assert req["state"] == "pending"
    assert svc.post(f"/api/firearms/{gun['id']}/destruction-requests", "examiner.north",
                    json={"reason": "again"}).status_code == 409
    # The requester cannot approve; a lab submitter lacks the scope; SOUTH cannot see it.
    r = svc.post(f"/api/destruction-requests/{req['id']}/approve", "examiner.north", json={})
    assert r.status_code == 403 and "second person" in r.json()["detail"]
    assert svc.post(f"/api/destruction-requests/{req['id']}/approve", "lab_submitter.north", json={}).status_code == 403
    assert svc.post(f"/api/destruction-requests/{req['id']}/approve", "analyst.south", json={}).status_code == 404
    assert svc.ok(svc.get(f"/api/firearms/{gun['id']}", "examiner.north"))["status"] == "stored"
    done = svc.ok(svc.post(f"/api/destruction-requests/{req['id']}/approve", "analyst.north", json={"reason": "checked"}))
    assert done["state"] == "approved" and done["decided_by_id"] != done["requested_by_id"]
    after = svc.ok(svc.get(f"/api/firearms/{gun['id']}", "examiner.north"))
    assert after["status"] == "destroyed"  # the record stays
    events = svc.ok(svc.get(f"/api/firearms/{gun['id']}/events", "investigator.north"))
    assert [e["status"] for e in events] == ["recovered", "submitted", "examined", "test_fired", "stored", "destroyed"]
    assert events[-1]["location"] == "smelter"
    assert svc.post(f"/api/firearms/{gun['id']}/events", "examiner.north", json={"status": "stored"}).status_code == 409
    with svc.app.state.session_factory() as s:
        actions = [e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.resource == "firearm",
                                                                        AuditEntry.action != "read")
                                               .order_by(AuditEntry.seq))]
    assert actions == ["create"] + ["lifecycle"] * 4 + ["destruction.request", "destruction.approve", "lifecycle"]
    assert svc.ok(svc.get("/api/audit/verify", "auditor.north"))["ok"] is True


def test_photos_keep_their_sha256(service):
    import hashlib

    svc = service
    svc.world()
    case = _case(svc, "examiner.north", "N-PH")
    gun = svc.ok(svc.post(f"/api/cases/{case}/firearms", "examiner.north", json=GLOCK), 201)
    data = b"\x89PNG\r\n\x1a\n" + b"photo of the left side" * 10
    p = svc.ok(svc.post(f"/api/firearms/{gun['id']}/photos", "examiner.north",
                        files={"file": ("left.png", data)}, data={"caption": "left side"}), 201)
    assert p["sha256"] == hashlib.sha256(data).hexdigest() and p["caption"] == "left side"
    assert svc.post(f"/api/firearms/{gun['id']}/photos", "examiner.north", files={"file": ("again.png", data)}).status_code == 409
    # An empty file is a schema-valid request refused for its content: 422 with the reason.
    empty = svc.post(f"/api/firearms/{gun['id']}/photos", "examiner.north", files={"file": ("e.png", b"")})
    assert (empty.status_code, empty.json()) == (422, {"detail": "the uploaded file is empty"})
    assert [x["id"] for x in svc.ok(svc.get(f"/api/firearms/{gun['id']}/photos", "investigator.north"))] == [p["id"]]


def test_a_ballistic_item_is_destroyed_only_on_a_second_approval(service):
    svc = service
    svc.world()
    case, exhibit = svc.case_with_exhibit("examiner.north", "N-AMMO")
    r = svc.post(f"/api/exhibits/{exhibit}/custody", "examiner.north", json={"action": "destroyed"})
    assert r.status_code == 409 and "second person's approval" in r.json()["detail"]
    req = svc.ok(svc.post(f"/api/exhibits/{exhibit}/destruction-requests", "examiner.north", json={"reason": "case closed"}), 201)
    assert (req["exhibit_id"], req["firearm_id"]) == (exhibit, None)
    assert svc.post(f"/api/destruction-requests/{req['id']}/approve", "examiner.north", json={}).status_code == 403
    refused = svc.ok(svc.post(f"/api/destruction-requests/{req['id']}/refuse", "analyst.north", json={"reason": "appeal pending"}))
    assert refused["state"] == "refused"
    assert [c["action"] for c in svc.ok(svc.get(f"/api/exhibits/{exhibit}/custody", "examiner.north"))] == ["received"]
    again = svc.ok(svc.post(f"/api/exhibits/{exhibit}/destruction-requests", "examiner.north", json={"reason": "appeal lost"}), 201)
    svc.ok(svc.post(f"/api/destruction-requests/{again['id']}/approve", "analyst.north", json={}))
    assert [c["action"] for c in svc.ok(svc.get(f"/api/exhibits/{exhibit}/custody", "examiner.north"))] == ["received", "destroyed"]
    assert svc.post(f"/api/exhibits/{exhibit}/custody", "examiner.north", json={"action": "stored"}).status_code == 409
    assert svc.ok(svc.get(f"/api/exhibits/{exhibit}", "examiner.north"))["id"] == exhibit  # still there
