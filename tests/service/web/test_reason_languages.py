"""The refusals and stored reasons a page shows, said in each shipped language through the
real app (HTTP client, database); the API's JSON details stay the English they were."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import create_engine, text

from service.web.i18n import LANGUAGES, TRANSLATED, translations
from tests.service.web.conftest import page_client

EN_SPAN = re.compile(r'<span[^>]*lang="en"[^>]*>')


def _main(page: str) -> str:
    found = re.search(r"<main.*?</main>", page, flags=re.S)
    return found.group(0) if found else page


@pytest.fixture(scope="module")
def db(review_world):
    engine = create_engine(review_world.svc.settings.database_url)
    yield engine
    engine.dispose()


def test_the_audit_chains_break_is_said_in_each_language(review_world, db):
    svc = review_world.svc
    # The log is append-only: the trigger is lifted for the tampering and put back after.
    with db.begin() as conn:
        trigger = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'audit_log_no_update'")).scalar_one()
        conn.execute(text("DROP TRIGGER audit_log_no_update"))
        before = conn.execute(text("SELECT detail FROM audit_log WHERE seq = 2")).scalar_one()
        conn.execute(text("UPDATE audit_log SET detail = :d WHERE seq = 2"), {"d": before + " "})
    try:
        api = svc.ok(svc.get("/api/audit/verify", "auditor.north"))
        assert api["ok"] is False and api["reason"] == "contents do not match the stored hash"
        for code in TRANSLATED:
            t = translations(code)
            c = page_client(review_world, "auditor.north", **{"Accept-Language": LANGUAGES[code].tag})
            r = c.get("/review/audit/verify")
            assert r.status_code == 200
            body = html.unescape(r.text)
            said = t.gettext("contents do not match the stored hash")
            assert said != "contents do not match the stored hash" and said in body
            assert not EN_SPAN.search(_main(r.text)), code
    finally:
        with db.begin() as conn:
            conn.execute(text("UPDATE audit_log SET detail = :d WHERE seq = 2"), {"d": before})
            conn.execute(text(trigger))
    assert svc.ok(svc.get("/api/audit/verify", "auditor.north"))["ok"] is True


def test_a_runs_stored_failure_is_said_in_each_language_and_unknown_text_stays_english(review_world, db):
    svc = review_world.svc
    runs = svc.ok(svc.get("/api/runs", "lab_submitter.south"))
    run_id = runs[0]["id"]
    with db.begin() as conn:
        old = conn.execute(text("SELECT status, reason FROM correlation_run WHERE id = :i"), {"i": run_id}).one()
        conn.execute(text("UPDATE correlation_run SET status = 'failed', reason = :r WHERE id = :i"),
                     {"r": "abandoned: the worker executing it stopped 3 times", "i": run_id})
    try:
        for code in TRANSLATED:
            t = translations(code)
            c = page_client(review_world, "lab_submitter.south", **{"Accept-Language": LANGUAGES[code].tag})
            r = c.get(f"/review/runs/{run_id}")
            said = t.gettext("abandoned: the worker executing it stopped %(n)s times") % {"n": 3}
            assert said in html.unescape(r.text), code
            assert not EN_SPAN.search(_main(r.text)), code
        with db.begin() as conn:
            conn.execute(text("UPDATE correlation_run SET reason = 'KeyError: xyz' WHERE id = :i"), {"i": run_id})
        r = page_client(review_world, "lab_submitter.south", **{"Accept-Language": "sq"}).get(f"/review/runs/{run_id}")
        assert '<span lang="en">KeyError: xyz</span>' in r.text
        with db.begin() as conn:
            conn.execute(text("UPDATE correlation_run SET reason = 'BallisticsError: no store' WHERE id = :i"),
                         {"i": run_id})
        r = page_client(review_world, "lab_submitter.south", **{"Accept-Language": "mk"}).get(f"/review/runs/{run_id}")
        assert translations("mk").gettext("the engine could not run the search:") in html.unescape(r.text)
        assert '<span lang="en">no store</span>' in r.text
    finally:
        with db.begin() as conn:
            conn.execute(text("UPDATE correlation_run SET status = :s, reason = :r WHERE id = :i"),
                         {"s": old.status, "r": old.reason, "i": run_id})


@pytest.mark.parametrize("code", TRANSLATED)
def test_page_checks_are_said_in_each_language(review_world, code):
    t, tag = translations(code), LANGUAGES[code].tag
    # A static file that is not there is answered as the API would (an asset, not a page).
    r = page_client(review_world, None, **{"Accept-Language": tag}).get("/review/static/nothing.js")
    assert r.status_code == 404 and r.json()["detail"] == "not found"
    # The partner's serial search in a mode the page does not offer: the field's label and the message.
    c = page_client(review_world, "partner.partner", **{"Accept-Language": tag})
    r = c.post("/review/partner/serial", data={"serial": "AB1234", "mode": "psychic"})
    assert r.status_code == 422
    said = t.gettext("%(field)s: one of %(allowed)s, not %(given)s") % {
        "field": t.gettext("search mode"), "allowed": "exact, wildcard, fuzzy", "given": "'psychic'"}
    assert said in html.unescape(r.text)
    assert not EN_SPAN.search(_main(r.text))


def test_the_apis_details_stay_english(review_world):
    svc = review_world.svc
    case, _ = svc.case_with_exhibit("lab_submitter.north", "N-REASONS")
    fa = svc.ok(svc.post(f"/api/cases/{case}/firearms", "lab_submitter.north",
                         json={"kind": "pistol", "serial_number": "RSN12345"}), 201)
    svc.ok(svc.post(f"/api/firearms/{fa['id']}/events", "lab_submitter.north", json={"status": "returned"}), 201)
    r = svc.post(f"/api/firearms/{fa['id']}/events", "lab_submitter.north", json={"status": "stored"})
    assert r.status_code == 409 and r.json()["detail"] == "this firearm was returned; its record takes no further steps"
    r = svc.post(f"/api/firearms/{fa['id']}/photos", "lab_submitter.north", files={"file": ("a.jpg", b"")})
    assert r.status_code == 422 and r.json()["detail"] == "the uploaded file is empty"
    r = svc.post("/api/registers/test-reg/imports", "admin.north",
                 files={"file": ("reg.csv", b"serial,date_reported\nAB12,xx\n")})
    if r.status_code == 422:
        assert r.json()["detail"] == "reg.csv: row 2: date_reported 'xx' is not a date (YYYY-MM-DD or DD/MM/YYYY)"
    r = svc.get("/api/audit/verify", "lab_submitter.north")
    assert r.status_code == 403 and r.json()["detail"].startswith("missing scope: ")
