"""The whole Focal Point workflow across two jurisdictions, through the HTTP API.

NORTH and SOUTH each submit cartridge cases; Fadul 1-1 (NORTH) and Fadul 1-2
(SOUTH) were fired by the same slide, Fadul 2-1 (SOUTH) by another. NORTH's run
ranks SOUTH's 1-2 first, an examiner identifies it, a lead is issued and
confirmed, and the hit shows on both cases: as an opaque reference across the
border until SOUTH asks for a disclosure and NORTH approves it.
"""

from __future__ import annotations

from ballistics_core.search import SearchParams

from sqlalchemy import select

from service.models import AuditEntry
from tests.service.conftest import SAMPLE


def _scan(name: str):
    return SAMPLE / f"{name}.x3p"


def link_two_cases(svc, sample_scans) -> dict:
    """Run the workflow up to a confirmed lead and its hit; returns the ids involved."""
    s_case, s_ex = svc.case_with_exhibit("lab_submitter.south", "S-2024-17")
    s_other, s_other_ex = svc.case_with_exhibit("lab_submitter.south", "S-2024-18")
    n_case, n_ex = svc.case_with_exhibit("lab_submitter.north", "N-2024-03")
    south = svc.ok(svc.upload("lab_submitter.south", s_ex, _scan("Fadul 1-2"), instrument="NanoFocus"), 201)
    other = svc.ok(svc.upload("lab_submitter.south", s_other_ex, _scan("Fadul 2-1")), 201)
    for up in (south, other):
        svc.wait_run(up["run"]["id"], "lab_submitter.south")
    north = svc.ok(svc.upload("lab_submitter.north", n_ex, _scan("Fadul 1-1"), instrument="NanoFocus"), 201)
    assert north["run"]["status"] == "queued" and north["scan"]["signature_id"] == north["scan"]["sha256"]
    run = svc.wait_run(north["run"]["id"], "examiner.north")
    assert run["status"] == "done", run["reason"]
    assert run["progress"] == 1.0 and run["algorithm_version"] and run["params_digest"] and run["n_searched"] == 3
    assert run["search_params_digest"] == SearchParams().digest()

    cands = svc.ok(svc.get(f"/api/runs/{run['id']}/candidates", "examiner.north"))
    assert [c["rank"] for c in cands] == list(range(1, len(cands) + 1)) and len(cands) == 2
    # both others compared in full, and the run says so
    assert run["search_depth"]["compared"] == 2 and not run["search_depth"]["bound_reached"]
    top = cands[0]
    south_ref = svc.ok(svc.get(f"/api/cases/{s_case}", "investigator.south"))["opaque_reference"]
    # Same slide first; SOUTH's case shows only as its jurisdiction and an opaque reference.
    assert top["match"] == {
        "opaque_reference": south_ref, "jurisdiction": "SOUTH", "disclosed": False,
        "case_id": None, "reference": None, "title": None,
    }
    assert top["scan_id"] is None and top["exhibit_lab_number"] is None
    assert top["fused_score"] is not None and top["fused_score"] > cands[1]["fused_score"]

    review = svc.ok(svc.post(f"/api/candidates/{top['id']}/reviews", "examiner.north",
                             json={"decision": "identification", "notes": "agreement of individual characteristics"}), 201)
    lead = svc.ok(svc.post("/api/leads", "analyst.north", json={"candidate_id": top["id"]}), 201)
    assert lead["state"] == "proposed" and lead["target_case"]["opaque_reference"] == south_ref
    svc.ok(svc.post(f"/api/leads/{lead['id']}/transition", "analyst.north", json={"to": "issued"}))
    lead = svc.ok(svc.post(f"/api/leads/{lead['id']}/transition", "examiner.north",
                           json={"to": "confirmed", "review_id": review["id"]}))
    assert lead["state"] == "confirmed" and lead["hit_id"]
    return {"north_case": n_case, "south_case": s_case, "exhibit": n_ex, "scan": north["scan"]["id"],
            "run": run["id"], "candidate": top["id"], "review": review["id"], "lead": lead["id"],
            "hit": lead["hit_id"], "south_ref": south_ref}


def test_workflow_across_two_jurisdictions(service, sample_scans):
    svc = service
    svc.world()
    w = link_two_cases(svc, sample_scans)

    # Both cases show the hit, each seeing the other side as an opaque reference.
    north = svc.ok(svc.get(f"/api/cases/{w['north_case']}", "investigator.north"))
    south = svc.ok(svc.get(f"/api/cases/{w['south_case']}", "prosecutor.south"))
    assert [h["id"] for h in north["hits"]] == [w["hit"]] == [h["id"] for h in south["hits"]]
    assert north["hits"][0]["other_case"]["opaque_reference"] == w["south_ref"]
    assert north["hits"][0]["other_case"]["case_id"] is None
    assert south["hits"][0]["other_case"]["opaque_reference"] == north["opaque_reference"]
    assert south["hits"][0]["other_case"]["reference"] is None

    # SOUTH asks to see NORTH's case; until NORTH approves, nothing is disclosed.
    d = svc.ok(svc.post("/api/disclosures", "investigator.south",
                        json={"hit_id": w["hit"], "justification": "joint investigation"}), 201)
    assert d["status"] == "requested" and d["case"]["case_id"] is None
    assert svc.post(f"/api/disclosures/{d['id']}/approve", "analyst.south", json={}).status_code == 403
    approved = svc.ok(svc.post(f"/api/disclosures/{d['id']}/approve", "analyst.north", json={"reason": "MoU 12"}))
    assert approved["status"] == "approved"
    south = svc.ok(svc.get(f"/api/cases/{w['south_case']}", "prosecutor.south"))
    assert south["hits"][0]["other_case"]["reference"] == "N-2024-03"
    assert south["hits"][0]["other_case"]["disclosed"] is True
    # NORTH still sees SOUTH only as a reference: disclosure is one-way.
    north = svc.ok(svc.get(f"/api/cases/{w['north_case']}", "investigator.north"))
    assert north["hits"][0]["other_case"]["case_id"] is None
    with svc.app.state.session_factory() as s:
        logged = s.scalars(select(AuditEntry).where(AuditEntry.action == "disclosure.approve")).all()
    assert [(e.username, e.resource_id) for e in logged] == [("analyst.north", str(d["id"]))]
    assert svc.ok(svc.get("/api/audit/verify", "auditor.north"))["ok"] is True


def test_a_partner_sees_hit_or_no_hit_with_opaque_references(service, sample_scans):
    svc = service
    svc.world()
    w = link_two_cases(svc, sample_scans)
    case, exhibit = svc.case_with_exhibit("lab_submitter.partner", "P-1")
    up = svc.ok(svc.upload("lab_submitter.partner", exhibit, _scan("Fadul F")), 201)  # slide 1, like 1-1 and 1-2
    run = svc.wait_run(up["run"]["id"], "partner.partner")
    assert run["status"] == "done"
    assert svc.get(f"/api/runs/{run['id']}/candidates", "partner.partner").status_code == 403
    assert svc.get(f"/api/runs/{run['id']}/candidates", "lab_submitter.partner").status_code == 403
    result = svc.ok(svc.get(f"/api/runs/{run['id']}/result", "partner.partner"))
    assert set(result) == {"run_id", "status", "hit", "candidates"}
    for c in result["candidates"]:
        assert set(c) == {"rank", "hit", "opaque_reference"} and c["opaque_reference"].startswith("REF-")
    north_ref = svc.ok(svc.get(f"/api/cases/{w['north_case']}", "investigator.north"))["opaque_reference"]
    # Fadul F was fired by slide 1, like NORTH's 1-1 and SOUTH's 1-2: both are hits, ranked
    # first, and they are all the partner learns (2-1, another slide, is no hit).
    assert result["status"] == "done" and result["hit"] is True
    assert [c["rank"] for c in result["candidates"]] == [1, 2]
    assert {c["opaque_reference"] for c in result["candidates"]} == {north_ref, w["south_ref"]}


def test_lead_state_machine(service, sample_scans):
    svc = service
    svc.world()
    w = link_two_cases(svc, sample_scans)
    # A confirmed lead is final.
    for to in ("issued", "withdrawn", "refuted", "proposed"):
        r = svc.post(f"/api/leads/{w['lead']}/transition", "analyst.north", json={"to": to})
        assert r.status_code == 409
    # A second lead on the same candidate: proposed cannot jump to confirmed, and
    # confirmation needs an examiner's identification, not any review.
    lead = svc.ok(svc.post("/api/leads", "examiner.north", json={"candidate_id": w["candidate"]}), 201)
    r = svc.post(f"/api/leads/{lead['id']}/transition", "examiner.north", json={"to": "confirmed", "review_id": w["review"]})
    assert r.status_code == 409 and "cannot become confirmed" in r.json()["detail"]
    svc.ok(svc.post(f"/api/leads/{lead['id']}/transition", "analyst.north", json={"to": "issued"}))
    elim = svc.ok(svc.post(f"/api/candidates/{w['candidate']}/reviews", "examiner.north", json={"decision": "inconclusive"}), 201)
    for body in ({"to": "confirmed"}, {"to": "confirmed", "review_id": elim["id"]}):
        r = svc.post(f"/api/leads/{lead['id']}/transition", "examiner.north", json=body)
        assert r.status_code == 409 and "examiner" in r.json()["detail"]
    # SOUTH can read the lead that names its case, but does not move NORTH's lead.
    assert svc.get(f"/api/leads/{lead['id']}", "analyst.south").status_code == 200
    assert svc.post(f"/api/leads/{lead['id']}/transition", "analyst.south", json={"to": "withdrawn"}).status_code == 403
    done = svc.ok(svc.post(f"/api/leads/{lead['id']}/transition", "analyst.north", json={"to": "refuted", "notes": "alibi"}))
    assert done["state"] == "refuted" and done["hit_id"] is None
    # The first lead's hit is still the only link between the two cases.
    assert [h["id"] for h in svc.ok(svc.get("/api/hits", "analyst.north"))] == [w["hit"]]
