"""The review pages over HTTP: sign-in, visibility, figures, decisions, leads, reports."""

from __future__ import annotations

import hashlib
import re

from service.voice import Voice
from tests.service.web.conftest import page_client


def test_anonymous_visitors_are_sent_to_login_and_the_api_still_wants_a_bearer(review_world):
    c = page_client(review_world)
    r = c.get(f"/review/runs/{review_world.run_id}")
    assert r.status_code == 303
    assert r.headers["location"] == f"/review/login?next=%2Freview%2Fruns%2F{review_world.run_id}"
    assert c.get(f"/review/candidates/{review_world.candidate(1)['id']}/figures/surfaces.png").status_code == 303
    login = c.get(r.headers["location"])
    assert login.status_code == 200 and 'name="password"' in login.text
    signed = page_client(review_world, "examiner.north")
    # The page cookie is no API credential.
    assert signed.get(f"/api/runs/{review_world.run_id}").status_code == 401
    assert signed.get("/review/runs").status_code == 200


def test_login_sets_a_strict_httponly_cookie_and_refuses_bad_passwords(review_world):
    c = page_client(review_world)
    bad = c.post("/review/login", data={"username": "examiner.north", "password": "wrong"})
    assert bad.status_code == 401 and "Incorrect username or password" in bad.text
    assert "bfp_session" not in c.cookies
    ok = c.post("/review/login", data={"username": "examiner.north",
                                       "password": review_world.svc.passwords["examiner.north"],
                                       "next": "https://evil.example/steal"})
    assert ok.status_code == 303 and ok.headers["location"] == "/review/home"  # no open redirect
    cookie = ok.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/review" in cookie
    out = c.post("/review/logout")
    assert out.status_code == 303 and c.get("/review/runs").status_code == 303


def test_run_page_ranks_candidates_with_scores_and_cases(review_world):
    c = page_client(review_world, "examiner.north")
    queue = c.get("/review/runs").text
    assert f'href="/review/runs/{review_world.run_id}"' in queue and "N-1" in queue
    page = c.get(f"/review/runs/{review_world.run_id}").text
    first = review_world.candidate(1)
    # Same slide ranks first; it belongs to SOUTH, so NORTH sees an opaque reference only.
    assert first["match"]["jurisdiction"] == "SOUTH" and first["match"]["reference"] is None
    assert f"SOUTH · {first['match']['opaque_reference']}" in page
    assert "S-1" not in page  # SOUTH's case reference is not disclosed to NORTH
    assert "N-2" in page  # NORTH's own case is shown by reference
    ranks = [int(x) for x in re.findall(r'data-testid="cand-(\d+)"', page)]
    assert ranks == [1, 2, 3]
    assert f"{first['log10_lr']:.2f}" in page and f"{first['fused_score']:.2f}" in page


def test_candidate_page_shows_aligned_figures_with_text_alternatives(review_world):
    c = page_client(review_world, "investigator.north")  # a read-only role may view
    cid = review_world.candidate(1)["id"]
    page = c.get(f"/review/candidates/{cid}")
    assert page.status_code == 200
    alts = re.findall(r'<img src="([^"]+)" alt="([^"]+)"', page.text)
    # The language is in each image's address (a browser's cached image follows a switch of language).
    assert [src.rsplit("/", 1)[1] for src, _ in alts] == [
        "surfaces.png?lang=en", "overlay.png?lang=en", "firing_pin.png?lang=en"]
    surfaces_alt = alts[0][1]
    assert re.search(r"\d+ congruent \(green\)", surfaces_alt) and "CMC" in surfaces_alt
    assert "Pearson correlation" in alts[1][1]
    assert "No firing-pin comparison" in alts[2][1]  # the processed samples hold no firing pin
    assert "may view but not record decisions" in page.text
    png = c.get(alts[0][0])
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG") and len(png.content) > 20_000
    # The page and its images share one comparison, kept per (run, candidate), and the
    # figures of the page's language, kept per (run, candidate, language).
    cache = review_world.live.app.state.review_cache
    assert (review_world.run_id, cid) in cache and (review_world.run_id, cid, "en") in cache
    material = cache.material(review_world.run_id, cid, lambda: None, Voice("en"))  # a miss would fail here
    assert material.figures["surfaces"].png == png.content
    assert c.get(f"/review/candidates/{cid}/figures/nope.png").status_code == 404


def test_an_examiner_records_a_decision_that_proposes_a_lead(review_world):
    svc = review_world.svc
    cid = review_world.candidate(1)["id"]
    c = page_client(review_world, "examiner.north")
    r = c.post(f"/review/candidates/{cid}/reviews",
               data={"decision": "identification", "notes": "agreement across the annulus", "propose_lead": "true"})
    assert r.status_code == 303, r.text
    assert re.search(rf"/review/candidates/{cid}\?review=\d+&lead=\d+$", r.headers["location"])
    reviews = svc.ok(svc.get(f"/api/candidates/{cid}/reviews", "analyst.north"))
    assert [(x["decision"], x["notes"]) for x in reviews][-1] == ("identification", "agreement across the annulus")
    leads = [ld for ld in svc.ok(svc.get("/api/leads", "analyst.north")) if ld["candidate_id"] == cid]
    assert len(leads) == 1 and leads[0]["state"] == "proposed"
    page = c.get(r.headers["location"]).text
    assert "Decision recorded" in page and "agreement across the annulus" in page


def test_read_only_roles_cannot_record_and_partners_cannot_open_runs(review_world):
    svc = review_world.svc
    cid = review_world.candidate(3)["id"]
    before = len(svc.ok(svc.get(f"/api/candidates/{cid}/reviews", "examiner.north")))
    r = page_client(review_world, "investigator.north").post(
        f"/review/candidates/{cid}/reviews", data={"decision": "elimination"})
    assert r.status_code == 403 and "reviews:write" in r.text
    assert len(svc.ok(svc.get(f"/api/candidates/{cid}/reviews", "examiner.north"))) == before
    partner = page_client(review_world, "partner.partner")
    assert partner.get(f"/review/runs/{review_world.run_id}").status_code == 404  # not theirs: not found
    south = page_client(review_world, "examiner.south")
    assert south.get(f"/review/candidates/{cid}").status_code == 404
    forged = page_client(review_world, "examiner.north").post(
        f"/review/candidates/{cid}/reviews", data={"decision": "elimination"}, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403
    assert len(svc.ok(svc.get(f"/api/candidates/{cid}/reviews", "examiner.north"))) == before


def test_exported_report_is_stored_with_its_own_sha256(review_world):
    svc = review_world.svc
    cid = review_world.candidate(2)["id"]
    c = page_client(review_world, "examiner.north")
    for fmt, magic in (("pdf", b"%PDF"), ("png", b"\x89PNG")):
        r = c.post(f"/review/candidates/{cid}/report", data={"format": fmt})
        assert r.status_code == 200, r.text
        assert r.content.startswith(magic)
        sha = hashlib.sha256(r.content).hexdigest()
        assert r.headers["x-content-sha256"] == sha
        stored = svc.ok(svc.get(f"/api/reports/{r.headers['x-report-id']}", "examiner.north"))
        assert stored["sha256"] == sha and stored["kind"] == "comparison" and stored["params"]["candidate_id"] == cid
        assert len(stored["summary"]["query_sha256"]) == 64 and stored["summary"]["params_digest"]
        again = svc.get(f"/api/reports/{stored['id']}/content", "examiner.north")
        assert hashlib.sha256(again.content).hexdigest() == sha
    assert c.post(f"/review/candidates/{cid}/report", data={"format": "docx"}).status_code == 422


def test_an_identification_on_the_page_confirms_an_issued_lead(review_world):
    svc = review_world.svc
    cid = review_world.candidate(3)["id"]  # NORTH's own other case: a lead between two NORTH cases
    lead = svc.ok(svc.post("/api/leads", "analyst.north", json={"candidate_id": cid}), 201)
    svc.ok(svc.post(f"/api/leads/{lead['id']}/transition", "analyst.north", json={"to": "issued"}))
    c = page_client(review_world, "examiner.north")
    page = c.get(f"/review/candidates/{cid}").text
    assert f'name="confirm_lead" value="{lead["id"]}"' in page
    r = c.post(f"/review/candidates/{cid}/reviews",
               data={"decision": "identification", "notes": "confirmed on the page", "confirm_lead": str(lead["id"])})
    assert r.status_code == 303 and r.headers["location"].endswith(f"&lead={lead['id']}"), r.headers
    after = svc.ok(svc.get(f"/api/leads/{lead['id']}", "analyst.north"))
    review_id = svc.ok(svc.get(f"/api/candidates/{cid}/reviews", "analyst.north"))[-1]["id"]
    assert after["state"] == "confirmed" and after["identification_review_id"] == review_id
    assert after["hit_id"] is not None


def test_page_report_and_cli_state_the_same_conclusion(review_world):
    """The review page, the comparison report and ``ballistics compare`` agree on
    decision, log10 LR, verbal scale and gates for the same two files."""
    import json
    import subprocess
    import sys

    from tests.service.conftest import REPO, SAMPLE

    c = page_client(review_world, "examiner.north")
    cid = review_world.candidate(1)["id"]
    page = c.get(f"/review/candidates/{cid}").text
    cli = subprocess.run(
        [sys.executable, "-m", "ballistics_core.cli.app", "compare", str(SAMPLE / "Fadul 1-1.x3p"),
         str(SAMPLE / "Fadul 1-2.x3p"), "--json"], capture_output=True, text=True, cwd=REPO, check=True)
    out = json.loads(cli.stdout)
    assert out["decision"] == "identification" and out["log10_lr"] >= 2.0 and out["gate"] == ""
    assert f'data-testid="lr">{out["log10_lr"]:.2f}' in page
    assert f'data-testid="verbal">{out["verbal"]}<' in page
    assert f'pill-{out["decision"]}">{out["decision"]}' in page
    assert 'data-testid="gate">none fired' in page
    report = c.post(f"/review/candidates/{cid}/report", data={"format": "pdf"})
    assert report.status_code == 200
    from tests.service.web.test_reports import _pdf_text

    # the PDF's text layer breaks "fi" into a ligature glyph (its code depends on which
    # glyphs the document drew first): compare without it
    text = re.sub(r"\n?[\x01-\x08]\n?", "fi", _pdf_text(report.content))
    assert f'{out["log10_lr"]:.2f}' in text and out["verbal"] in text
    assert "Quality gates\nnone fired" in text.replace("none \nfi", "none fi") or "Quality gates\nnone fi" in text
    assert out["decision"].replace("fi", "") in text.replace("fi", "")
    stored = review_world.svc.ok(review_world.svc.get(f"/api/reports/{report.headers['x-report-id']}", "examiner.north"))
    assert {k: stored["summary"][k] for k in ("decision", "verbal", "gate")} == {
        k: out[k] for k in ("decision", "verbal", "gate")}
