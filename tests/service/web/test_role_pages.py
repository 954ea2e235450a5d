"""Investigator, prosecutor, partner and auditor pages over HTTP, on a world with a real hit."""

from __future__ import annotations

import re

from sqlalchemy import text

from tests.service.web.conftest import PageClient


def client(world, username: str | None = None, **headers) -> PageClient:
    c = PageClient(base_url=world.url, timeout=120, follow_redirects=False, headers=headers)
    if username:
        r = c.post("/review/login", data={"username": username, "password": world.svc.passwords[username]})
        assert r.status_code == 303, r.text
    return c


def test_an_investigator_sees_a_new_hit_and_requests_its_disclosure(hit_world):
    svc, hit_id = hit_world.svc, hit_world.hit_id
    c = client(hit_world, "investigator.north")
    assert c.get("/review/home").headers["location"] == "/review/inbox"
    inbox = c.get("/review/inbox").text
    assert 'data-testid="unread">New hits: 1 · new leads: 1' in inbox
    assert f'href="/review/hits/{hit_id}"' in inbox and "REF-" in inbox and "S-1" not in inbox
    page = c.get(f"/review/hits/{hit_id}")
    assert page.status_code == 200
    linked = page.text.split('data-testid="linked-cases"')[1].split("</dl>")[0]
    assert "N-1" in linked and "SOUTH" in linked and "S-1" not in linked  # not disclosed yet
    assert f'href="/review/candidates/{hit_world.candidate_id}"' in page.text  # the comparison, NORTH's run
    # Opening it is what the trail records: the hit is no longer new.
    assert "New hits: 0 · new leads: 1" in c.get("/review/inbox").text

    empty = c.post(f"/review/hits/{hit_id}/disclosures", data={"justification": "  "})
    assert empty.status_code == 422 and 'data-testid="form-error"' in empty.text
    r = c.post(f"/review/hits/{hit_id}/disclosures", data={"justification": "Same pistol: joint investigation"})
    assert r.status_code == 303 and "requested=" in r.headers["location"]
    disclosures = svc.ok(svc.get("/api/disclosures", "investigator.north"))
    assert [(d["hit_id"], d["status"], d["justification"]) for d in disclosures] == [
        (hit_id, "requested", "Same pistol: joint investigation")]
    again = c.post(f"/review/hits/{hit_id}/disclosures", data={"justification": "again"})
    assert again.status_code == 409 and "already requested" in again.text  # the API's refusal, on the page
    assert len(svc.ok(svc.get("/api/disclosures", "investigator.north"))) == 1

    # SOUTH's analyst approves on its disclosures page (the investigator may not); the hit page then shows the case.
    d_id = disclosures[0]["id"]
    assert c.post(f"/review/disclosures/{d_id}/decision", data={"decision": "approve"}).status_code == 403
    south = client(hit_world, "analyst.south")
    assert f'data-testid="decide-case-{d_id}"' in south.get("/review/disclosures").text
    r = south.post(f"/review/disclosures/{d_id}/decision", data={"decision": "approve", "reason": "ok"})
    assert r.status_code == 303
    assert svc.ok(svc.get("/api/disclosures", "analyst.south"))[0]["decision_reason"] == "ok"
    linked = c.get(f"/review/hits/{hit_id}").text.split('data-testid="linked-cases"')[1].split("</dl>")[0]
    assert "S-1" in linked


def test_a_prosecutor_reads_but_other_jurisdictions_and_roles_are_refused(hit_world):
    hit_id = hit_world.hit_id
    prosecutor = client(hit_world, "prosecutor.north")
    assert prosecutor.get(f"/review/hits/{hit_id}").status_code == 200
    assert prosecutor.get("/review/inbox").status_code == 200
    submitter = client(hit_world, "lab_submitter.north")
    r = submitter.get("/review/inbox")
    assert r.status_code == 403 and "leads:read" in r.text
    assert hit_world.svc.get("/api/leads", "lab_submitter.north").status_code == 403
    partner = client(hit_world, "partner.partner")
    assert partner.get(f"/review/hits/{hit_id}").status_code == 404
    assert client(hit_world, "auditor.north").get(f"/review/hits/{hit_id}").status_code == 403


def test_a_partner_sees_hit_or_no_hit_only(hit_world):
    p = client(hit_world, "partner.partner")
    assert p.get("/review/home").headers["location"] == "/review/partner"
    page = p.get("/review/partner").text
    rows = dict(re.findall(r'<tr data-run="(\d+)">(.*?)</tr>', page, re.S))
    hit_row, nohit_row = rows[str(hit_world.partner_runs["P-1"])], rows[str(hit_world.partner_runs["P-2"])]
    assert 'data-testid="hit"' in hit_row and "REF-" in hit_row
    assert 'data-testid="nohit"' in nohit_row
    table = page.split('data-testid="partner-results"')[1].split("</table>")[0]
    assert ">S-3<" not in table and "LR" not in table and "score" not in table.lower()  # no case data, no scores
    # The detail of a run stays closed to a partner, on the page as in the API.
    run = hit_world.partner_runs["P-1"]
    assert p.get(f"/review/runs/{run}").status_code == 403
    assert hit_world.svc.get(f"/api/runs/{run}/candidates", "partner.partner").status_code == 403


def test_an_auditor_filters_the_trail_and_sees_where_the_chain_breaks(hit_world):
    svc = hit_world.svc
    a = client(hit_world, "auditor.north")
    assert a.get("/review/home").headers["location"] == "/review/audit"
    trail = a.get("/review/audit", params={"action": "create", "resource": "lead"}).text
    rows = re.findall(r'<tr id="seq-(\d+)">(.*?)</tr>', trail, re.S)
    assert rows and all("create" in r and "lead" in r for _, r in rows)
    ok = a.get("/review/audit/verify").text
    assert 'data-ok="1"' in ok
    assert client(hit_world, "investigator.north").get("/review/audit").status_code == 403

    # Someone with database access edits an entry: the page names it.
    with svc.app.state.session_factory() as s:
        s.execute(text("DROP TRIGGER audit_log_no_update"))
        target = s.execute(text("SELECT seq FROM audit_log WHERE action = 'create' AND resource = 'lead'")).scalar()
        s.execute(text("UPDATE audit_log SET detail = '{\"candidate_id\": 999}' WHERE seq = :s"), {"s": target})
        s.commit()
    broken = a.get("/review/audit/verify").text
    assert f'data-broken="{target}"' in broken and "contents do not match the stored hash" in broken


def test_an_administrator_manages_users_jurisdictions_and_agencies(hit_world):
    svc = hit_world.svc
    a = client(hit_world, "admin.north")
    assert a.get("/review/home").headers["location"] == "/review/admin"
    page = a.get("/review/admin").text
    assert 'data-user="examiner.south"' in page
    r = a.post("/review/admin/jurisdictions", data={"code": "ME", "name": "Montenegro"})
    assert r.status_code == 303, r.text
    jur = next(j for j in svc.ok(svc.get("/api/jurisdictions", "admin.north")) if j["code"] == "ME")
    assert a.post("/review/admin/agencies", data={"jurisdiction_id": str(jur["id"]), "name": "Forensic Centre",
                                                  "kind": "laboratory"}).status_code == 303
    short = a.post("/review/admin/users", data={"username": "examiner.me", "password": "short", "role": "examiner",
                                               "jurisdiction_id": str(jur["id"])})
    assert short.status_code == 422 and "password" in short.text
    ok = a.post("/review/admin/users", data={"username": "examiner.me", "password": "a-long-enough-password",
                                            "role": "examiner", "jurisdiction_id": str(jur["id"])})
    assert ok.status_code == 303, ok.text
    assert svc.client.post("/api/login/access-token", data={"username": "examiner.me",
                                                            "password": "a-long-enough-password"}).status_code == 200
    user = next(u for u in svc.ok(svc.get("/api/users", "admin.north")) if u["username"] == "examiner.me")
    assert a.post(f"/review/admin/users/{user['id']}", data={"is_active": "false"}).status_code == 303
    assert svc.client.post("/api/login/access-token", data={"username": "examiner.me",
                                                            "password": "a-long-enough-password"}).status_code == 401
    dup = a.post("/review/admin/jurisdictions", data={"code": "ME", "name": "again"})
    assert dup.status_code == 409 and "already exists" in dup.text
    # Other roles get the API's refusal.
    r = client(hit_world, "analyst.north").post("/review/admin/users", data={"username": "x.y", "password": "p" * 12,
                                                                             "role": "admin", "jurisdiction_id": "1"})
    assert r.status_code == 403 and "admin" in r.text
    assert svc.post("/api/users", "analyst.north", json={}).status_code in (403, 422)



def test_a_partner_jurisdictions_submitter_follows_its_query_as_hit_or_no_hit_only(hit_world):
    """A partner jurisdiction's scans are uploaded on the submitter pages; its runs then open
    as the API answers them, hit or no-hit, on the partner page: never a list of candidates
    or their scores, which the API refuses it."""
    s = client(hit_world, "lab_submitter.partner")
    hit_run, nohit_run = hit_world.partner_runs["P-1"], hit_world.partner_runs["P-2"]
    r = s.get("/review/runs")
    assert r.status_code == 303 and r.headers["location"] == "/review/partner#scan-title"
    assert s.get(f"/review/runs/{hit_run}").status_code == 403
    page = s.get("/review/partner").text
    rows = dict(re.findall(r'<tr data-run="(\d+)"><th scope="row" id="run-\d+">(.*?)</tr>', page, re.S))
    assert 'data-testid="hit"' in rows[str(hit_run)] and 'data-testid="nohit"' in rows[str(nohit_run)]
    assert "LR" not in page and "score" not in page.lower()
    (case,) = [c for c in hit_world.svc.ok(hit_world.svc.get("/api/cases", "lab_submitter.partner"))
               if c["reference"] == "P-1"]
    (exhibit,) = hit_world.svc.ok(hit_world.svc.get(f"/api/cases/{case['id']}/exhibits", "lab_submitter.partner"))
    page = s.get(f"/review/exhibits/{exhibit['id']}").text
    assert f'href="/review/partner#run-{hit_run}"' in page and f'href="/review/runs/{hit_run}"' not in page
    # A domestic submitter's runs still open on their own page.
    north = client(hit_world, "lab_submitter.north")
    assert north.get("/review/runs").status_code == 200


def test_a_lead_page_in_every_language_and_refused_as_by_the_api(hit_world):
    from service.web.i18n import LANGUAGES, translations

    lead = hit_world.lead_id
    c = client(hit_world, "investigator.north")
    assert f'href="/review/leads/{lead}"' in c.get("/review/inbox").text
    for code, lang in LANGUAGES.items():
        r = c.get(f"/review/leads/{lead}", headers={"Accept-Language": lang.tag})
        assert r.status_code == 200 and f'<html lang="{lang.tag}">' in r.text
        assert translations(code).gettext("Lead %(id)s") % {"id": lead} in r.text, code
    assert client(hit_world, "auditor.north").get(f"/review/leads/{lead}").status_code == 403
    assert hit_world.svc.get(f"/api/leads/{lead}", "auditor.north").status_code == 403


def test_ids_out_of_range_are_a_404_page_never_a_server_error(hit_world):
    """Path ids a database cannot hold (beyond 2^31, or 2^63 for SQLite itself) are refused
    as the API refuses them, not passed on to the driver."""
    c = client(hit_world, "investigator.north")
    for big in (2**31, 2**70):
        for path in ("leads", "hits", "runs", "candidates", "cases", "exhibits"):
            r = c.get(f"/review/{path}/{big}")
            assert r.status_code == 422, (path, big, r.status_code)
            assert r.headers["content-type"].startswith("text/html") and 'data-testid="refusal"' in r.text
            assert "less than or equal" in r.text and "Traceback" not in r.text
        post = c.post(f"/review/hits/{big}/disclosures", data={"justification": "x"})
        assert post.status_code == 422 and 'data-testid="refusal"' in post.text
        assert c.get(f"/review/runs/{big}/status").status_code == 422
    # The API keeps FastAPI's JSON answer.
    api = hit_world.svc.get(f"/api/leads/{2**70}", "investigator.north")
    assert api.status_code == 422 and api.json()["detail"][0]["loc"] == ["path", "lead_id"]
