"""A recovered gun's test fire hits two crime scenes in two jurisdictions.

NORTH recovers a pistol and test-fires it (Fadul 1-1, slide 1). SOUTH has a crime
scene with Fadul 1-2 (slide 1) and one with Fadul 2-1 (another slide); the foreign
PARTNER has a crime scene with Fadul F (slide 1). NORTH's test-fire run ranks the
two mates, an examiner identifies them, and the confirmed leads link the gun to both
crime-scene cases. SOUTH and PARTNER learn that a gun is linked (hit / no-hit) but
nothing about it until NORTH discloses its case. The intelligence products (link
chart, life of a gun) show the same: the gun record to NORTH, an opaque gun to the
others until disclosure.
"""

from __future__ import annotations

import csv
import io

import networkx as nx

from tests.service.conftest import SAMPLE


def report(svc, user, kind, fmt, **params) -> bytes:
    """A report through the API, downloaded (its bytes checked against its SHA-256 there)."""
    meta = svc.ok(svc.post("/api/reports", user, json={"kind": kind, "format": fmt, "params": params}), 201)
    r = svc.get(f"/api/reports/{meta['id']}/content", user)
    assert r.status_code == 200, r.text
    return r.content


def link_chart(svc, user, **params) -> nx.Graph:
    return nx.read_graphml(io.BytesIO(report(svc, user, "link_chart", "graphml", **params)))


def timeline_rows(svc, user, **params) -> list[dict]:
    return list(csv.DictReader(io.StringIO(report(svc, user, "timeline", "csv", **params).decode())))


def gun_nodes(g: nx.Graph) -> dict[str, dict]:
    return {n: a for n, a in g.nodes(data=True) if a["kind"] == "firearm"}


def _scan(name):
    return SAMPLE / f"{name}.x3p"


def _confirm(svc, candidate_id):
    review = svc.ok(svc.post(f"/api/candidates/{candidate_id}/reviews", "examiner.north",
                             json={"decision": "identification"}), 201)
    lead = svc.ok(svc.post("/api/leads", "analyst.north", json={"candidate_id": candidate_id}), 201)
    svc.ok(svc.post(f"/api/leads/{lead['id']}/transition", "analyst.north", json={"to": "issued"}))
    lead = svc.ok(svc.post(f"/api/leads/{lead['id']}/transition", "examiner.north",
                           json={"to": "confirmed", "review_id": review["id"]}))
    return lead["hit_id"]


def test_a_recovered_guns_test_fire_hits_two_crime_scenes_in_two_jurisdictions(service, sample_scans):
    svc = service
    svc.world()
    scenes = {}
    for user, ref, scan in (("lab_submitter.south", "S-SCENE-1", "Fadul 1-2"),
                            ("lab_submitter.south", "S-SCENE-2", "Fadul 2-1"),
                            ("lab_submitter.partner", "P-SCENE-1", "Fadul F")):
        case, ex = svc.case_with_exhibit(user, ref)
        up = svc.ok(svc.upload(user, ex, _scan(scan)), 201)
        svc.wait_run(up["run"]["id"], user)
        scenes[ref] = case

    gun_case = svc.ok(svc.post("/api/cases", "examiner.north", json={"reference": "N-SEIZED-7"}), 201)["id"]
    gun = svc.ok(svc.post(f"/api/cases/{gun_case}/firearms", "examiner.north", json={
        "kind": "pistol", "make": "Ruger", "model": "SR9", "serial_number": "330-1O7S", "calibre": "9x19mm"}), 201)
    tf = svc.ok(svc.post(f"/api/cases/{gun_case}/exhibits", "examiner.north",
                         json={"kind": "test_fire", "lab_number": "TF-1", "firearm_id": gun["id"]}), 201)
    up = svc.ok(svc.upload("examiner.north", tf["id"], _scan("Fadul 1-1")), 201)
    # The test fire's signature is a reference for its gun in the store.
    meta = svc.app.state.engine.load(up["scan"]["signature_id"]).meta
    assert meta["reference"] is True and meta["firearm_id"] == gun["id"] and meta["exhibit_kind"] == "test_fire"
    run = svc.wait_run(up["run"]["id"], "examiner.north")
    assert run["status"] == "done", run["reason"]

    cands = svc.ok(svc.get(f"/api/runs/{run['id']}/candidates", "examiner.north"))
    best = {}
    for c in cands:  # ranked: the first of each jurisdiction is its best
        best.setdefault(c["match"]["jurisdiction"], c)
    assert set(best) == {"SOUTH", "PARTNER"}
    assert best["SOUTH"]["match"]["opaque_reference"] == svc.ok(svc.get(f"/api/cases/{scenes['S-SCENE-1']}", "investigator.south"))["opaque_reference"]
    hits = {j: _confirm(svc, best[j]["id"]) for j in ("SOUTH", "PARTNER")}

    # NORTH sees the gun linked to both crime scenes (others' cases as opaque references).
    links = svc.ok(svc.get(f"/api/firearms/{gun['id']}/links", "investigator.north"))
    assert sorted((l["case"]["jurisdiction"], l["hit_id"]) for l in links) == sorted(
        [("SOUTH", hits["SOUTH"]), ("PARTNER", hits["PARTNER"])])
    assert all(l["case"]["case_id"] is None for l in links)
    assert scenes["S-SCENE-2"] not in {l["case"]["case_id"] for l in links}

    # PARTNER: a gun is linked to its case, and a serial query answers hit, but nothing more.
    partner_hits = svc.ok(svc.get("/api/hits", "partner.partner"))
    assert [h["id"] for h in partner_hits] == [hits["PARTNER"]]
    linked = svc.ok(svc.get(f"/api/hits/{hits['PARTNER']}/firearms", "partner.partner"))
    assert len(linked) == 1 and linked[0]["firearm"] is None and linked[0]["case"]["jurisdiction"] == "NORTH"
    assert linked[0]["case"]["reference"] is None
    found = svc.ok(svc.get("/api/firearms/search", "partner.partner", params={"serial": "3301075"}))
    assert found["hit"] is True and found["matches"][0]["firearm"] is None
    # SOUTH likewise, until it asks and NORTH discloses.
    assert svc.ok(svc.get(f"/api/hits/{hits['SOUTH']}/firearms", "investigator.south"))[0]["firearm"] is None

    d = svc.ok(svc.post("/api/disclosures", "partner.partner",
                        json={"hit_id": hits["PARTNER"], "justification": "same gun, cross-border series"}), 201)
    assert svc.ok(svc.get(f"/api/hits/{hits['PARTNER']}/firearms", "partner.partner"))[0]["firearm"] is None
    svc.ok(svc.post(f"/api/disclosures/{d['id']}/approve", "analyst.north", json={"reason": "MoU"}))
    linked = svc.ok(svc.get(f"/api/hits/{hits['PARTNER']}/firearms", "partner.partner"))
    assert linked[0]["firearm"]["serial_number"] == "330-1O7S" and linked[0]["case"]["reference"] == "N-SEIZED-7"
    found = svc.ok(svc.get("/api/firearms/search", "partner.partner", params={"serial": "3301075"}))
    assert found["matches"][0]["firearm"]["id"] == gun["id"]
    # SOUTH did not ask: still hit-only.
    assert svc.ok(svc.get(f"/api/hits/{hits['SOUTH']}/firearms", "investigator.south"))[0]["firearm"] is None

    # The link chart: NORTH sees its gun record joined to both crime scenes; SOUTH an opaque
    # gun of NORTH; PARTNER, after the disclosure, the record.
    north = link_chart(svc, "investigator.north")
    (node, attrs), = gun_nodes(north).items()
    assert node == f"firearm:#{gun['id']}" and attrs["serial_number"] == "330-1O7S" and attrs["detail"]
    assert attrs["firearm_type"] == "pistol" and attrs["jurisdiction"] == "NORTH"
    assert sorted(north.nodes[n]["jurisdiction"] for n in north[node]) == ["NORTH", "PARTNER", "SOUTH"]
    south = link_chart(svc, "investigator.south")
    (snode, sattrs), = gun_nodes(south).items()
    assert snode.startswith("FA-") and not sattrs["detail"] and "serial_number" not in sattrs
    assert sattrs["jurisdiction"] == "NORTH" and b"330-1O7S" not in report(svc, "investigator.south", "link_chart", "csv",
                                                                          table="nodes")
    partner = link_chart(svc, "partner.partner")
    assert gun_nodes(partner)[node]["serial_number"] == "330-1O7S"
    # The life of the gun from NORTH's side: the three shootings' events, then its own history.
    rows = timeline_rows(svc, "investigator.north", firearm_id=gun["id"])
    kinds = [r["event_kind"] for r in rows]
    assert kinds.count("shooting") == 2 and "firearm_recovered" in kinds and kinds.count("firearm_linked") == 2
    assert {r["jurisdiction"] for r in rows if r["event_kind"] == "firearm_linked"} == {"SOUTH", "PARTNER"}
    assert svc.post("/api/reports", "investigator.south", json={
        "kind": "timeline", "format": "csv", "params": {"firearm_id": gun["id"]}}).status_code == 404
    assert svc.ok(svc.get("/api/audit/verify", "auditor.north"))["ok"] is True


def test_a_series_gains_its_gun(service, sample_scans):
    """Two crime scenes linked to each other first, later one of them to a gun's test fire:
    both scenes gain the gun."""
    svc = service
    svc.world()
    s1, s1_ex = svc.case_with_exhibit("lab_submitter.north", "N-SCENE-A")
    s2, s2_ex = svc.case_with_exhibit("lab_submitter.north", "N-SCENE-B")
    svc.wait_run(svc.ok(svc.upload("lab_submitter.north", s1_ex, _scan("Fadul 1-2")), 201)["run"]["id"], "examiner.north")
    run = svc.wait_run(svc.ok(svc.upload("lab_submitter.north", s2_ex, _scan("Fadul F")), 201)["run"]["id"], "examiner.north")
    top = svc.ok(svc.get(f"/api/runs/{run['id']}/candidates", "examiner.north"))[0]
    assert top["match"]["case_id"] == s1
    _confirm(svc, top["id"])  # scene A <-> scene B
    before = link_chart(svc, "investigator.north", include_events=False)
    series_key = before.nodes[f"case:{s1}"]["series"]
    assert series_key and not gun_nodes(before)

    gun_case = svc.ok(svc.post("/api/cases", "examiner.north", json={"reference": "N-GUN"}), 201)["id"]
    gun = svc.ok(svc.post(f"/api/cases/{gun_case}/firearms", "examiner.north", json={"kind": "pistol"}), 201)
    tf = svc.ok(svc.post(f"/api/cases/{gun_case}/exhibits", "examiner.north",
                         json={"kind": "test_fire", "lab_number": "TF-G", "firearm_id": gun["id"]}), 201)
    run = svc.wait_run(svc.ok(svc.upload("examiner.north", tf["id"], _scan("Fadul 1-1")), 201)["run"]["id"], "examiner.north")
    a = next(c for c in svc.ok(svc.get(f"/api/runs/{run['id']}/candidates", "examiner.north")) if c["match"]["case_id"] == s1)
    hit = _confirm(svc, a["id"])  # gun <-> scene A only
    links = svc.ok(svc.get(f"/api/firearms/{gun['id']}/links", "investigator.north"))
    assert {(l["case"]["case_id"], l["hit_id"]) for l in links} == {(s1, hit), (s2, hit)}

    # The series keeps its key and gains the gun (and the gun's case).
    after = link_chart(svc, "investigator.north", include_events=False)
    fnode = f"firearm:#{gun['id']}"
    assert {after.nodes[n]["series"] for n in (f"case:{s1}", f"case:{s2}", f"case:{gun_case}", fnode)} == {series_key}
    assert {(n, after.edges[fnode, n]["link"]) for n in after[fnode]} == {
        (f"case:{gun_case}", "firearm"), (f"case:{s1}", "firearm_link"), (f"case:{s2}", "firearm_link")}
    assert int(after.edges[fnode, f"case:{s2}"]["hit_id"]) == hit
    rows = timeline_rows(svc, "investigator.north", series_key=series_key)
    assert sorted(r["case"] for r in rows if r["event_kind"] == "firearm_linked") == ["N-SCENE-A", "N-SCENE-B"]
    assert all(r["firearm"] == f"pistol (firearm {gun['id']})" for r in rows if r["event_kind"].startswith("firearm_"))
