"""Every page family in the real headless browser, in every language, checked by axe-core.

One browser for the module; the server and its data are the session's ``review_world``.
A lab submitter signs in with the keyboard, registers a case, an event and an exhibit,
uploads two scans and a damaged file at once and sees the damaged one refused with
the reader's reason while both runs finish. Then every page is opened in each shipped
language: ``<html lang>`` must match, the page must be translated, and axe-core
(WCAG 2.1 A/AA rules) must find no serious or critical violation.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from service.web.i18n import LANGUAGES, translations
from tests.service.conftest import REPO, SAMPLE
from tests.service.web.test_browser import ARGS, CHROMIUM, _unavailable

AXE = REPO / ".web-test" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = REPO / "benchmarks" / "results" / "web"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    if not Path(CHROMIUM).is_file():
        _unavailable(f"no chromium at {CHROMIUM} (scripts/ensure_browser.sh installs Debian's package as root)")
    if not AXE.is_file():
        _unavailable(f"axe-core missing at {AXE} (scripts/ensure_axe.sh installs it from npm)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def _context(browser, lang_tag: str = "en"):
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale=lang_tag)
    page = ctx.new_page()
    page.set_default_timeout(120_000)
    return ctx, page


def check_accessibility(page, where: str) -> None:
    """axe-core's WCAG 2.1 A/AA rules on the page as shown; serious or critical fails."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("opts => axe.run(document, opts)", {"runOnly": {"type": "tag", "values": WCAG}})
    bad = [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"][:3]]}
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{where}: {json.dumps(bad, indent=1)}"
    assert result["passes"], f"{where}: axe ran no rule"


def shot(page, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    if os.environ.get("BALLISTICS_UPDATE_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, SHOTS / path.name)


def set_language_cookie(ctx, url: str, code: str) -> None:
    ctx.add_cookies([{"name": "bfp_lang", "value": code, "url": url + "/review/"}])


def sign_in_with_the_keyboard(page, url: str, username: str, password: str) -> None:
    assert "/review/login" in page.url
    page.focus("#username")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/review/login" not in page.url


@pytest.mark.slow
def test_a_submitter_registers_a_case_and_uploads_two_scans(review_world, browser, tmp_path):
    svc, url = review_world.svc, review_world.url
    ctx, page = _context(browser)
    try:
        page.goto(f"{url}/review/cases")
        check_accessibility(page, "login")
        shot(page, tmp_path, "login_en")
        sign_in_with_the_keyboard(page, url, "lab_submitter.north", svc.passwords["lab_submitter.north"])
        assert page.url == f"{url}/review/cases"
        check_accessibility(page, "cases")

        # Keyboard only: type into the fields, Enter submits.
        page.focus("#case-reference")
        page.keyboard.type("N-BROWSER-1")
        page.keyboard.press("Tab")
        page.keyboard.type("Two shootings, one pistol?")
        page.keyboard.press("Enter")
        page.wait_for_selector('[data-testid="flash"]')
        case_url = page.url.split("?")[0]
        check_accessibility(page, "case")

        page.select_option("#event-kind", "shooting")
        page.fill("#event-from", "2024-06-01")
        page.fill("#event-location", "Harbour Road")
        page.focus("#event-location")
        page.keyboard.press("Enter")
        page.wait_for_selector('[data-testid="events"] li')
        page.fill("#exhibit-lab", "LAB-BR-1")
        page.select_option("#exhibit-event", index=1)
        page.focus("#exhibit-lab")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{url}/review/exhibits/*")
        check_accessibility(page, "exhibit")

        broken = tmp_path / "damaged.x3p"
        broken.write_bytes(b"PK\x03\x04 this is no X3P container")
        page.set_input_files("#scan-files", [str(SAMPLE / "Fadul 2-2.x3p"), str(SAMPLE / "Fadul 3-2.x3p"), str(broken)])
        page.click('form[data-testid="upload-form"] button[type="submit"]')
        page.wait_for_function("() => document.querySelectorAll('[data-testid=upload-list] li[data-result]').length === 3")
        rows = page.evaluate("""[...document.querySelectorAll('[data-testid=upload-list] li')]
            .map(li => ({file: li.dataset.file, result: li.dataset.result, text: li.innerText}))""")
        by_file = {r["file"]: r for r in rows}
        assert by_file["Fadul 2-2.x3p"]["result"] == "accepted" and by_file["Fadul 3-2.x3p"]["result"] == "accepted"
        assert by_file["damaged.x3p"]["result"] == "refused" and "(422)" in by_file["damaged.x3p"]["text"]
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=upload-list] li[data-result=accepted]')]"
            ".every(li => li.dataset.runStatus === 'done')", timeout=180_000)
        check_accessibility(page, "exhibit after upload")
        shot(page, tmp_path, "submitter_upload_en")

        # The API sees the same: two scans with their SHA-256, one finished run each.
        exhibit_id = int(page.url.rsplit("/", 1)[1])
        scans = svc.ok(svc.get(f"/api/exhibits/{exhibit_id}/scans", "lab_submitter.north"))
        assert sorted(s["filename"] for s in scans) == ["Fadul 2-2.x3p", "Fadul 3-2.x3p"]
        for s in scans:
            runs = svc.ok(svc.get(f"/api/runs?scan_id={s['id']}", "lab_submitter.north"))
            assert [r["status"] for r in runs] == ["done"]
        page.click(f'[data-testid="upload-list"] li[data-file="Fadul 2-2.x3p"] a')
        page.wait_for_url(f"{url}/review/runs/*")
        assert page.locator("a.cand-link").count() >= 3
        check_accessibility(page, "run")
        assert case_url.startswith(f"{url}/review/cases/")
    finally:
        ctx.close()


@pytest.mark.slow
def test_every_page_in_every_language(review_world, browser, tmp_path):
    svc, url = review_world.svc, review_world.url
    c = svc.ok(svc.get("/api/cases", "lab_submitter.north"))[0]
    exhibit = svc.ok(svc.get(f"/api/cases/{c['id']}/exhibits", "lab_submitter.north"))[0]
    cand = review_world.candidate(1)
    pages = {
        "cases": "/review/cases", "case": f"/review/cases/{c['id']}", "exhibit": f"/review/exhibits/{exhibit['id']}",
        "runs": "/review/runs", "run": f"/review/runs/{review_world.run_id}",
        "candidate": f"/review/candidates/{cand['id']}",
    }
    # A signed-out visitor: the browser's language decides the first page.
    for code, lang in LANGUAGES.items():
        ctx, page = _context(browser, lang.tag)
        try:
            page.goto(f"{url}/review/cases")
            assert page.get_attribute("html", "lang") == lang.tag
            assert page.inner_text("h1") == translations(code).gettext("Sign in")
        finally:
            ctx.close()
    # The auditor may not open cases: the API's 403, as a page, in the reader's language.
    ctx, page = _context(browser, "en")
    try:
        page.goto(f"{url}/review/cases")
        sign_in_with_the_keyboard(page, url, "auditor.north", svc.passwords["auditor.north"])
        for code, lang in LANGUAGES.items():
            set_language_cookie(ctx, url, code)
            page.goto(f"{url}/review/cases")
            assert page.get_attribute("html", "lang") == lang.tag
            assert page.inner_text("h1") == translations(code).gettext("Not allowed")
            assert "cases:read" in page.inner_text('[data-testid="refusal"]')
            check_accessibility(page, f"403 {code}")
    finally:
        ctx.close()
    # A signed-in examiner chooses each language with the keyboard; every page follows.
    ctx, page = _context(browser, "en")
    try:
        page.goto(f"{url}/review/runs")
        sign_in_with_the_keyboard(page, url, "examiner.north", svc.passwords["examiner.north"])
        for code, lang in LANGUAGES.items():
            _ = translations(code).gettext
            page.focus("#lang-choice")
            page.select_option("#lang-choice", code)
            page.keyboard.press("Tab")
            with page.expect_navigation():
                page.keyboard.press("Enter")
            assert page.get_attribute("html", "lang") == lang.tag
            for name, path in pages.items():
                page.goto(url + path)
                assert page.get_attribute("html", "lang") == lang.tag, (code, name)
                nav = page.inner_text("header.top nav")
                assert _("Correlation runs") in nav, (code, name, nav)
                check_accessibility(page, f"{name} {code}")
                if name in ("case", "candidate"):
                    shot(page, tmp_path, f"{name}_{code}")
    finally:
        ctx.close()
    # Leave the examiner in English for the other tests.
    with svc.app.state.session_factory() as s:
        from service.models import User
        from sqlalchemy import select
        s.scalar(select(User).where(User.username == "examiner.north")).locale = None
        s.commit()


def _signed_in(browser, world, username: str, path: str, lang_tag: str = "en"):
    ctx, page = _context(browser, lang_tag)
    page.goto(world.url + path)
    sign_in_with_the_keyboard(page, world.url, username, world.svc.passwords[username])
    return ctx, page


@pytest.mark.slow
def test_investigator_partner_and_auditor_paths(hit_world, browser, tmp_path):
    svc, url = hit_world.svc, hit_world.url
    # An investigator opens the new hit from the inbox and asks for the other case.
    ctx, page = _signed_in(browser, hit_world, "investigator.north", "/review/inbox")
    try:
        assert page.url == f"{url}/review/inbox"
        assert page.inner_text('[data-testid="unread"]') == "New hits: 1 · new leads: 1"
        check_accessibility(page, "inbox")
        shot(page, tmp_path, "investigator_inbox_en")
        page.focus(f'[data-testid="hit-link-{hit_world.hit_id}"]')
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url == f"{url}/review/hits/{hit_world.hit_id}"
        assert "SOUTH" in page.inner_text('[data-testid="linked-cases"]')
        check_accessibility(page, "hit")
        page.focus("#justification")
        page.keyboard.type("Same pistol in both shootings: joint investigation team")
        page.keyboard.press("Tab")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "requested" in page.inner_text('[data-testid="flash"]')
        check_accessibility(page, "hit after request")
        shot(page, tmp_path, "investigator_hit_en")
        assert [d["status"] for d in svc.ok(svc.get("/api/disclosures", "investigator.north"))] == ["requested"]
    finally:
        ctx.close()

    # A partner sees hit or no-hit for its two queries, and nothing else.
    ctx, page = _signed_in(browser, hit_world, "partner.partner", "/review/home")
    try:
        assert page.url == f"{url}/review/partner"
        hit_row = page.locator(f'tr[data-run="{hit_world.partner_runs["P-1"]}"]')
        nohit_row = page.locator(f'tr[data-run="{hit_world.partner_runs["P-2"]}"]')
        assert hit_row.locator('[data-testid="hit"]').count() == 1
        assert nohit_row.locator('[data-testid="nohit"]').count() == 1
        check_accessibility(page, "partner")
        shot(page, tmp_path, "partner_results_en")
    finally:
        ctx.close()

    # An auditor filters the trail, then sees a tampered entry reported.
    ctx, page = _signed_in(browser, hit_world, "auditor.north", "/review/home")
    try:
        assert page.url == f"{url}/review/audit"
        page.select_option("#f-action", "create")
        page.focus("#f-user")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        actions = page.locator('[data-testid="audit-entries"] tbody td:nth-child(4)').all_inner_texts()
        assert actions and set(actions) == {"create"}
        check_accessibility(page, "audit")
        from sqlalchemy import text

        with svc.app.state.session_factory() as s:
            s.execute(text("DROP TRIGGER audit_log_no_delete"))
            target = s.execute(text("SELECT seq FROM audit_log WHERE action = 'disclosure.request'")).scalar()
            s.execute(text("DELETE FROM audit_log WHERE seq = :s"), {"s": target})
            s.commit()
        page.click('[data-testid="verify-link"]')
        page.wait_for_url(f"{url}/review/audit/verify")
        result = page.locator('[data-testid="verify-result"]')
        assert result.get_attribute("data-ok") == "0" and result.get_attribute("data-broken") == str(target)
        assert f"entry {target} is missing" in result.inner_text()
        check_accessibility(page, "audit verify")
        shot(page, tmp_path, "auditor_broken_chain_en")
    finally:
        ctx.close()

    # An administrator gives SOUTH its map region with the keyboard only: the select, Tab, Enter.
    south = next(j for j in svc.ok(svc.get("/api/jurisdictions", "admin.north")) if j["code"] == "SOUTH")
    ctx, page = _signed_in(browser, hit_world, "admin.north", "/review/admin")
    try:
        assert page.url == f"{url}/review/admin"
        check_accessibility(page, "admin")
        page.focus(f"#region-{south['id']}")
        page.keyboard.press("ArrowDown")  # the first area after "(none)"
        page.keyboard.press("Tab")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        row = page.locator('[data-testid="jurisdictions"] tr[data-jurisdiction="SOUTH"]')
        chosen = row.get_attribute("data-map-region")
        assert chosen and svc.ok(svc.get("/api/jurisdictions", "admin.north"))[1]["map_region"] == chosen
        assert page.inner_text('[data-testid="flash"]')
        shot(page, tmp_path, "admin_en")
    finally:
        ctx.close()
    svc.ok(svc.patch(f"/api/jurisdictions/{south['id']}", "admin.north", json={"map_region": None}))

    # The same pages in every language (the visitor's language cookie: these users set none).
    for username, paths in (("investigator.north", ["/review/inbox", f"/review/hits/{hit_world.hit_id}"]),
                            ("partner.partner", ["/review/partner"]),
                            ("auditor.north", ["/review/audit", "/review/audit/verify"]),
                            ("admin.north", ["/review/admin"])):
        ctx, page = _signed_in(browser, hit_world, username, paths[0])
        try:
            for code, lang in LANGUAGES.items():
                set_language_cookie(ctx, url, code)
                for path in paths:
                    page.goto(url + path)
                    assert page.get_attribute("html", "lang") == lang.tag, (code, path)
                    assert translations(code).gettext("Sign out") == page.inner_text("header.top .who button")
                    check_accessibility(page, f"{path} {code}")
                if code != "en" and username == "investigator.north":
                    shot(page, tmp_path, f"investigator_hit_{code}")
        finally:
            ctx.close()
