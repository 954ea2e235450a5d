"""The lab submitter's pages over HTTP: case, event, exhibit, uploads, refusals, CSRF."""

from __future__ import annotations

import re
import time

from tests.service.conftest import SAMPLE
from tests.service.web.conftest import page_client


def _id(location: str, kind: str) -> int:
    return int(re.search(rf"/review/{kind}/(\d+)", location).group(1))


def test_a_submitter_registers_a_case_with_an_event_and_an_exhibit_and_uploads(review_world):
    svc = review_world.svc
    c = page_client(review_world, "lab_submitter.north")
    home = c.get("/review/home")
    assert home.status_code == 303 and home.headers["location"] == "/review/cases"
    r = c.post("/review/cases", data={"reference": "N-WEB-1", "title": "Shots fired, Mill Lane"})
    assert r.status_code == 303, r.text
    case_id = _id(r.headers["location"], "cases")
    assert svc.ok(svc.get(f"/api/cases/{case_id}", "lab_submitter.north"))["title"] == "Shots fired, Mill Lane"

    # The API's own validation, shown on the page: a reversed date range is refused with its reason.
    bad = c.post(f"/review/cases/{case_id}/events", data={"kind": "shooting", "date_from": "2024-05-02",
                                                         "date_to": "2024-05-01"})
    assert bad.status_code == 422 and 'data-testid="form-error"' in bad.text
    r = c.post(f"/review/cases/{case_id}/events", data={"kind": "shooting", "date_from": "2024-05-01",
                                                       "location": "Mill Lane", "location_precision": "street",
                                                       "latitude": "42.66", "longitude": "21.16"})
    assert r.status_code == 303, r.text
    events = svc.ok(svc.get(f"/api/cases/{case_id}/events", "lab_submitter.north"))
    assert [(e["kind"], e["date_from"], e["latitude"]) for e in events] == [("shooting", "2024-05-01", 42.66)]

    r = c.post(f"/review/cases/{case_id}/exhibits", data={"kind": "cartridge_case", "lab_number": "LAB-W1",
                                                         "event_id": str(events[0]["id"]), "calibre": "9mm Luger"})
    assert r.status_code == 303, r.text
    exhibit_id = _id(r.headers["location"], "exhibits")
    dup = c.post(f"/review/cases/{case_id}/exhibits", data={"kind": "cartridge_case", "lab_number": "LAB-W1"})
    assert dup.status_code == 409 and "lab number already used" in dup.text

    # Two files in one post (no script): one is read, the other refused with the reader's reason.
    files = [("files", ("Fadul F.x3p", (SAMPLE / "Fadul F.x3p").read_bytes())),
             ("files", ("broken.x3p", b"PK\x03\x04 not really a zip"))]
    page = c.post(f"/review/exhibits/{exhibit_id}/scans", files=files)
    assert page.status_code == 200, page.text
    results = page.text.split('data-testid="upload-results"')[1]
    assert "Fadul F.x3p" in results and "broken.x3p" in results
    assert results.count('class="accepted"') == 1 and results.count('class="refused"') == 1
    scans = svc.ok(svc.get(f"/api/exhibits/{exhibit_id}/scans", "lab_submitter.north"))
    assert [s["filename"] for s in scans] == ["Fadul F.x3p"]

    # What the page's script does: one file, JSON back, then the run followed to its end.
    again = c.post(f"/review/exhibits/{exhibit_id}/scans", headers={"Accept": "application/json"},
                   files=[("files", ("Fadul F.x3p", (SAMPLE / "Fadul F.x3p").read_bytes()))])
    assert again.status_code == 409 and "already uploaded" in again.json()["results"][0]["reason"]
    run_id = svc.ok(svc.get(f"/api/runs?scan_id={scans[0]['id']}", "lab_submitter.north"))[0]["id"]
    deadline = time.monotonic() + 120
    while (st := c.get(f"/review/runs/{run_id}/status").json())["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.3)
    assert st["status"] == "done" and st["n_searched"] >= 4
    exhibit_page = c.get(f"/review/exhibits/{exhibit_id}").text
    assert f'href="/review/runs/{run_id}"' in exhibit_page and scans[0]["sha256"] in exhibit_page


def test_roles_and_jurisdictions_get_the_apis_refusals_as_pages(review_world):
    svc = review_world.svc
    north_case = svc.ok(svc.get("/api/cases", "lab_submitter.north"))[0]["id"]
    investigator = page_client(review_world, "investigator.north")
    r = investigator.post("/review/cases", data={"reference": "N-NOPE"})
    assert r.status_code == 403 and "cases:write" in r.text and "Traceback" not in r.text
    assert 'data-testid="refusal"' in r.text
    api = svc.post("/api/cases", "investigator.north", json={"reference": "N-NOPE"})
    assert api.status_code == 403
    # Another jurisdiction's case does not exist for them, on the page as in the API.
    south = page_client(review_world, "lab_submitter.south")
    assert south.get(f"/review/cases/{north_case}").status_code == 404
    assert svc.get(f"/api/cases/{north_case}", "lab_submitter.south").status_code == 404
    auditor = page_client(review_world, "auditor.north")
    assert auditor.get("/review/cases").status_code == 403


def test_forms_without_a_valid_token_change_nothing(review_world):
    svc = review_world.svc
    c = page_client(review_world, "lab_submitter.south")
    before = len(svc.ok(svc.get("/api/cases", "lab_submitter.south")))
    assert c.post("/review/cases", data={"reference": "S-CSRF"}, csrf=False).status_code == 403
    forged = c.post("/review/cases", data={"reference": "S-CSRF", "csrf_token": "x" * 43 + ".deadbeef"}, csrf=False)
    assert forged.status_code == 403
    # A token from another session (another user's browser) is refused too.
    other = page_client(review_world, "lab_submitter.north")
    stolen = other.csrf()
    assert c.post("/review/cases", data={"reference": "S-CSRF", "csrf_token": stolen}, csrf=False).status_code == 403
    # Signing in with a stale form says so and signs nobody in.
    anon = page_client(review_world)
    r = anon.post("/review/login", data={"username": "lab_submitter.south",
                                         "password": svc.passwords["lab_submitter.south"]}, csrf=False)
    assert r.status_code == 403 and "bfp_session" not in anon.cookies
    assert len(svc.ok(svc.get("/api/cases", "lab_submitter.south"))) == before
